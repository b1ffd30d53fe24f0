"""The spoken sessions of the tests: a three-question guide, Korean answers said by
espeak-ng (the test model is Korean), and the CLI started as a user would start it.

Shared by the tests that run `reflect run` spoken on the real parts.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import paths
from assistant.guides.loader import load
from assistant.journal import Journal, Record
from assistant.speech import audio

REPO = Path(__file__).resolve().parent.parent
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


def only_session() -> Record:
    sessions = Journal(paths().journal_dir).sessions()
    assert len(sessions) == 1, [s.id for s in sessions]
    return sessions[0]


class Lines:
    """The subprocess's stdout, line by line, waited on with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {timeout} s; saw {self.seen}")
            if line is None:
                pytest.fail(f"the session ended before {pattern!r}; saw {self.seen}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line




def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    """`python -m assistant ARGS` as a user's shell starts it: with the default Ctrl-C
    handler even when the tests run as a background job (whose children ignore SIGINT)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            **kwargs)


def run_args(ko_model: Path, *more: str) -> list[str]:
    return ["run", str(GUIDE), "--model", str(ko_model), "--answer-silence", str(SILENCE),
            *more]
