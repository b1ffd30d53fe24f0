"""What Whisper makes up, kept out of an entry (stt/guards.py), and readable text for an
engine that writes its own punctuation (text/readable.py). Pure logic."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.speech.stt import guards
from assistant.text.readable import marked, readable, sentences, written
from assistant.turns import Word


@dataclass
class Said:
    probability: float


@dataclass
class Segment:
    no_speech_prob: float = 0.05
    avg_logprob: float = -0.2
    compression_ratio: float = 1.2
    words: list[Said] | None = None


def test_speech_whisper_believes_is_trusted() -> None:
    assert guards.trusted(Segment(words=[Said(0.9), Said(0.1)]))


def test_what_whisper_doubts_is_speech_is_dropped() -> None:
    """The "Thank you." it wrote over the quiet after an answer: 0.60 and -1.14."""
    assert not guards.trusted(Segment(no_speech_prob=0.60, avg_logprob=-1.14,
                                      words=[Said(0.01), Said(0.98)]))


def test_a_breath_made_a_word_is_dropped_but_a_real_short_command_is_kept() -> None:
    assert not guards.trusted(Segment(no_speech_prob=0.36, avg_logprob=-1.2,
                                      words=[Said(0.02)]))  # "Yes." for a breath
    assert guards.trusted(Segment(no_speech_prob=0.08, avg_logprob=-0.74,
                                  words=[Said(0.08)]))  # "Skip." said alone


def test_a_loop_is_dropped() -> None:
    assert not guards.trusted(Segment(compression_ratio=2.6))


def words(*texts: str) -> list[Word]:
    return [Word(t, i * 0.3, i * 0.3 + 0.2) for i, t in enumerate(texts)]


def test_a_phrase_repeated_over_and_over_is_cut_to_one_copy() -> None:
    looped = words("I", "said", *["thank", "you."] * 6, "then")
    assert [w.text for w in guards.unrepeated(looped)] == ["I", "said", "thank", "you.",
                                                           "then"]


def test_three_copies_are_what_people_say() -> None:
    said = words("No,", "no,", "no.", "Never", "again.")
    assert guards.unrepeated(said) == said


def text(said: list[Word]) -> list[str]:
    return [w.text for w in said]


def test_a_command_looped_by_a_short_window_is_one_command() -> None:
    assert text(guards.once(words("Done.", "Done.", "Done."))) == ["Done."]
    assert text(guards.once(words("Move", "on.", "Move", "on.", "Move"))) == ["Move", "on."]
    assert text(guards.once(words("What", "can", "I", "say?", "What"))) == [
        "What", "can", "I", "say?"]


def test_a_command_said_once_is_kept_whole() -> None:
    for said in (words("Go", "back."), words("Back", "in."), words("Stop."), []):
        assert guards.once(said) == said


def test_written_words_are_kept_as_written() -> None:
    heard = words("It", "was", "cold,", "but", "bright.", "We", "walked.")
    assert written(heard) and not written(words("i", "think", "so"))
    assert readable(heard, "en") == "It was cold, but bright. We walked."
    assert [len(s) for s in sentences(heard, 0.5)] == [5, 2]


def test_a_doubtful_written_word_is_marked_with_its_own_stop() -> None:
    heard = [Word("By", 0.0, 0.2, 0.9), Word("the", 0.3, 0.4, 0.9),
             Word("river.", 0.5, 0.8, 0.3)]
    assert marked("By the river.", heard, lambda w: f"{w}(?)") == "By the river.(?)"
