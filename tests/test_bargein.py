"""Barge-in (listening/bargein.py), on fakes: a command said while Reflect speaks hushes the voice
and is handed to the ear; anything else -- answers, replies, Reflect's own echo, a long
talk in the room -- is not; the watcher never reads when it should not, and a lost
microphone or a broken recognizer stops it quietly.

The source is a queue of chunks on a fake clock (each chunk moves it on by its length),
the recognizer says what the test tells it once it was fed speech, the detector hears
speech in any chunk that is not silent, and the echo rule is the real Playback (listening/echo.py),
told what the "speaker" plays as each chunk is read. No audio device, no vosk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator

import numpy as np
import pytest

from assistant.speech.audio.streams import DeviceLost, EndOfInput
from assistant.speech.listening.bargein import LEAD_IN, LONGEST, QUIET_END, BargeIn
from assistant.speech.listening.echo import KEEP, Playback
from assistant.speech.stt.recognizer import Word
from assistant.text.commands import Commands
from assistant.turns import Command

RATE = 16000
CHUNK = 0.1  # seconds per chunk the fake microphone gives
PLAYED = 1000.0  # level of Reflect's voice at the speaker (RMS of int16)
ECHO = 300.0  # its echo at the microphone: 0.3 of it
USER = 3000.0  # the user, 3x louder than Reflect's voice (clearly more than its echo)
WAIT = 2.0  # seconds a test waits for the watcher at most (it takes milliseconds)


def chunks_for(seconds: float) -> int:
    """How many chunks the watcher, adding up their lengths, needs to reach `seconds`."""
    count, total = 0, 0.0
    while total < seconds:
        count, total = count + 1, total + CHUNK
    return count


QUIET = chunks_for(QUIET_END)  # quiet chunks that end an utterance


def sound(rms: float, seconds: float = CHUNK) -> np.ndarray:
    """Samples alternating +rms/-rms: exactly `rms` loud (zeros when 0)."""
    n = int(RATE * seconds)
    return (np.where(np.arange(n) % 2 == 0, 1, -1) * round(rms)).astype(np.int16)


def loudness(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, np.int16).astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0


class Clock:
    """time.monotonic stand-in, moved on by the microphone as it gives audio."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeMic:
    """A Source (audio/streams.py): chunks queued by the test, each with what the speaker plays
    meanwhile (told to the Playback as the chunk is read). read() waits up to `timeout`
    for a chunk and gives b"" when none came; `error` is raised by every read once set."""

    def __init__(self, clock: Clock, playback: Playback) -> None:
        self.rate = RATE
        self.overflows = 0
        self.clock = clock
        self.playback = playback
        self.held = True  # as the ear leaves it
        self.calls: list[str] = []  # "hold" / "release", in order
        self.reads = 0
        self.error: Exception | None = None
        self._chunks: deque[tuple[bytes, float | None]] = deque()
        self._idle = False  # a read found nothing left: every chunk before it was dealt with
        self._cond = threading.Condition()

    def add(self, rms: float, count: int = 1, played: float | None = None) -> None:
        """`count` chunks at level `rms`; `played`: the level the speaker plays meanwhile."""
        with self._cond:
            self._chunks.extend([(sound(rms).tobytes(), played)] * count)
            self._idle = False
            self._cond.notify_all()

    def read(self, timeout: float) -> bytes:
        with self._cond:
            self.reads += 1
            self._cond.notify_all()
            if self.error is not None:
                raise self.error
            if not self._chunks:
                self._idle = True
                self._cond.notify_all()
                self._cond.wait(timeout)
                if not self._chunks:
                    return b""
            data, played = self._chunks.popleft()
        seconds = len(data) / 2 / RATE
        if played is not None:  # the speaker played this while the chunk was heard
            self.playback.played(sound(played, 0.02), self.clock.now)
        self.clock.now += seconds
        return data

    def wait_idle(self) -> bool:
        """Until every chunk added was read and dealt with (the watcher asked for more)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._idle and not self._chunks, WAIT)

    def settled(self, hushed: threading.Event) -> bool:
        """Until every chunk added was dealt with, or the voice was hushed (the watcher
        stops reading then)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: hushed.is_set() or (self._idle and not self._chunks), WAIT)

    def poke(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait_reads(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.reads >= count, WAIT)

    def hold(self) -> None:
        self.held = True
        self.calls.append("hold")

    def release(self) -> None:
        self.held = False
        self.calls.append("release")

    def start(self) -> None: ...

    def close(self) -> None: ...


class FakeRecognizer:
    """A Recognizer (stt/recognizer.py) that hears `says` in any utterance fed a chunk of speech
    (anything not silent), and nothing in silence alone. Its partial() shows those words
    as soon as speech was fed when `partials` is set, else nothing (a slow recognizer)."""

    def __init__(self, says: str) -> None:
        self.says = says
        self.partials = False
        self.fed: list[bytes] = []  # everything ever fed
        self.utterance: list[bytes] = []  # fed since the last reset or flush
        self.resets = 0
        self.flushes = 0
        self.elapsed = 0.0

    def feed(self, pcm: bytes) -> list[Word] | None:
        self.fed.append(pcm)
        self.utterance.append(pcm)
        self.elapsed += len(pcm) / 2 / RATE
        return None

    def heard(self) -> bool:
        return any(loudness(c) > 0 for c in self.utterance)

    def partial(self) -> list[str]:
        return self.says.split() if self.partials and self.heard() else []

    def flush(self) -> list[Word]:
        self.flushes += 1
        heard, self.utterance = self.heard(), []
        if not heard:
            return []
        return [Word(w, self.elapsed - 0.2, self.elapsed, 1.0) for w in self.says.split()]

    def reset(self) -> None:
        self.resets += 1
        self.utterance = []


class FakeDetector:
    """A SpeechDetector that hears speech in every chunk that is not silent -- Reflect's
    echo included, as a real one does."""

    name = "fake"
    tells_noise = True

    def __init__(self) -> None:
        self.resets = 0

    def speech(self, pcm: bytes) -> bool:
        return loudness(pcm) > 100.0

    def reset(self) -> None:
        self.resets += 1


class Rig:
    """One BargeIn on fakes, with what its callbacks were told."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.playback = Playback()
        self.mic = FakeMic(self.clock, self.playback)
        self.rec = FakeRecognizer("stop")
        self.detector = FakeDetector()
        self.made_on: list[str] = []  # the threads the recognizer was made on
        self.broken = False  # making the recognizer fails
        self.hushes = 0
        self.unhushes = 0
        self.hushed = threading.Event()
        self.barge = BargeIn(self.mic, self.make, self.detector, self.playback,
                             Commands("en").match, self.hush, self.unhush, clock=self.clock)

    def make(self) -> FakeRecognizer:
        self.made_on.append(threading.current_thread().name)
        if self.broken:
            raise RuntimeError("the model will not load")
        return self.rec

    def hush(self) -> None:
        self.hushes += 1
        self.hushed.set()
        self.mic.poke()

    def unhush(self) -> None:
        self.unhushes += 1

    def say(self, speech: float = CHUNK * 4, *, over: bool = True) -> None:
        """The user says something `speech` seconds long after 0.3 s of quiet, then is
        quiet for QUIET_END and one chunk more; Reflect speaks all along when `over` (its
        echo is heard in the quiet), else it is silent."""
        played, background = (PLAYED, ECHO) if over else (None, 0.0)
        self.mic.add(background, 3, played)
        self.mic.add(USER, round(speech / CHUNK), played)
        self.mic.add(background, QUIET + 1, played)


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.barge.close()


def test_the_fakes_hold_the_levels_the_rule_needs() -> None:
    """The user is clearly louder than any echo before a gain is learnt (2x what was
    played), the echo is not; and the quiet after a command ends it."""
    assert USER > 2.0 * PLAYED >= ECHO
    assert QUIET_END - 1e-9 <= QUIET * CHUNK < QUIET_END + CHUNK


# --- a command ----------------------------------------------------------------------------


@pytest.mark.parametrize("over", [True, False], ids=["over-the-voice", "in-a-pause"])
def test_a_command_hushes_the_voice_once_and_is_taken(rig: Rig, over: bool) -> None:
    """"stop" said as an utterance of its own while watching: the voice is hushed at once,
    take() hands the command over and lets the voice speak again, the source is held."""
    rig.barge.watch()
    assert rig.mic.calls == ["release"] and not rig.mic.held
    rig.say(over=over)
    assert rig.hushed.wait(WAIT)
    assert (rig.hushes, rig.unhushes) == (1, 0)
    reads = rig.mic.reads
    assert rig.barge.take() == Command("stop")
    assert (rig.hushes, rig.unhushes) == (1, 1)
    assert rig.mic.held and rig.mic.calls == ["release", "hold"]
    assert rig.mic.reads == reads  # it stopped reading when it heard the command
    # decided with the quiet chunk after the speech that reached QUIET_END
    assert rig.barge.heard_at == pytest.approx(100.0 + CHUNK * (3 + 4 + QUIET))
    assert rig.rec.flushes == 1 and rig.rec.resets == 1
    assert rig.made_on == ["reflect-barge-in"]  # made on the watcher's thread
    assert rig.barge.take() is None and rig.unhushes == 1  # taken once only


def test_a_command_not_taken_yet_is_kept_through_another_watch(rig: Rig) -> None:
    """watch() with a command still to take neither releases the source nor drops it."""
    rig.barge.watch()
    rig.say()
    assert rig.hushed.wait(WAIT)
    rig.barge.watch()
    assert rig.mic.calls == ["release"]
    assert rig.barge.take() == Command("stop")


def test_watching_again_after_a_command_hears_the_next(rig: Rig) -> None:
    """After take(), watch() listens anew with the same recognizer (made once)."""
    rig.barge.watch()
    rig.say()
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("stop")
    rig.hushed.clear()
    rig.rec.says = "skip that"
    rig.barge.watch()
    rig.say()
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("skip")
    assert (rig.hushes, rig.unhushes) == (2, 2)
    assert len(rig.made_on) == 1 and rig.detector.resets == 2


# --- not a command ------------------------------------------------------------------------


@pytest.mark.parametrize("partials", [False, True], ids=["final", "partial"])
@pytest.mark.parametrize("says", ["keep", "resume", "i want to stop feeling this way",
                                  "stop and then skip", ""],
                         ids=["reply", "resume", "an-answer", "two-commands", "nothing"])
def test_what_is_not_a_barge_in_command_is_left_alone(rig: Rig, says: str,
                                                      partials: bool) -> None:
    """A read-back reply, "resume", words of an answer, or no words at all, in the final
    result or already in the partial words: the voice goes on and take() has nothing
    (the utterance was considered: flushed once)."""
    rig.rec.says = says
    rig.rec.partials = partials
    rig.barge.watch()
    rig.say()
    assert rig.mic.wait_idle()
    assert rig.rec.flushes == 1
    assert rig.barge.take() is None
    assert (rig.hushes, rig.unhushes) == (0, 0)
    assert rig.mic.held


def test_an_utterance_that_is_no_command_does_not_stop_the_watch(rig: Rig) -> None:
    """An answer-like utterance, then a command: the command is still heard."""
    rig.rec.says = "i am not sure"
    rig.barge.watch()
    rig.say()
    assert rig.mic.wait_idle() and rig.hushes == 0
    rig.rec.says = "pause"
    rig.say()
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("pause")


def test_reflects_own_echo_never_reaches_the_recognizer(rig: Rig) -> None:
    """Reflect speaks for three seconds and the microphone hears only its echo, which the
    detector takes for speech: the echo rule keeps all of it from the recognizer (which
    would have heard "stop" in it), so nothing is hushed."""
    rig.barge.watch()
    rig.mic.add(ECHO, 30, played=PLAYED)
    assert rig.mic.wait_idle()
    assert rig.rec.fed == [] and rig.rec.resets == 0 and rig.rec.flushes == 0
    assert rig.barge.take() is None
    assert rig.hushes == 0


@pytest.mark.parametrize("partials", [False, True], ids=["final", "partial"])
def test_a_talk_longer_than_longest_is_no_command(rig: Rig, partials: bool) -> None:
    """Someone talking on for more than LONGEST is a conversation in the room: even if
    the recognizer shows "stop" as it goes and makes "stop" of it at the end, nothing is
    hushed; a command said after it is heard."""
    rig.rec.partials = partials
    rig.barge.watch()
    rig.say(LONGEST + 0.5, over=False)
    assert rig.mic.wait_idle()
    assert rig.rec.flushes == 0 and rig.hushes == 0
    rig.say(over=False)
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("stop")


def test_a_slowly_said_command_counts(rig: Rig) -> None:
    """A command said slowly, its quiet end included well within LONGEST, is one."""
    rig.rec.says = "i didn't catch that"
    rig.barge.watch()
    rig.say(LONGEST - QUIET_END - 2 * CHUNK, over=False)
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("repeat")


def test_a_command_over_a_voice_whose_echo_was_learnt_is_heard(rig: Rig) -> None:
    """Reflect has spoken for a while: the echo's gain is learnt (0.3), its echo is still
    Reflect's own, and a command said over it is heard."""
    rig.barge.watch()
    rig.mic.add(ECHO, KEEP, PLAYED)
    assert rig.mic.wait_idle()
    assert rig.playback.gain() == pytest.approx(ECHO / PLAYED)
    assert rig.rec.fed == []
    rig.say()
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("stop")


def test_a_command_is_acted_on_at_the_first_pause_after_its_words(rig: Rig) -> None:
    """When the words so far are a whole command, the first chunk without the user's
    speech decides it, without waiting for QUIET_END."""
    rig.rec.partials = True
    rig.barge.watch()
    rig.mic.add(ECHO, 3, PLAYED)
    rig.mic.add(USER, 4, PLAYED)
    rig.mic.add(ECHO, 1, PLAYED)
    assert rig.hushed.wait(WAIT)
    assert rig.barge.heard_at == pytest.approx(100.0 + CHUNK * 8)
    assert rig.rec.flushes == 0
    assert rig.barge.take() == Command("stop")
    assert rig.unhushes == 1


def test_the_rest_of_a_command_acted_on_early_is_not_another(rig: Rig) -> None:
    """A command decided at a pause in its utterance ("stop ... the session"): when the
    watch resumes, the rest of that utterance, up to QUIET_END of quiet, is passed over;
    what is said after it is heard again."""
    rig.rec.partials = True
    rig.barge.watch()
    rig.mic.add(USER, 4)
    rig.mic.add(0.0, 1)
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("stop")
    rig.hushed.clear()
    rig.barge.watch()
    rig.mic.add(USER, 3)  # "... the session"
    rig.mic.add(0.0, QUIET + 1)
    assert rig.mic.wait_idle()
    assert rig.hushes == 1 and rig.rec.flushes == 0
    rig.rec.says = "skip"
    rig.say(over=False)
    assert rig.hushed.wait(WAIT)
    assert rig.barge.take() == Command("skip")


# --- when it reads --------------------------------------------------------------------------


def test_nothing_is_read_before_watch(rig: Rig) -> None:
    """A new watcher waits for watch(): the ear may still be listening."""
    time.sleep(0.1)
    assert rig.mic.reads == 0 and rig.made_on == []


def test_take_with_nothing_heard_stops_reading_until_watched_again(rig: Rig) -> None:
    """take() with nothing said: None, the voice untouched, the source held, and not one
    read more until watch() (the ear reads meanwhile)."""
    rig.barge.watch()
    assert rig.mic.wait_reads(2)
    assert rig.barge.take() is None
    assert (rig.hushes, rig.unhushes) == (0, 0)
    assert rig.mic.held and rig.mic.calls == ["release", "hold"]
    reads = rig.mic.reads
    time.sleep(0.25)  # five of the watcher's read timeouts
    assert rig.mic.reads == reads
    rig.barge.watch()
    assert rig.mic.wait_reads(reads + 2)
    assert rig.mic.calls == ["release", "hold", "release"]


def test_take_in_the_middle_of_a_command_drops_it(rig: Rig) -> None:
    """An utterance not finished when take() comes is not a command (the ear listens
    from here), and the next watch starts afresh instead of finishing it."""
    rig.barge.watch()
    rig.mic.add(USER, 3)
    assert rig.mic.wait_idle()
    assert rig.barge.take() is None
    time.sleep(0.05)  # the ear listens in between
    rig.barge.watch()
    rig.mic.add(0.0, QUIET + 1)
    assert rig.mic.wait_idle()
    assert rig.rec.flushes == 0 and rig.hushes == 0
    assert rig.barge.take() is None


@pytest.mark.parametrize("error", [DeviceLost("unplugged"), EndOfInput("the end")],
                         ids=["device-lost", "end-of-input"])
def test_a_lost_microphone_stops_the_watcher_quietly(
        rig: Rig, error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    """A source that fails: one read, no busy loop of failing reads, nothing raised or
    logged (the ear finds out when it listens); take() and close() still work."""
    caplog.set_level(logging.DEBUG, logger="assistant.speech.listening.bargein")
    rig.mic.error = error
    rig.barge.watch()
    assert rig.mic.wait_reads(1)
    time.sleep(0.2)
    assert rig.mic.reads == 1
    assert rig.barge.take() is None
    rig.barge.watch()  # tried again once per watch, no more
    assert rig.mic.wait_reads(2)
    time.sleep(0.1)
    assert rig.mic.reads == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    rig.barge.close()
    assert not rig.barge._thread.is_alive()


def test_a_recognizer_that_cannot_be_made_ends_barge_in_not_the_session(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Barge-in is a convenience: its failure is logged once, take() still answers."""
    caplog.set_level(logging.WARNING, logger="assistant.speech.listening.bargein")
    rig.broken = True
    rig.barge.watch()
    rig.barge._thread.join(WAIT)
    assert not rig.barge._thread.is_alive()
    assert "listening while speaking stopped: the model will not load" in caplog.text
    assert rig.barge.take() is None
    assert rig.mic.reads == 0


def test_close_while_watching_ends_the_thread_at_once(rig: Rig) -> None:
    """close() joins the watcher, which stops within one read."""
    rig.barge.watch()
    assert rig.mic.wait_reads(1)
    began = time.monotonic()
    rig.barge.close()
    assert not rig.barge._thread.is_alive()
    assert time.monotonic() - began < 0.5
    rig.barge.watch()  # closed: nothing happens
    assert rig.mic.calls == ["release"]


def test_close_before_any_watch_ends_the_thread(rig: Rig) -> None:
    rig.barge.close()
    assert not rig.barge._thread.is_alive()
    assert rig.made_on == []


# --- looks wrong ------------------------------------------------------------------------------


def leading_quiet(rec: FakeRecognizer) -> int:
    """How many silent chunks the recognizer was fed before the first loud one."""
    return next(i for i, c in enumerate(rec.fed) if loudness(c) > 0)


def test_the_recognizer_gets_lead_in_seconds_before_the_speech(rig: Rig) -> None:
    """The start of the first word, heard before the detector calls it speech, is in the
    LEAD_IN seconds given to the recognizer first."""
    rig.barge.watch()
    rig.say(over=False)  # three silent chunks, then speech
    assert rig.hushed.wait(WAIT)
    assert leading_quiet(rig.rec) == round(LEAD_IN / CHUNK)


def test_a_long_talk_over_the_voice_is_no_command(rig: Rig) -> None:
    """Reflect speaks (its echo learnt), and someone talks over it without a pause for
    longer than LONGEST: no command, whatever the recognizer makes of it."""
    rig.barge.watch()
    rig.mic.add(ECHO, KEEP, PLAYED)
    assert rig.mic.wait_idle()
    rig.say(LONGEST + 0.5)
    assert rig.mic.settled(rig.hushed)
    assert rig.hushes == 0
    assert rig.barge.take() is None


def test_a_command_just_shorter_than_longest_counts(rig: Rig) -> None:
    """Talk shorter than LONGEST -- "I didn't catch that" said very slowly -- can be a
    command: only LONGER talk is a conversation in the room."""
    rig.rec.says = "i didn't catch that"
    rig.barge.watch()
    rig.say(LONGEST - 2 * CHUNK, over=False)
    assert rig.mic.settled(rig.hushed)
    assert rig.barge.take() == Command("repeat")


class GatedMic(FakeMic):
    """Holds back the read of the chunk after `gate_after` chunks until `gate` is set
    (the watcher is in the middle of reading it when the test acts)."""

    def __init__(self, clock: Clock, playback: Playback, gate_after: int) -> None:
        super().__init__(clock, playback)
        self.gate = threading.Event()
        self.at_gate = threading.Event()
        self.gate_after = gate_after
        self.given = 0

    def read(self, timeout: float) -> bytes:
        if self.given == self.gate_after:
            self.at_gate.set()
            self.gate.wait(WAIT)
        data = super().read(timeout)
        self.given += bool(data)
        return data


def test_a_command_ending_in_the_chunk_being_read_at_take_is_kept(rig: Rig) -> None:
    """take() waits for the chunk being read; when that chunk ends a command, the command
    is the one take() returns."""
    rig.barge.close()
    mic = GatedMic(rig.clock, rig.playback, gate_after=3 + 4 + QUIET - 1)
    barge = BargeIn(mic, rig.make, rig.detector, rig.playback, Commands("en").match,
                    rig.hush, rig.unhush, clock=rig.clock)
    try:
        barge.watch()
        mic.add(0.0, 3)
        mic.add(USER, 4)
        mic.add(0.0, QUIET)  # the last one ends the command
        assert mic.at_gate.wait(WAIT)
        taken: list[Command | None] = []
        taker = threading.Thread(target=lambda: taken.append(barge.take()))
        taker.start()
        time.sleep(0.05)  # take() has stopped the watch and waits for the read
        mic.gate.set()
        taker.join(WAIT)
        assert rig.rec.flushes == 1  # "stop" was heard with that chunk ...
        assert taken == [Command("stop")]  # ... and is handed over
    finally:
        mic.gate.set()
        barge.close()
