"""tts/voice.py and tts/renderahead.py: playback, the speech cache and pre-rendering, on the
real engine the settings choose (tts.for_settings: Piper's joe voice) and the virtual
speaker; a fake Synthesizer for the job order and for an engine that speaks by itself."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from soundcheck import Played, align_pieces, speech_span, wait_recorded

from assistant.config import Settings
from assistant.speech.audio import wavfiles
from assistant.speech.audio.speaker import Speaker
from assistant.speech.engines import for_settings
from assistant.speech.tts import renderahead
from assistant.speech.tts.synthesizer import Sound, SpeaksItself
from assistant.speech.tts.tones import tone
from assistant.speech.tts.voice import Voice

LONG = ("Take a slow breath. Think of a moment this week when you felt trusted, "
        "and a moment when you did not. Notice what was different between the two.")


@pytest.fixture
def voices(tmp_path: Path):
    """`voices(speaker, **settings) -> Voice` with the engine the settings choose, as the
    app does; all closed afterwards."""
    made: list[Voice] = []

    def make(speaker=None, cache: Path | None = tmp_path / "speech", **settings) -> Voice:
        chosen = Settings(**settings)
        voice = Voice(speaker or Played(), chosen, cache, for_settings(chosen))
        made.append(voice)
        return voice

    yield make
    for voice in made:
        voice.close()


@pytest.mark.tts
@pytest.mark.audio
def test_say_reaches_the_speaker(voices, virtual_audio, sounddevice, tmp_path: Path):
    voice = voices(Speaker(None))
    text = "What would you like to say first?"
    speech, rate = voice.render(text)
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        voice.say(text)
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, heard_rate = wavfiles.read_wav(recording)
    reference = wavfiles.resample(speech, rate, heard_rate)
    # Piece by piece: a drop-out of a few ms on a busy machine put the whole-sound
    # correlation out of step (0.87); its length is checked on its own, below.
    likeness, _ = align_pieces(heard, reference, heard_rate)
    assert likeness > 0.95, likeness
    first, last = speech_span(heard, heard_rate)
    ref_first, ref_last = speech_span(reference, heard_rate)
    assert abs((last - first) - (ref_last - ref_first)) < 0.05 * heard_rate


@pytest.mark.tts
@pytest.mark.audio
def test_enter_cuts_a_narration_short(voices, sounddevice):
    voice = voices(Speaker(None))
    speech, rate = voice.render(LONG)
    threading.Timer(0.4, voice.skip).start()
    started = time.monotonic()
    voice.say(LONG)
    assert time.monotonic() - started < 1.0 < len(speech) / rate
    started = time.monotonic()
    voice.pause(5.0)  # Enter skipped the narration and the quiet after it
    assert time.monotonic() - started < 0.5
    voice.say("Next.", "question")  # the skip applied to that narration only
    assert not voice.interrupt.is_set()
    started = time.monotonic()
    voice.pause(0.5)
    assert time.monotonic() - started >= 0.45


@pytest.mark.tts
def test_rendering_prints_nothing(voices, capfd):
    voice = voices()
    voice.prepare(["One.", "Two."])
    pcm, rate = voice.render("Three.")
    voice.say("Four.")
    assert len(pcm) > 0.2 * rate
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.tts
def test_prepared_texts_are_cached_privately_and_nothing_else(voices, tmp_path: Path):
    cache = tmp_path / "speech"
    voice = voices(cache=cache)
    voice.prepare(["Welcome.", "What happened?"])
    voice.render("Welcome.")
    voice.render("What happened?")
    voice.say("I felt let down by my brother.")  # not prepared: what a user might say
    files = sorted(cache.iterdir())
    assert len(files) == 2
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    pcm, rate = wavfiles.read_wav(files[0])
    assert len(pcm) > 0.3 * rate


@pytest.mark.tts
def test_a_later_run_speaks_from_the_cache(voices, tmp_path: Path):
    cache = tmp_path / "speech"
    first = voices(cache=cache)
    first.prepare(["Welcome back."])
    first.render("Welcome back.")
    first.close()
    [cached] = cache.iterdir()
    marker = np.full(100, 1234, np.int16)
    wavfiles.write_wav(cached, marker, 22050)  # proves the next run reads this file
    sink = Played()
    again = voices(sink, cache=cache)
    again.say("Welcome back.")
    assert np.array_equal(sink.played[0][0], marker)
    slower = voices(cache=cache, rate=120)  # other settings: rendered afresh
    assert len(slower.render("Welcome back.")[0]) > 1000


@pytest.mark.tts
def test_cues_play_tones_unless_they_are_off(voices):
    sink = Played()
    voices(sink).cue("listening")
    assert np.array_equal(sink.played[0][0], tone("listening", sink.played[0][1]))
    silent = Played()
    voices(silent, tones=False).cue("saved")
    assert silent.played == []


@pytest.mark.tts
def test_everything_said_goes_into_the_speaker_file(voices, tmp_path: Path):
    out = tmp_path / "spoken.wav"
    voice = voices(wavfiles.SpeakerFile(out))
    voice.say("A part of the guide.", "narration")  # made as it is said: streamed
    for text in ("First question.", "Second question."):
        voice.render(text)  # made now: what is timed below is the speaker, not the engine
    started = time.monotonic()
    voice.pause(2.0)
    voice.say("First question.", "question")
    voice.cue("listening")
    voice.say("Second question.", "question")
    assert time.monotonic() - started < 0.5  # written, not played: the pause alone is 2 s
    pcm, rate = wavfiles.read_wav(out)
    expected = np.concatenate([voice.render("A part of the guide.")[0],
                               np.zeros(2 * rate, np.int16),
                               voice.render("First question.")[0],
                               tone("listening", rate),
                               voice.render("Second question.")[0]])
    assert np.array_equal(pcm, expected)


@pytest.mark.tts
def test_a_cache_that_cannot_be_written_costs_speed_not_speech(voices, tmp_path: Path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    voice = voices(cache=blocked / "speech")
    voice.prepare(["Welcome."])
    with caplog.at_level(logging.WARNING, logger="assistant.speech.tts.voice"):
        pcm, rate = voice.render("Welcome.")
    assert len(pcm) > 0.3 * rate and "cannot keep rendered speech" in caplog.text


# --- the job order and an engine that speaks by itself, with a fake Synthesizer ---------


class FakeSynthesizer:
    """A Synthesizer that renders each text as a short tone, in the order asked. A text in
    `held` waits until `go(text)`; `started(text)` is set once its rendering began."""

    identity = "fake 1"

    def __init__(self, held: tuple[str, ...] = (), speaks_itself: bool = False) -> None:
        self.speaks_itself = speaks_itself
        self.rendered: list[str] = []
        self.spoken: list[str] = []
        self.closed = False
        self._gates = {text: threading.Event() for text in held}
        self._started: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def started(self, text: str) -> threading.Event:
        with self._lock:
            return self._started.setdefault(text, threading.Event())

    def go(self, text: str) -> None:
        self._gates[text].set()

    def synthesize(self, text: str) -> Iterator[Sound]:
        self.started(text).set()
        if self.speaks_itself:
            raise SpeaksItself(lambda: self.spoken.append(text))
        if text in self._gates:
            assert self._gates[text].wait(5), f"{text!r} was never let go"
        with self._lock:
            self.rendered.append(text)
        yield Sound(tone("saved", 22050), 22050)

    def close(self) -> None:
        self.closed = True


def test_a_text_to_say_now_goes_before_texts_prepared_for_later():
    synth = FakeSynthesizer(held=("one", "now"))
    voice = Voice(Played(), Settings(), None, synth)
    voice.prepare(["one", "two", "three", "four"])
    assert synth.started("one").wait(5)  # "one" is rendering now, held
    saying = threading.Thread(target=voice.say, args=("now",))
    saying.start()
    assert synth.started("now").wait(5)  # "now" did not wait for the prepared "one" ...
    synth.go("one")
    voice.render("one")
    assert not synth.started("two").is_set()  # ... and nothing prepared goes before it
    synth.go("now")
    saying.join(5)
    for text in ("two", "three", "four"):
        voice.render(text)
    voice.close()
    assert synth.rendered == ["one", "now", "two", "three", "four"] and synth.closed


def test_an_engine_that_can_only_speak_by_itself_is_left_to_it():
    synth = FakeSynthesizer(speaks_itself=True)
    sink = Played()
    voice = Voice(sink, Settings(), None, synth)
    voice.say("Hello there.")
    voice.say("And again.")
    voice.close()
    assert synth.spoken == ["Hello there.", "And again."] and sink.played == []
    assert voice.fallback


# --- a streamed text is made a little ahead of the speaker, not all at once ---------------


class InRealTime(Played):
    """A Sink that takes as long to play a streamed sound as it lasts, as a device does."""

    def stream(self, chunks: Iterator[np.ndarray], rate: int,
               interrupt: threading.Event | None = None) -> bool:
        kept = []
        for chunk in chunks:
            kept.append(chunk)
            if (interrupt or threading.Event()).wait(len(chunk) / rate):
                return False
        return self.play(np.concatenate(kept), rate, interrupt)


class Pieces:
    """A Synthesizer that makes any text as 30 pieces of 0.1 s, noting when each is made."""

    identity = "pieces 1"

    def __init__(self) -> None:
        self.made: list[float] = []
        self.niceness: list[int] = []  # of the thread each piece was made in

    def synthesize(self, text: str) -> Iterator[Sound]:
        for _ in range(30):
            self.made.append(time.monotonic())
            self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            yield Sound(np.full(2205, 1000, np.int16), 22050)

    def close(self) -> None:
        pass


def test_a_streamed_text_is_made_only_a_little_ahead_of_the_speaker(monkeypatch):
    monkeypatch.setattr(renderahead, "AHEAD", 0.5)
    synth, speaker = Pieces(), InRealTime()
    voice = Voice(speaker, Settings(), None, synth)
    voice.say("A long text.")
    voice.close()
    assert len(speaker.played[0][0]) == 30 * 2205  # all of it was played
    ahead = [(n + 1) * 0.1 - (made - synth.made[0]) for n, made in enumerate(synth.made)]
    assert max(ahead) < 0.5 + 0.1 + 0.1  # the limit, the piece that passed it, slack
    assert synth.made[-1] - synth.made[0] > 2.0  # not made all at once
    # made ahead at a low priority: the speaker and the listener come first
    assert set(synth.niceness[1:]) == {synth.niceness[0] + renderahead.BACKGROUND}


def cut_short(monkeypatch) -> tuple[Voice, Pieces]:
    """A Voice that began to say a long streamed text and was cut short 0.3 s in."""
    monkeypatch.setattr(renderahead, "AHEAD", 0.5)
    synth = Pieces()
    voice = Voice(InRealTime(), Settings(), None, synth)
    threading.Timer(0.3, voice.skip).start()
    voice.say("A long text.")
    return voice, synth


def test_a_streamed_text_cut_short_is_still_made_whole_at_once(monkeypatch):
    voice, _ = cut_short(monkeypatch)
    cut = time.monotonic()
    sound = voice.render("A long text.")  # remembered whole: made on, without waiting
    assert len(sound.pcm) == 30 * 2205 and time.monotonic() - cut < 1.0
    voice.close()


def test_closing_waits_for_the_rest_of_a_streamed_text(monkeypatch):
    """A thread left inside the engine when Python exits can abort it."""
    voice, synth = cut_short(monkeypatch)
    voice.close()
    assert len(synth.made) == 30 and not any(
        t.name == "reflect-synthesize" and t.is_alive() for t in threading.enumerate())
