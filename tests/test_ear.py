"""The spoken ear, on made-up recognizer results: when answers end, commands, Enter, a
lost microphone, a stop request, and the transcript on screen.

These are unit tests of logic: the recognizer, the audio source and the clock are fakes
that follow a script in audio time. The real recognizer and devices are exercised in
test_vosk.py and test_spoken_session.py; the end-of-answer rules alone in test_endpoint.py.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.audio.streams import DeviceLost, EndOfInput
from assistant.speech.listening.ear import SpokenEar
from assistant.speech.stt.recognizer import Word
from assistant.terminal.console import EnterKey, LiveLine
from assistant.terminal.interrupts import StopRequest
from assistant.text.commands import Commands
from assistant.turns import Answer, Command, Interrupted

RATE = 16000
CHUNK = 0.1  # seconds per fake read
NOISE = np.random.default_rng(0).normal(0.0, 3000.0, int(RATE * CHUNK)).astype(np.int16)


# --- SpokenEar with a scripted recognizer ----------------------------------------------


class FakeRecognizer:
    """A Recognizer (stt/recognizer.py) answering from a script on its own clock.

    `events` are (time, kind, payload): kind "partial" (text) shows from that time until
    the next final; kind "final" (a list of (word, start, end, conf)) closes the utterance
    with the feed() that reaches its time. Like a real one, its clock starts after the
    warm-up (`warm` seconds) and keeps counting across reset()."""

    def __init__(self, events: list[tuple[float, str, Any]], warm: float = 0.0) -> None:
        self.events = sorted(events, key=lambda e: e[0])
        self.elapsed = warm
        self.shown = ""
        self.resets = 0

    def feed(self, pcm: bytes) -> list[Word] | None:
        self.elapsed = round(self.elapsed + len(pcm) / 2 / RATE, 6)
        while self.events and self.events[0][0] <= self.elapsed + 1e-9:
            _, kind, payload = self.events.pop(0)
            if kind == "partial":
                self.shown = str(payload)
            else:
                self.shown = ""
                return [Word(*w) for w in payload]
        return None

    def partial(self) -> list[str]:
        return self.shown.split()

    def flush(self) -> list[Word]:
        words, self.shown = self.shown.split(), ""
        end = self.elapsed - 0.3
        return [Word(w, end - 0.2 * (len(words) - i), end - 0.2 * (len(words) - i - 1), 1.0)
                for i, w in enumerate(words)]

    def reset(self) -> None:
        self.shown = ""
        self.resets += 1


def spoken(text: str, start: float, end: float, conf: float = 1.0,
           delay: float = 0.6) -> list[tuple[float, str, Any]]:
    """Events for an utterance: partials while it is said, the final `delay` after it."""
    words = text.split()
    step = (end - start) / len(words)
    timed = [(w, start + i * step, start + (i + 1) * step, conf) for i, w in enumerate(words)]
    partials = [(start + (i + 1) * step, "partial", " ".join(words[: i + 1]))
                for i in range(len(words))]
    return [*partials, (end + delay, "final", timed)]


class FakeSource:
    """Delivers `seconds` of audio in 0.1 s chunks, then raises `end` (EndOfInput)."""

    def __init__(self, seconds: float, end: Exception | None = None) -> None:
        self.rate = RATE
        self.overflows = 0
        self.left = round(seconds / CHUNK)
        self.end = end or EndOfInput("the recording ended")
        self.held = False
        self.read_while_held = 0
        self.reads = 0
        self.closed = False
        self.loud = (0.0, 0.0)  # audio time (since the first read) when speech-loud sound comes

    def start(self) -> None: ...

    def close(self) -> None:
        self.closed = True

    def read(self, timeout: float) -> bytes:
        if self.held:
            self.read_while_held += 1
            return b""
        if self.left <= 0:
            raise self.end
        self.left -= 1
        self.reads += 1
        at = self.reads * CHUNK
        if self.loud[0] < at <= self.loud[1] + 1e-9:
            return NOISE.tobytes()
        return bytes(int(RATE * CHUNK) * 2)

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False


class Recorder:
    """A Transcript and a notice callback that remember what they were given."""

    def __init__(self, source: FakeSource | None = None) -> None:
        self.lines: list[str] = []
        self.notices: list[tuple[str, bool]] = []
        self.source = source

    def listening(self) -> None:
        self.lines.append("listening")

    def partial(self, text: str) -> None:
        self.lines.append(f"partial {text}")

    def done(self, text: str) -> None:
        self.lines.append(f"done {text}")

    def aside(self) -> None:
        self.lines.append("aside")

    def notice(self, text: str) -> None:
        self.notices.append((text, self.source.held if self.source else False))


class Scripted:
    """A SpeechDetector that tells speech from noise, as Silero does: it hears speech in
    the `spans` of audio time (since the first read), and nothing else."""

    name = "scripted"
    tells_noise = True

    def __init__(self, *spans: tuple[float, float]) -> None:
        self.spans = spans
        self.at = 0.0

    def speech(self, pcm: bytes) -> bool:
        start, self.at = self.at, round(self.at + len(pcm) / 2 / RATE, 6)
        return any(s < self.at and start < e for s, e in self.spans)

    def reset(self) -> None:
        """Its clock goes on: the fake source stands still while held."""


def make_ear(events: list[tuple[float, str, Any]], seconds: float, *,
             silence: float = 3.0, max_answer: float = 300.0, warm: float = 0.0,
             end: Exception | None = None, remind_after: float | None = None,
             enter: threading.Event | None = None, fallback=None,
             stop: StopRequest | None = None, detector: Scripted | None = None):
    source = FakeSource(seconds, end)
    rec = FakeRecognizer(events, warm)
    seen = Recorder(source)
    ear = SpokenEar(source, lambda: rec, Settings(answer_silence=silence,
                    max_answer=max_answer), Commands("en").match, transcript=seen,
                    notice=seen.notice, enter_pressed=enter, fallback=fallback,
                    remind_after=remind_after, stop=stop, detector=detector)
    return ear, source, rec, seen


@pytest.mark.parametrize("final", [True, False], ids=["vosk-flushes", "vosk-drops-the-partial"])
def test_a_stop_request_mid_answer_carries_every_word_shown(final: bool) -> None:
    """SIGTERM while the user speaks: the finished words and the words the live line shows
    (flushed from Vosk, or as shown when Vosk's flush drops them) come with the request."""
    stop = StopRequest()
    events = [*spoken("i trusted him", 1.0, 2.0, conf=0.5), (3.0, "partial", "and he")]
    ear, source, rec, seen = make_ear(events, seconds=30, stop=stop)
    reads = source.read

    def read(timeout: float) -> bytes:
        if source.reads == 35:  # 3.5 s: "and he" is on the live line
            stop._handle(signal.SIGTERM, None)
            if not final:
                rec.flush = lambda: []  # type: ignore[method-assign]
        return reads(timeout)

    source.read = read  # type: ignore[method-assign]
    with pytest.raises(Interrupted) as raised:
        ear.listen()
    heard = raised.value.heard
    assert isinstance(heard, Answer)
    assert (heard.text, heard.ended) == ("i trusted him and he", "interrupted")
    assert heard.confidence == (pytest.approx(0.7) if final else 0.5)  # flushed: conf 1
    assert "partial i trusted him and he" in seen.lines
    assert not any(line.startswith("done") for line in seen.lines)  # nothing printed after
    assert source.held and source.reads == 36


def test_one_answer_ends_after_the_silence_and_keeps_the_words() -> None:
    ear, source, _, seen = make_ear(
        spoken("i trusted him", 8.0, 9.5, conf=0.8) + spoken("and he lied", 10.5, 11.5,
                                                                conf=0.6), seconds=60)
    heard = ear.listen()
    assert isinstance(heard, Answer)
    assert replace(heard, words=()) == Answer("i trusted him and he lied", 3.5, "silence", 0.7)
    assert [(w.text, w.conf) for w in heard.words] == [
        ("i", 0.8), ("trusted", 0.8), ("him", 0.8), ("and", 0.6), ("he", 0.6), ("lied", 0.6)]
    assert (heard.words[0].start, heard.words[-1].end) == (8.0, 11.5)
    assert source.reads == round((11.5 + 3.0) / CHUNK)  # decided exactly 3 s after the words
    assert seen.lines[0] == "listening" and seen.lines[-1] == "done i trusted him and he lied"


def test_answers_split_on_a_silence_and_the_source_is_held_between_them() -> None:
    events = spoken("first answer", 1.0, 2.0) + spoken("second answer here", 6.0, 7.5)
    ear, source, rec, _ = make_ear(events, seconds=30, silence=3.0)
    assert source.held  # nothing is heard before listen()
    first = ear.listen()
    assert isinstance(first, Answer) and first.text == "first answer"
    assert source.held and source.read(0.1) == b"" and source.read_while_held
    second = ear.listen()
    assert isinstance(second, Answer) and second.text == "second answer here"
    assert second.seconds == pytest.approx(1.5)
    assert rec.resets == 2  # one recognizer, reset for each answer


def test_time_counts_across_listens_and_warm_up() -> None:
    """The recognizer's word times keep counting after a reset and include the warm-up
    audio; the ear measures each answer from where its own listening began."""
    ear, source, _, _ = make_ear(spoken("after the warm up", 1.5 + 4.0, 3.0 + 4.0),
                                 seconds=20, warm=1.5, silence=2.0)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.seconds == pytest.approx(1.5)
    assert source.reads == round((3.0 + 4.0 + 2.0 - 1.5) / CHUNK)


def test_an_open_utterance_keeps_the_answer_going_while_there_is_sound() -> None:
    events = [*spoken("one", 1.0, 1.5),
              (2.2, "partial", "and then"),  # talking on, vosk still undecided ...
              (9.0, "final", [("and", 2.0, 2.5, 1.0), ("then", 2.5, 8.8, 1.0)])]
    ear, source, _, _ = make_ear(events, seconds=30, silence=3.0)
    source.loud = (2.0, 8.8)  # ... and the microphone hears it all along
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.text == "one and then"
    assert heard.seconds == pytest.approx(7.8)


def test_a_command_on_its_own_is_acted_on_and_kept_out_of_the_entry() -> None:
    events = spoken("i was hurt", 1.0, 2.0) + spoken("repeat", 3.0, 3.5)
    ear, _, _, seen = make_ear(events, seconds=30)
    heard = ear.listen()
    assert replace(heard, words=()) == Command("repeat", "i was hurt", 1.0)
    assert " ".join(w.text for w in heard.words) == "i was hurt"
    assert "done repeat" in seen.lines


def test_a_command_word_inside_an_answer_is_content() -> None:
    ear, _, _, _ = make_ear(spoken("i want to stop feeling this way", 1.0, 3.0), seconds=30)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.text == "i want to stop feeling this way"
    assert heard.ended == "silence"


def test_finish_after_words_ends_the_answer_and_alone_moves_on() -> None:
    ear, _, _, _ = make_ear(spoken("that is all i have", 1.0, 2.0) + spoken("done", 2.5, 2.8),
                            seconds=30)
    heard = ear.listen()
    assert replace(heard, words=()) == Answer("that is all i have", 1.0, "command", 1.0)
    ear2, _, _, _ = make_ear(spoken("i'm done", 4.0, 4.5), seconds=30)
    assert ear2.listen() == Command("finish", "", 0.0)


def test_skip_alone_carries_nothing() -> None:
    ear, _, _, _ = make_ear(spoken("skip", 2.0, 2.3), seconds=30)
    assert ear.listen() == Command("skip", "", 0.0)


def test_enter_ends_the_answer_with_the_words_vosk_still_holds() -> None:
    enter = threading.Event()
    enter.set()  # pressed during the question: cleared when listening starts
    events = [*spoken("so far", 1.0, 1.5), (2.2, "partial", "and more")]
    ear, source, _, _ = make_ear(events, seconds=30, enter=enter)
    original = source.read

    def read(timeout: float) -> bytes:
        if source.reads == 25:  # 2.5 s in: the user presses Enter
            enter.set()
        return original(timeout)

    source.read = read  # type: ignore[method-assign]
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.ended == "enter"
    assert heard.text == "so far and more"
    assert source.reads == 26


def test_enter_with_nothing_said_moves_on() -> None:
    enter = threading.Event()
    ear, source, _, _ = make_ear([], seconds=30, enter=enter)
    original = source.read
    source.read = lambda timeout: (enter.set(), original(timeout))[1]  # type: ignore
    assert ear.listen() == Command("finish", "", 0.0)


def test_max_answer_is_announced_without_being_heard() -> None:
    events = spoken("on and on", 1.0, 8.0) + spoken("and on", 8.2, 15.0)
    ear, _, _, seen = make_ear(events, seconds=60, max_answer=10.0)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.ended == "max"
    assert seen.notices == [(Msg.MAX_ANSWER_REACHED.format(), True)]


def test_a_reminder_after_a_long_silence_then_the_answer() -> None:
    ear, source, _, seen = make_ear(spoken("sorry i was thinking", 50.0, 52.0), seconds=70,
                                    remind_after=45.0)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.text == "sorry i was thinking"
    assert seen.notices == [(Msg.STILL_LISTENING.format(), True)]  # said while on hold
    assert not source.read_while_held


def test_a_lost_microphone_keeps_what_was_heard_then_goes_typed() -> None:
    class Typed:
        def listen(self, within: float | None = None) -> Answer:
            return Answer("typed instead", 1.0, "typed")

    events = [*spoken("what i said", 1.0, 2.0), (2.7, "partial", "before it")]
    ear, _, _, seen = make_ear(events, seconds=2.8, end=DeviceLost("unplugged"),
                               fallback=Typed)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.ended == "device-lost"
    assert heard.text == "what i said before it"
    # The answer carries the news: the session says it once the answer is saved, right
    # away -- not after the next question, and also after the last one.
    assert heard.notice == Msg.MIC_LOST.format()
    assert seen.notices == []
    assert ear.listen() == Answer("typed instead", 1.0, "typed")
    assert ear.listen() == Answer("typed instead", 1.0, "typed")
    assert seen.notices == []  # never a second time


def test_a_microphone_lost_before_any_word_says_so_then_goes_typed() -> None:
    class Typed:
        def listen(self, within: float | None = None) -> Answer:
            return Answer("typed instead", 1.0, "typed")

    ear, source, _, seen = make_ear([], seconds=1.0, end=DeviceLost("unplugged"),
                                    fallback=Typed)
    assert ear.listen() == Answer("typed instead", 1.0, "typed")
    assert [text for text, _ in seen.notices] == [Msg.MIC_LOST.format()] and source.closed
    assert ear.listen() == Answer("typed instead", 1.0, "typed")
    assert len(seen.notices) == 1


def test_nothing_heard_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Neither partial words nor answers are logged, even at DEBUG and when the
    microphone is lost (which is logged)."""
    events = [*spoken("private words here", 1.0, 2.0), (2.7, "partial", "more secrets")]
    with caplog.at_level(logging.DEBUG):
        ear, _, _, _ = make_ear(events, seconds=2.8, end=DeviceLost("unplugged"),
                                fallback=lambda: None)
        heard = ear.listen()
    assert isinstance(heard, Answer) and "secrets" in heard.text
    assert "microphone was lost" in caplog.text
    assert not {"private", "words", "secrets"} & set(caplog.text.split())


def test_the_end_of_a_recording_saves_what_is_pending_then_stops() -> None:
    ear, _, _, _ = make_ear(spoken("last words", 1.0, 2.0, delay=0.5), seconds=2.2)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.ended == "end-of-input"
    assert heard.text == "last words"
    assert ear.listen() == Command("stop")
    ear2, _, _, _ = make_ear([], seconds=1.0)
    assert ear2.listen() == Command("stop")


def test_noise_only_utterances_start_nothing() -> None:
    # A recognizer gives no words for noise ("[noise]" and the like: test_vosk.py), only
    # the close of an utterance that held none.
    events = [(1.0, "partial", ""), (2.0, "final", []), *spoken("real words", 10.0, 11.0)]
    ear, source, _, _ = make_ear(events, seconds=30, silence=2.0)
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.text == "real words"
    assert source.reads == 130


# --- noise: Vosk's words where the detector heard no speech ------------------------------


def fan(start: float, end: float) -> list[tuple[float, str, Any]]:
    """Vosk's words for a fan running from `start` to `end`: one more every half second."""
    steps = int((end - start) / 0.5)
    return [*((start + 0.5 * k, "partial", " ".join(["fan"] * k)) for k in range(1, steps)),
            (end + 0.5, "final", [("fan", start + 0.5 * k, start + 0.5 * (k + 1), 0.4)
                                  for k in range(steps)])]


def test_words_of_noise_after_the_answer_neither_hold_it_open_nor_join_it() -> None:
    events = [*spoken("i trusted him", 1.0, 2.0), *fan(2.8, 20.0)]
    ear, source, _, seen = make_ear(events, seconds=30, detector=Scripted((1.0, 2.0)))
    heard = ear.listen()
    assert isinstance(heard, Answer) and (heard.text, heard.ended) == ("i trusted him",
                                                                       "silence")
    assert source.reads == round((2.0 + 3.0) / CHUNK)  # 3 s after the last word
    assert not any("fan" in line for line in seen.lines)  # nor on the live line
    loud, _, _, _ = make_ear(events, seconds=30)  # the loudness rule keeps them, as before
    assert "fan" in loud.listen().text


def test_a_pause_full_of_noise_stays_inside_the_answer() -> None:
    events = [*spoken("i trusted him", 1.0, 2.0), *fan(2.5, 4.0),
              *spoken("and he lied", 4.6, 5.5)]
    ear, source, _, _ = make_ear(events, seconds=30,
                                 detector=Scripted((1.0, 2.0), (4.6, 5.5)))
    heard = ear.listen()
    assert isinstance(heard, Answer) and heard.text == "i trusted him and he lied"
    assert heard.seconds == pytest.approx(4.5)
    assert source.reads == round((5.5 + 3.0) / CHUNK)


def test_noise_that_vosk_hears_as_a_command_is_no_command() -> None:
    events = [(3.0, "final", [("skip", 2.5, 3.0, 0.5)]), *spoken("skip", 6.0, 6.4)]
    ear, source, _, _ = make_ear(events, seconds=30, detector=Scripted((6.0, 6.4)))
    assert ear.listen() == Command("skip", "", 0.0)
    assert source.reads == 70  # the second one, said


def test_close_releases_the_source() -> None:
    ear, source, _, _ = make_ear([], seconds=1)
    ear.close()
    assert source.closed


# --- the transcript on screen -----------------------------------------------------------


def test_live_line_in_a_terminal_rewrites_one_line() -> None:
    out = io.StringIO()
    line = LiveLine(out, live=True)
    line.listening()
    line.partial("hello")
    line.partial("hello there")
    line.done("hello there")
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith(Msg.HEARD.format(text="hello there") + "\n")
    assert "\rhello " in text and "\rhello there\r" in text


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    line = LiveLine(out, live=False)
    line.listening()
    line.partial("hello")
    line.aside()
    line.done("hello there")
    assert out.getvalue().splitlines() == [Msg.LISTENING.format(),
                                           Msg.HEARD.format(text="hello there")]


def test_the_live_line_never_wraps() -> None:
    out = io.StringIO()
    line = LiveLine(out, live=True)
    line.partial("가" * 500)
    shown = out.getvalue().split("\r")[-1]
    assert 2 * len(shown.strip("\u2026 ")) < 500


def test_a_model_that_fails_to_load_means_typed_answers() -> None:
    """The model loads in the background; if Vosk cannot load it, the first listen() says
    why and the session goes on typed instead of stopping."""
    def broken() -> FakeRecognizer:
        raise ReflectError(Msg.NOT_A_MODEL, path="/models/x", reason="Vosk could not load it")

    class Typed:
        def listen(self, within: float | None = None) -> Answer:
            return Answer("typed", 1.0, "typed")

    source = FakeSource(10)
    seen = Recorder(source)
    ear = SpokenEar(source, broken, Settings(), Commands("en").match,
                    notice=seen.notice, fallback=Typed)
    assert ear.listen() == Answer("typed", 1.0, "typed")
    assert len(seen.notices) == 1 and "Vosk could not load it" in seen.notices[0][0]
    assert Msg.TYPING_INSTEAD.format() in seen.notices[0][0] and source.closed


def test_enter_key_presses_then_hands_its_lines_to_typing() -> None:
    """One thread owns stdin: lines are key presses until the ear goes typed, then they
    are typed answers (never two readers on one terminal)."""
    read, write = os.pipe()
    pressed = threading.Event()
    with os.fdopen(read) as inp, os.fdopen(write, "w") as out:
        key = EnterKey(inp, pressed.set)
        out.write("\n")
        out.flush()
        assert pressed.wait(5)
        typed = key.typed()
        pressed.clear()
        out.write("an answer typed instead\n")
        out.close()
        assert typed.readline() == "an answer typed instead\n"
        assert typed.readline() == "" and typed.readline() == ""
        assert not pressed.is_set()
