"""tts/espeak.py: espeak-ng through pyttsx3 as a Synthesizer -- real renderings for what the
settings change and what is left behind; a fake Engine for the engine's failures, which
the engine's thread (tts/enginethread.py) handles."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from soundcheck import Played

from assistant.config import Settings
from assistant.messages import Msg
from assistant.speech import engines
from assistant.speech.audio.wavfiles import write_wav
from assistant.speech.errors import NoSpeech, UnknownVoice
from assistant.speech.tts import enginethread, espeak, synthesizer
from assistant.speech.tts.synthesizer import Sound, SpeaksItself
from assistant.speech.tts.tones import tone
from assistant.speech.tts.voice import Voice

LONG = ("Take a slow breath. Think of a moment this week when you felt trusted, "
        "and a moment when you did not. Notice what was different between the two.")


def rendered(synth: synthesizer.Synthesizer, text: str) -> Sound:
    [sound] = synth.synthesize(text)  # espeak-ng gives one chunk per text
    return sound


def espeak_for(voice: str = "", **settings: object) -> synthesizer.Synthesizer:
    """espeak-ng as the settings choose it (`espeak:` asks for it by name)."""
    return engines.for_settings(Settings(voice=f"espeak:{voice}", **settings))  # type: ignore[arg-type]


@pytest.mark.tts
def test_long_narrations_render_whole_at_the_first_try(capfd, caplog):
    """pyttsx3 returns before espeak-ng has finished a long text; the renderer waits for
    espeak-ng, so the WAV is read whole, once, and never written into a removed folder."""
    from assistant.guides.finder import bundled

    guide = next(g for g in bundled() if g.id == "rebuilding-trust")
    texts = [guide.intro, *(step.say for step in guide.steps[:4])]
    synth = espeak_for()
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.tts.enginethread"):
        for text in texts:
            pcm, rate = rendered(synth, text)
            words = len(text.split())
            assert len(pcm) / rate > words / 4, (words, len(pcm) / rate)  # < 240 words/min
        # espeak-ng idle: a synthesis left running would have failed to save by now
        espeak.shared_renderer().call(lambda engine: engine.settle())
    assert "trying once more" not in caplog.text
    out, err = capfd.readouterr()
    assert out == "" and err == "", err


@pytest.mark.tts
def test_a_late_espeak_thread_is_waited_for(caplog, monkeypatch):
    """espeak-ng synthesizes on a thread of its own, and says it is idle until that thread
    has picked the text up. On a busy machine the pick-up comes late; the renderer still
    reads each WAV only once it is written (CI read half-written files: speech cut short,
    silent, or not kept)."""
    from pyttsx3.drivers import _espeak

    synth = espeak_for()
    texts = ["Saved.", LONG, "What did you do this morning?"]
    whole = [len(rendered(synth, text).pcm) for text in texts]
    synthesize = _espeak.Synth

    def late(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        threading.Timer(0.1, synthesize, args, kwargs).start()

    def busy(engine: espeak.Pyttsx3) -> None:
        # pyttsx3 queues the end of its loop behind the text when its driver is busy, and
        # its loop then ends as soon as espeak-ng is handed the text
        engine._engine.proxy.setBusy(True)

    monkeypatch.setattr(_espeak, "Synth", late)
    slow = []
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.tts.enginethread"):
        for text in texts:
            espeak.shared_renderer().call(busy)
            slow.append(len(rendered(synth, text).pcm))
    monkeypatch.undo()
    assert "trying once more" not in caplog.text
    assert all(abs(a - b) < b / 20 for a, b in zip(slow, whole, strict=True)), (slow, whole)


@pytest.mark.tts
def test_voice_rate_and_volume_come_from_the_settings():
    def pcm(**settings) -> np.ndarray:
        return rendered(espeak_for(**settings), LONG).pcm

    default, fast, slow = pcm(), pcm(rate=320), pcm(rate=110)
    quiet, korean = pcm(volume=0.3), pcm(voice="ko")
    assert len(slow) > 1.5 * len(default) > 2 * len(fast)
    assert np.abs(quiet).max() < 0.6 * np.abs(default).max()
    assert not np.array_equal(korean[: len(default)], default[: len(korean)])
    with pytest.raises(UnknownVoice) as err:
        espeak_for("no-such-voice")
    assert err.value.msg is Msg.VOICE_NOT_FOUND and "no-such-voice" in str(err.value)


@pytest.mark.tts
def test_the_identity_names_the_engine_its_version_and_the_settings():
    default = espeak_for().identity
    assert default.startswith("pyttsx3 ") and " espeak-ng " in default
    others = {espeak_for(**s).identity
              for s in ({"rate": 120}, {"volume": 0.5}, {"voice": "ko"})}
    assert len(others | {default}) == 4


@pytest.mark.tts
def test_rendering_leaves_no_files_behind(tmp_path: Path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the renderer's folder goes
    voice = Voice(Played(), Settings(), None, espeak_for())
    voice.prepare(["Hello."])
    assert len(voice.render("Hello.")[0]) > 0
    voice.close()
    assert list(scratch.iterdir()) == []


# --- the engine's failures, with a fake Engine --------------------------------------------


class FakeEngine:
    """An enginethread.Engine that renders a short tone per text, or writes nothing when
    `broken` (a platform without files); its first `stuck` runs hang until end()."""

    ident = "fake engine 1"
    defaults = ("", 200, 1.0)

    def __init__(self, broken: bool = False, stuck: int = 0) -> None:
        self.broken, self.stuck = broken, stuck
        self.voices: list[enginethread.VoiceInfo] = []
        self.rendered: list[str] = []
        self.spoken: list[str] = []
        self._pending: tuple[str, Path | None] = ("", None)
        self._ended = threading.Event()

    def apply(self, props: enginethread.Props) -> None:
        pass

    def save(self, text: str, path: Path) -> None:
        self._pending = (text, path)

    def say(self, text: str) -> None:
        self._pending = (text, None)

    def run(self) -> None:
        text, path = self._pending
        if self.stuck:
            self.stuck -= 1
            self._ended.clear()
            assert self._ended.wait(5), "nobody ended the stuck run"
            return
        if path is None:
            self.spoken.append(text)
            return
        self.rendered.append(text)
        if not self.broken:
            write_wav(path, tone("saved", 22050), 22050)

    def end(self) -> None:
        self._ended.set()

    def settle(self) -> None:
        pass


def test_without_file_rendering_pyttsx3_speaks_by_itself_and_says_so(caplog):
    engine = FakeEngine(broken=True)
    sink = Played()
    voice = Voice(sink, Settings(), None, espeak.Espeak(make_engine=lambda: engine))
    with caplog.at_level(logging.WARNING, logger="assistant.speech.tts.enginethread"):
        voice.say("Hello there.")
        voice.say("And again.")
    voice.close()
    assert engine.spoken == ["Hello there.", "And again."] and sink.played == []
    assert "own playback" in caplog.text and voice.fallback


def test_no_speech_engine_is_one_sentence():
    def missing():
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    with pytest.raises(NoSpeech) as err:
        espeak.Espeak(make_engine=missing)
    assert err.value.msg is Msg.SPEECH_UNAVAILABLE and "libespeak-ng" in str(err.value)


def test_a_stuck_rendering_is_ended_and_tried_again(monkeypatch, caplog):
    monkeypatch.setattr(enginethread, "STUCK_AFTER", 0.2)
    engine = FakeEngine(stuck=1)
    synth = espeak.Espeak(make_engine=lambda: engine)
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.tts.enginethread"):
        pcm, rate = rendered(synth, "Still there?")
    assert rendered(synth, "And now?")  # to a file, as before: no fallback
    synth.close()
    assert np.array_equal(pcm, tone("saved", rate))
    assert engine.rendered == ["Still there?", "And now?"] and engine.spoken == []
    assert "trying once more" in caplog.text


def test_rendering_that_breaks_later_is_one_sentence_not_a_silent_fallback():
    engine = FakeEngine()
    synth = espeak.Espeak(make_engine=lambda: engine)
    rendered(synth, "First.")
    engine.broken = True
    with pytest.raises(NoSpeech) as err:
        rendered(synth, "Second.")
    engine.broken = False
    assert rendered(synth, "Third.")  # still to a file: no fallback to speaking by itself
    synth.close()
    assert err.value.msg is Msg.SPEECH_UNAVAILABLE and engine.spoken == []


def test_an_engine_that_cannot_render_says_how_to_speak_instead():
    engine = FakeEngine(broken=True)
    synth = espeak.Espeak(make_engine=lambda: engine)
    for text in ("Hello there.", "And again."):  # the second is not even tried to a file
        with pytest.raises(SpeaksItself) as itself:
            rendered(synth, text)
        itself.value.speak()
    synth.close()
    assert engine.rendered == ["Hello there.", "Hello there."]  # tried twice, then never
    assert engine.spoken == ["Hello there.", "And again."]
