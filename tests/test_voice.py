"""voice.py: real pyttsx3/espeak-ng rendering, the speech cache, playback on the virtual
speaker; fakes only for the engine-failure and job-order logic."""

from __future__ import annotations

import logging
import stat
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from soundcheck import align, speech_span

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech import audio
from assistant.speech import voice as voice_module
from assistant.speech.voice import Voice

LONG = ("Take a slow breath. Think of a moment this week when you felt trusted, "
        "and a moment when you did not. Notice what was different between the two.")


class Sink:
    """Keeps what it is asked to play (for the logic tests)."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []

    def play(self, pcm, rate, interrupt=None) -> bool:
        self.played.append((pcm, rate))
        return True

    def close(self) -> None:
        pass


@pytest.fixture
def voices(tmp_path: Path):
    """`voices(speaker, **settings) -> Voice` with real pyttsx3; all closed afterwards."""
    made: list[Voice] = []

    def make(speaker=None, cache: Path | None = tmp_path / "speech", **settings) -> Voice:
        voice = Voice(speaker or Sink(), Settings(**settings), cache)
        made.append(voice)
        return voice

    yield make
    for voice in made:
        voice.close()


@pytest.mark.tts
@pytest.mark.audio
def test_say_reaches_the_speaker(voices, virtual_audio, sounddevice, tmp_path: Path):
    voice = voices(audio.Speaker(None))
    text = "What would you like to say first?"
    speech, rate = voice.render(text)
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    try:
        voice.say(text)
        time.sleep(0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, heard_rate = audio.read_wav(recording)
    reference = audio.resample(speech, rate, heard_rate)
    offset, correlation = align(heard, reference)
    assert correlation > 0.95
    first, last = speech_span(heard[offset:offset + len(reference)], heard_rate)
    ref_first, ref_last = speech_span(reference, heard_rate)
    assert abs((last - first) - (ref_last - ref_first)) < 0.05 * heard_rate


@pytest.mark.tts
@pytest.mark.audio
def test_enter_cuts_a_narration_short(voices, sounddevice):
    voice = voices(audio.Speaker(None))
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
def test_long_narrations_render_whole_at_the_first_try(voices, capfd, caplog):
    """pyttsx3 returns before espeak-ng has finished a long text; the renderer waits for
    espeak-ng, so the WAV is read whole, once, and never written into a removed folder."""
    from assistant.guides.loader import bundled

    guide = next(g for g in bundled() if g.id == "rebuilding-trust")
    texts = [guide.intro, *(step.say for step in guide.steps[:4])]
    voice = voices(cache=None)
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.voice"):
        for text in texts:
            pcm, rate = voice.render(text)
            words = len(text.split())
            assert len(pcm) / rate > words / 4, (words, len(pcm) / rate)  # < 240 words/min
        time.sleep(0.5)  # a synthesis left running would fail to save by now
    assert "trying once more" not in caplog.text
    out, err = capfd.readouterr()
    assert out == "" and err == "", err


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
    pcm, rate = audio.read_wav(files[0])
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
    audio.write_wav(cached, marker, 22050)  # proves the next run reads this file
    sink = Sink()
    again = voices(sink, cache=cache)
    again.say("Welcome back.")
    assert np.array_equal(sink.played[0][0], marker)
    slower = voices(cache=cache, rate=120)  # other settings: rendered afresh
    assert len(slower.render("Welcome back.")[0]) > 1000


@pytest.mark.tts
def test_voice_rate_and_volume_come_from_the_settings(voices):
    default = voices().render(LONG)[0]
    fast = voices(rate=320).render(LONG)[0]
    slow = voices(rate=110).render(LONG)[0]
    quiet = voices(volume=0.3).render(LONG)[0]
    korean = voices(voice="ko").render(LONG)[0]
    assert len(slow) > 1.5 * len(default) > 2 * len(fast)
    assert np.abs(quiet).max() < 0.6 * np.abs(default).max()
    assert not np.array_equal(korean[: len(default)], default[: len(korean)])
    with pytest.raises(ReflectError) as err:
        voices(voice="no-such-voice")
    assert err.value.msg is Msg.VOICE_NOT_FOUND and "no-such-voice" in str(err.value)


@pytest.mark.tts
def test_cues_play_tones_unless_they_are_off(voices):
    sink = Sink()
    voices(sink).cue("listening")
    assert np.array_equal(sink.played[0][0], audio.tone("listening", sink.played[0][1]))
    silent = Sink()
    voices(silent, tones=False).cue("saved")
    assert silent.played == []


@pytest.mark.tts
def test_everything_said_goes_into_the_speaker_file(voices, tmp_path: Path):
    out = tmp_path / "spoken.wav"
    voice = voices(audio.SpeakerFile(out))
    started = time.monotonic()
    voice.say("A part of the guide.", "narration")
    voice.pause(2.0)
    voice.say("First question.", "question")
    voice.cue("listening")
    voice.say("Second question.", "question")
    assert time.monotonic() - started < 1.5  # a file is written, not played in real time
    pcm, rate = audio.read_wav(out)
    expected = np.concatenate([voice.render("A part of the guide.")[0],
                               np.zeros(2 * rate, np.int16),
                               voice.render("First question.")[0],
                               audio.tone("listening", rate),
                               voice.render("Second question.")[0]])
    assert np.array_equal(pcm, expected)


@pytest.mark.tts
def test_rendering_leaves_no_files_behind(voices, tmp_path: Path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the renderer's folder goes
    voice = voices(cache=None)
    voice.prepare(["Hello."])
    assert len(voice.render("Hello.")[0]) > 0
    assert list(scratch.iterdir()) == []


# --- the engine's failures and the job order, with a fake engine ---------------------


class FakeEngine:
    """Renders a short tone per text, or nothing when `broken` (a platform without files);
    its first `stuck` runs hang until the driver's endLoop() is called."""

    def __init__(self, broken: bool = False, gate: threading.Event | None = None,
                 stuck: int = 0) -> None:
        self.broken, self.gate, self.stuck = broken, gate, stuck
        self.rendered: list[str] = []
        self.spoken: list[str] = []
        self._pending: tuple[str, str] | None = None
        self._ended = threading.Event()
        self.proxy = type("Proxy", (), {"_driver": type("Driver", (), {
            "endLoop": lambda _self: self._ended.set()})()})()

    def getProperty(self, name):
        return []

    def setProperty(self, name, value):
        pass

    def save_to_file(self, text, path):
        self._pending = (text, path)

    def say(self, text):
        self._pending = (text, "")

    def runAndWait(self):
        text, path = self._pending
        if self.stuck:
            self.stuck -= 1
            self._ended.clear()
            assert self._ended.wait(5), "nobody ended the stuck loop"
            return
        if not path:
            self.spoken.append(text)
            return
        if self.gate is not None:
            self.gate.wait(5)
        self.rendered.append(text)
        if not self.broken:
            audio.write_wav(Path(path), audio.tone("saved", 22050), 22050)


def test_without_file_rendering_pyttsx3_speaks_by_itself_and_says_so(caplog):
    engine = FakeEngine(broken=True)
    sink = Sink()
    voice = Voice(sink, Settings(), None, make_engine=lambda: engine)
    with caplog.at_level(logging.WARNING, logger="assistant.speech.voice"):
        voice.say("Hello there.")
        voice.say("And again.")
    voice.close()
    assert engine.spoken == ["Hello there.", "And again."] and sink.played == []
    assert "own playback" in caplog.text


def test_no_speech_engine_is_one_sentence():
    def missing():
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    with pytest.raises(ReflectError) as err:
        Voice(Sink(), Settings(), None, make_engine=missing)
    assert err.value.msg is Msg.SPEECH_UNAVAILABLE and "libespeak-ng" in str(err.value)


def test_a_text_to_say_now_goes_before_texts_prepared_for_later():
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    voice = Voice(Sink(), Settings(), None, make_engine=lambda: engine)
    voice.prepare(["one", "two", "three", "four"])
    time.sleep(0.1)  # "one" is rendering now, held at the gate
    saying = threading.Thread(target=voice.say, args=("now",))
    saying.start()
    time.sleep(0.1)
    gate.set()
    saying.join(5)
    for text in ("two", "three", "four"):
        voice.render(text)
    voice.close()
    assert engine.rendered[:2] == ["one", "now"]
    assert sorted(engine.rendered[2:]) == ["four", "three", "two"]


def test_a_stuck_rendering_is_ended_and_tried_again(monkeypatch, caplog):
    monkeypatch.setattr(voice_module, "STUCK_AFTER", 0.2)
    engine = FakeEngine(stuck=1)
    voice = Voice(Sink(), Settings(), None, make_engine=lambda: engine)
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.voice"):
        pcm, rate = voice.render("Still there?")
    voice.close()
    assert np.array_equal(pcm, audio.tone("saved", rate)) and engine.rendered == ["Still there?"]
    assert "trying once more" in caplog.text and not voice.fallback


def test_rendering_that_breaks_later_is_one_sentence_not_a_silent_fallback():
    engine = FakeEngine()
    voice = Voice(Sink(), Settings(), None, make_engine=lambda: engine)
    voice.render("First.")
    engine.broken = True
    with pytest.raises(ReflectError) as err:
        voice.say("Second.")
    voice.close()
    assert err.value.msg is Msg.SPEECH_UNAVAILABLE and not voice.fallback


@pytest.mark.tts
def test_a_cache_that_cannot_be_written_costs_speed_not_speech(voices, tmp_path: Path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    voice = voices(cache=blocked / "speech")
    voice.prepare(["Welcome."])
    with caplog.at_level(logging.WARNING, logger="assistant.speech.voice"):
        pcm, rate = voice.render("Welcome.")
    assert len(pcm) > 0.3 * rate and "cannot keep rendered speech" in caplog.text
