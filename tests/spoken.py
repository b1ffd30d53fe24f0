"""The spoken sessions of the tests: a three-question guide, Korean answers said by
espeak-ng (the test model is Korean), the CLI started as a user would start it and driven
with a recording or the virtual sound card, and its output on a pseudo-terminal.

Shared by the tests that run `reflect run` spoken on the real parts.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sessions import REPO, Lines, spawn
from soundcheck import espeak_says

from assistant.guides.loader import load
from assistant.messages import Msg
from assistant.speech.audio import wavfiles

GUIDE = REPO / "tests" / "data" / "three-questions.yaml"
SILENCE = 1.5  # --answer-silence for these tests: short, yet longer than a breath
KOREAN = ("아침에 공원에서 산책을 했습니다", "친구와 전화로 이야기를 나눴어요",
          "오늘 밤에는 책을 읽을 거예요")
RATE = 16000


def questions() -> list[tuple[str, str]]:
    guide = load(GUIDE)
    return [(step.id, step.prompts[0].ask) for step in guide.steps]


def said(tmp: Path, text: str, rate: int = RATE) -> np.ndarray:
    """`text` said by espeak-ng's Korean voice (the test model's language), as int16 at
    `rate`."""
    pcm, src = wavfiles.read_wav(espeak_says(tmp / "said.wav", text, "ko"))
    return wavfiles.resample(pcm, src, rate)


def speech_seconds(pcm: np.ndarray) -> float:
    """How long the speech in `pcm` lasts, without espeak-ng's quiet edges."""
    return len(trimmed(pcm)) / RATE


def trimmed(pcm: np.ndarray) -> np.ndarray:
    """`pcm` without espeak-ng's quiet edges, so a pause put between two is exact."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 500)
    return pcm[loud[0]:loud[-1] + 1]


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)


def run_args(ko_model: Path, *more: str, guide: Path = GUIDE) -> list[str]:
    """`reflect run` of the three-question guide with the Korean model. No read-back: the
    model doubts most of espeak-ng's Korean, and these recordings hold answers only (the
    read-back is tested with recordings that hold replies, in test_spoken_repair.py)."""
    return ["run", str(guide), "--model", str(ko_model), "--answer-silence", str(SILENCE),
            "--read-back", "never", *more]


# --- driving a session ---------------------------------------------------------------


def one_after_another(answers: Sequence[np.ndarray], gap: float = SILENCE + 2.5,
                      lead: float = 1.0) -> np.ndarray:
    """The answers after `lead` seconds of quiet, each followed by `gap` seconds of it
    (by default longer than the silence that ends an answer)."""
    pause = quiet(gap)
    return np.concatenate([quiet(lead), *(piece for a in answers for piece in (a, pause))])


def run_on_recording(cli: Callable[..., subprocess.CompletedProcess[str]], ko_model: Path,
                     tmp: Path, pcm: np.ndarray, *more: str, guide: Path = GUIDE
                     ) -> subprocess.CompletedProcess[str]:
    """`reflect run` with `pcm` as the microphone (--mic-file) and tmp/out.wav as the
    speaker, which must end well; `more` are further options (--fast)."""
    mic = tmp / "mic.wav"
    wavfiles.write_wav(mic, pcm, RATE)
    done = cli(*run_args(ko_model, "--mic-file", str(mic), "--speaker-file",
                         str(tmp / "out.wav"), *more, guide=guide))
    assert done.returncode == 0, done.stderr
    return done


def answer_on_the_sound_card(ko_model: Path, tmp: Path, virtual_audio: Any,
                             answers: Sequence[np.ndarray], heard_within: float = 30) -> None:
    """`reflect run` on the default devices (the virtual sound card): once it listens
    after each question, the next answer is played into the microphone, and the session
    must say what it heard within `heard_within` seconds, then end well."""
    files = []
    for n, pcm in enumerate(answers):
        files.append(tmp / f"answer{n}.wav")
        wavfiles.write_wav(files[-1], np.concatenate([quiet(0.3), pcm, quiet(0.3)]), RATE)
    proc = spawn(run_args(ko_model), text=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = Lines(proc)
        for (_, question), wav in zip(questions(), files, strict=True):
            lines.expect(re.escape(question))  # printed as it starts being spoken ...
            lines.expect(f"^{Msg.LISTENING.format()}$")  # ... and listening once it is said
            assert virtual_audio.recording_clients() >= 1  # the input stream is open
            assert virtual_audio.play_into_mic(wav).wait(timeout=30) == 0
            lines.expect("^Heard: ", timeout=heard_within)
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()


class Terminal:
    """The session's stdout on a pseudo-terminal, so the live line shows as it does to a
    user: the words heard so far, rewritten as they come."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.output = b""

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                return
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text()):
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} on the terminal within {timeout} s: {self.text()!r}")
            self.read(0.05)

    def wait_for_words(self, count: int, timeout: float) -> list[str]:
        """Wait until the live line shows at least `count` words heard; returns them."""
        deadline = time.monotonic() + timeout
        while len(self.live_words()) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"the live line never showed {count} words: {self.text()!r}")
            self.read(0.05)
        return self.live_words()

    def settled_words(self, still: float, timeout: float) -> list[str]:
        """The live line's words once they have not changed for `still` seconds (the
        recognizer can revise its words for a moment after speech stops)."""
        deadline = time.monotonic() + timeout
        words, since = self.live_words(), time.monotonic()
        while time.monotonic() - since < still:
            if time.monotonic() > deadline:
                pytest.fail(f"the live line never settled: {self.text()!r}")
            self.read(0.1)
            if self.live_words() != words:
                words, since = self.live_words(), time.monotonic()
        return words

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def live_words(self) -> list[str]:
        """The words of the last live-line rewrite (after the last carriage return); none
        while it says it is listening."""
        line = self.text().split("\n")[-1].split("\r")[-1].strip()
        return [] if line == Msg.LISTENING.format() else line.split()

    def lines(self) -> list[str]:
        """The whole lines shown so far, each as it reads once rewritten."""
        return [line.rstrip("\r").split("\r")[-1].rstrip()
                for line in self.text().split("\n")[:-1]]

    def hang_up(self) -> None:
        """Close the terminal window (closed once: its number may be reused)."""
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
