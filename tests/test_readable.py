"""Readable text from recognizer-shaped words (timings, confidences), and the draft answer
that "scratch that" edits. Pure logic: made-up word lists, no audio."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from assistant.text.draft import Draft
from assistant.text.readable import UNSURE, marked, readable, sentences, worth_reading_back
from assistant.turns import Answer, Command, Word


def timed(*parts: str | float, conf: float = 1.0) -> tuple[Word, ...]:
    """Words 0.3 s long, 0.1 s apart; a number between words is a pause of that length."""
    out: list[Word] = []
    at, gap = 0.0, 0.0
    for part in parts:
        if isinstance(part, float):
            gap = part
            continue
        for text in part.split():
            start = at + (gap if out else 0.0)
            out.append(Word(text, round(start, 3), round(start + 0.3, 3), conf))
            at, gap = start + 0.3, 0.1
    return tuple(out)


def test_a_pause_ends_a_sentence_and_a_long_one_a_paragraph() -> None:
    words = timed("i think the hardest part was finding out", 0.8,
                  "then i didn't know who to trust", 2.5, "now i'm trying again")
    assert readable(words, "en") == (
        "I think the hardest part was finding out. Then I didn't know who to trust.\n"
        "Now I'm trying again.")


def test_a_breath_between_words_does_not_end_a_sentence() -> None:
    assert readable(timed("i was", 0.35, "so angry"), "en") == "I was so angry."
    assert readable(timed("i was", 0.35, "so angry"), "en", sentence_pause=0.3) == (
        "I was. So angry.")


def test_every_i_form_is_a_capital_and_only_those() -> None:
    words = timed("i said i'm fine and i've been fine i'd say i'll be fine it is italy")
    assert readable(words, "en") == (
        "I said I'm fine and I've been fine I'd say I'll be fine it is italy.")


def test_a_sentence_that_starts_with_a_question_word_is_a_question() -> None:
    words = timed("why did he do it", 0.9, "what was i supposed to think", 0.9,
                  "i still wonder how")
    assert readable(words, "en") == (
        "Why did he do it? What was I supposed to think? I still wonder how.")


def test_korean_sentences_end_at_pauses_without_capitals() -> None:
    words = timed("아침에 공원에서", 0.9, "산책을 했습니다", 2.5, "왜 그랬을까")
    assert readable(words, "ko") == "아침에 공원에서. 산책을 했습니다.\n왜 그랬을까?"


def test_a_korean_question_is_told_by_its_ending_or_its_question_word() -> None:
    """-까, -니, -나요, -은가요 ask; a question word asks in a sentence ending in -요 (or
    -어, -아), unless it is an indirect question (-지); other -요 endings tell."""
    said = ("오늘 하루는 어땠나요", "그 사람을 믿을 수 있을까", "왜 그랬어요", "무엇을 원해",
            "괜찮은가요", "학교에 가요", "어떻게 해야 할지 모르겠어요", "친구와 이야기를 나눴어요",
            "언제부터 그렇게 느꼈니")
    parts: list[str | float] = []
    for sentence in said:
        parts += [sentence, 0.9]
    assert readable(timed(*parts[:-1]), "ko") == (
        "오늘 하루는 어땠나요? 그 사람을 믿을 수 있을까? 왜 그랬어요? 무엇을 원해? "
        "괜찮은가요? 학교에 가요. 어떻게 해야 할지 모르겠어요. 친구와 이야기를 나눴어요. "
        "언제부터 그렇게 느꼈니?")


def test_hangul_in_an_english_guide_is_left_as_heard() -> None:
    """A Korean model heard an English guide's answers: English's rules are for Latin
    letters, so the words stay as the recognizer wrote them."""
    words = timed("아침에 공원에서", 0.9, "산책을 했습니다")
    assert readable(words, "en") == "아침에 공원에서 산책을 했습니다"


def test_a_stray_latin_letter_does_not_make_korean_cased() -> None:
    assert readable(timed("아침에 g 공원에서", 0.9, "산책을"), "ko") == "아침에 g 공원에서. 산책을."
    assert readable(timed("아침에 g 공원에서", 0.9, "산책을"), "en") == "아침에 g 공원에서 산책을"


def test_another_cased_language_gets_capitals_and_full_stops_only() -> None:
    assert readable(timed("je suis là", 0.9, "pourquoi"), "fr") == "Je suis là. Pourquoi."


def core(token: str) -> str:
    """A word of readable text without the stop that ends its sentence."""
    return re.sub(r"[.?]$", "", token)


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz'가나다", min_size=1, max_size=8).filter(
    lambda w: any(c.isalpha() for c in w))


@given(st.lists(st.tuples(WORD, st.floats(0.0, 3.0), st.floats(0.0, 1.0)), max_size=40),
       st.sampled_from(["en", "ko", "fr"]), st.floats(0.2, 3.0))
def test_the_words_are_never_changed_lost_or_reordered(
        spec: list[tuple[str, float, float]], language: str, pause: float) -> None:
    words, at = [], 0.0
    for text, gap, conf in spec:
        words.append(Word(text, at + gap, at + gap + 0.2, conf))
        at += gap + 0.2
    text = readable(words, language, pause)
    assert [core(t).lower() for t in text.split()] == [w.text.lower() for w in words]


def test_sentences_cut_only_at_pauses_of_the_length_asked() -> None:
    words = timed("one two", 0.5, "three", 0.49, "four")
    assert [[w.text for w in s] for s in sentences(words, 0.5)] == [
        ["one", "two"], ["three", "four"]]


def test_unsure_words_are_marked_where_the_text_still_lines_up() -> None:
    words = (*timed("i trusted"), Word("hymn", 0.8, 1.0, UNSURE - 0.1))
    text = readable(words, "en")
    assert marked(text, words, lambda w: f"{w}(?)") == "I trusted hymn(?)."
    assert marked("I trusted him, I think.", words, lambda w: f"{w}(?)") == (
        "I trusted him, I think.")  # edited by hand: nothing to line up with


def test_an_answer_is_read_back_when_enough_of_it_was_doubtful() -> None:
    sure, doubtful = timed("i was hurt"), timed("i was", conf=0.3)
    assert not worth_reading_back("unsure", sure)
    assert worth_reading_back("unsure", sure + doubtful)
    assert worth_reading_back("always", sure) and not worth_reading_back("never", doubtful)
    assert not worth_reading_back("always", ())  # typed: never read back


def spoken(text: str, *pauses: float) -> Answer:
    words = timed(*[p for part in zip(text.split("|"), [*pauses, None], strict=True)
                    for p in part if p is not None])
    return Answer(" ".join(w.text for w in words), words[-1].end, "silence", words=words)


def test_scratch_drops_the_last_sentence_then_the_one_before() -> None:
    draft = Draft("en")
    draft.add(spoken("it started last spring|he never told me|i found out alone", 0.9, 0.9))
    assert draft.scratch() == "I found out alone."
    assert draft.text == "It started last spring. He never told me."
    assert draft.scratch() == "He never told me."
    assert draft.scratch() == "It started last spring."
    assert not draft and draft.scratch() is None


def test_takes_are_paragraphs_and_their_words_make_the_same_text_again() -> None:
    draft = Draft("en")
    draft.add(Command("repeat", "i was hurt", 1.0, timed("i was hurt")))
    draft.add(spoken("and then|i left", 0.9))
    assert draft.text == "I was hurt.\nAnd then. I left."
    assert readable(draft.words, "en") == draft.text
    assert draft.words[3].start - draft.words[2].end >= 2.0


def test_typed_takes_keep_their_lines_and_scratch_drops_the_last() -> None:
    draft = Draft("en")
    draft.add(Answer("first line\nsecond line", 3.0, "typed", 0.5))
    assert draft.text == "first line\nsecond line" and draft.words == ()
    assert draft.confidence == 0.5
    assert draft.scratch() == "second line" and draft.text == "first line"


def test_a_latin_capital_in_korean_is_no_sign_of_written_punctuation() -> None:
    """The Korean model's stray "G" is not an engine writing its own sentences: the pause
    still ends one, and "scratch that" still drops the last."""
    words = timed("김 이 G 백", 0.9, "여기 에 있어요")
    assert readable(words, "ko") == "김 이 G 백. 여기 에 있어요."
    assert [len(s) for s in sentences(words, 0.5, cased=False)] == [4, 3]
