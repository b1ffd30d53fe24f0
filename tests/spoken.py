"""The spoken sessions of the tests: a three-question guide, Korean answers said by
espeak-ng (the test model is Korean), and the CLI started as a user would start it.

Shared by the tests that run `reflect run` spoken on the real parts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from sessions import REPO

from assistant.guides.loader import load
from assistant.speech import audio

GUIDE = REPO / "tests" / "data" / "three-questions.yaml"
SILENCE = 1.5  # --answer-silence for these tests: short, yet longer than a breath
KOREAN = ("아침에 공원에서 산책을 했습니다", "친구와 전화로 이야기를 나눴어요",
          "오늘 밤에는 책을 읽을 거예요")
RATE = 16000


def questions() -> list[tuple[str, str]]:
    guide = load(GUIDE)
    return [(step.id, step.prompts[0].ask) for step in guide.steps]


def said(tmp: Path, text: str) -> np.ndarray:
    """`text` said by espeak-ng's Korean voice, as int16 at RATE."""
    wav = tmp / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    pcm, rate = audio.read_wav(wav)
    return audio.resample(pcm, rate, RATE)


def speech_seconds(pcm: np.ndarray) -> float:
    """How long the speech in `pcm` lasts, without espeak-ng's quiet edges."""
    return len(trimmed(pcm)) / RATE


def trimmed(pcm: np.ndarray) -> np.ndarray:
    """`pcm` without espeak-ng's quiet edges, so a pause put between two is exact."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 500)
    return pcm[loud[0]:loud[-1] + 1]


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)


def run_args(ko_model: Path, *more: str) -> list[str]:
    return ["run", str(GUIDE), "--model", str(ko_model), "--answer-silence", str(SILENCE),
            *more]
