"""listening/endpoint.py: the end-of-answer rules, on made-up utterance timings and a fake clock."""

from __future__ import annotations

import pytest

from assistant.speech.listening.endpoint import EndOfAnswer


def test_thinking_time_before_the_first_word_is_free() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=300.0, remind_after=None)
    assert all(rules.verdict(t) is None for t in (0.0, 3.0, 10.0, 60.0, 299.0, 400.0))


def test_silence_counts_from_the_end_of_the_last_word() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=300.0)
    rules.utterance(20.0, 24.0)
    assert rules.verdict(26.9) is None
    assert rules.verdict(27.0) == "silence"
    assert rules.seconds == pytest.approx(4.0)


def test_a_pause_shorter_than_the_silence_keeps_the_answer_open() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=300.0)
    rules.utterance(1.0, 4.0)
    assert rules.verdict(6.5) is None
    rules.utterance(6.6, 9.0)  # spoke again 2.6 s after the first part
    assert rules.verdict(11.9) is None
    assert rules.verdict(12.0) == "silence"
    assert rules.seconds == pytest.approx(8.0)


def test_an_open_utterance_whose_words_keep_coming_keeps_the_answer_open() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=300.0)
    rules.utterance(1.0, 2.0)
    for at, shown in ((4.5, ["and"]), (7.0, ["and", "then"]), (9.5, ["and", "then", "he"])):
        rules.partial(shown, at)  # vosk shows the user talking again, word by word
        assert rules.verdict(at + 2.9) is None
    rules.utterance(9.0, 10.5)
    assert rules.verdict(13.4) is None
    assert rules.verdict(13.5) == "silence"
    assert rules.seconds == pytest.approx(9.5)  # from the words' own timings


def test_an_open_utterance_that_stands_still_ends_on_silence_without_vosk() -> None:
    """Vosk can keep an utterance open through many seconds of silence (one Korean word
    did for 17.8 s): the answer ends `silence` after its words last changed, all the same."""
    rules = EndOfAnswer(silence=1.5, max_answer=300.0)
    rules.sound(1.2)
    for tenth in range(13, 29):
        rules.partial(["여기"], tenth / 10)  # shown at 1.3 s, then the same word, unchanged
        assert rules.verdict(tenth / 10) is None
    assert rules.verdict(2.75) is None
    assert rules.verdict(2.85) == "silence"


def test_words_vosk_takes_back_start_nothing() -> None:
    rules = EndOfAnswer(silence=1.5, max_answer=300.0, remind_after=None)
    rules.partial(["uh"], 1.0)
    assert rules.started == 1.0
    rules.partial([], 1.4)  # the partial empties with no final: nothing was said
    assert rules.started is None and rules.verdict(10.0) is None


def test_a_sound_before_the_silence_runs_out_waits_for_the_words() -> None:
    """Vosk shows new speech about a second late: a sound heard just before the silence
    runs out holds the decision until Vosk could have shown it as words."""
    rules = EndOfAnswer(silence=1.5, max_answer=300.0)
    rules.utterance(1.0, 2.0)
    for t in (3.1, 3.2, 3.3, 3.4):  # the user takes up the thread 1.1 s after the words
        rules.sound(t)
    assert rules.verdict(3.5) is None
    rules.partial(["again"], 4.4)  # ... and vosk has caught up with it
    assert rules.verdict(4.7) is None
    rules2 = EndOfAnswer(silence=1.5, max_answer=300.0)
    rules2.utterance(1.0, 2.0)
    rules2.sound(3.3)  # a cough that never becomes words
    assert rules2.verdict(4.4) is None
    assert rules2.verdict(4.5) == "silence"
    rules3 = EndOfAnswer(silence=1.5, max_answer=300.0)
    rules3.sound(1.9)  # sound within the words holds nothing
    rules3.utterance(1.0, 2.0)
    assert rules3.verdict(3.5) == "silence"


def test_max_answer_counts_from_the_first_word_even_while_speaking() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=60.0)
    rules.utterance(30.0, 50.0)
    rules.partial(["still", "going"], 89.5)
    assert rules.verdict(89.9) is None
    assert rules.verdict(90.0) == "max"


def test_one_reminder_after_a_long_silence_before_any_word() -> None:
    rules = EndOfAnswer(silence=3.0, max_answer=300.0, remind_after=45.0)
    assert rules.verdict(44.9) is None
    assert rules.verdict(45.0) == "remind"
    assert rules.verdict(90.0) is None  # only once
    rules2 = EndOfAnswer(silence=3.0, max_answer=300.0, remind_after=45.0)
    rules2.partial(["um"], 49.0)  # something is being said right now: no reminder over it
    assert rules2.verdict(50.0) is None


def test_partial_words_over_noise_neither_start_nor_hold_an_answer() -> None:
    """With a detector that tells speech from noise, Vosk's ever-changing words for a fan
    count only right after speech, and only up to the end of that speech."""
    fan = EndOfAnswer(silence=3.0, max_answer=300.0, remind_after=45.0, speech_only=True)
    for tenth in range(10, 460):
        fan.partial(["fan"] * (tenth // 7), tenth / 10)
    assert fan.started is None and not fan.speaking
    assert fan.verdict(45.5) == "remind"
    rules = EndOfAnswer(silence=3.0, max_answer=300.0, speech_only=True)
    for tenth in range(11, 21):
        rules.sound(tenth / 10)  # speech from 1.0 to 2.0 s
    rules.partial(["one"], 1.8)
    assert rules.started == 1.8
    rules.partial(["one", "two"], 2.9)  # Vosk shows the last word 0.9 s after it ends ...
    assert rules.changed == 2.0  # ... which counts from the end of the speech
    for tenth in range(30, 120):  # then the fan, word after word
        rules.partial(["one", "two", *["fan"] * (tenth // 7)], tenth / 10)
        assert rules.verdict(tenth / 10) is None or tenth >= 50
    assert rules.verdict(4.9) is None
    assert rules.verdict(5.0) == "silence"
