"""Sound in tests: making and measuring it (a sine, espeak-ng's speech, its pitch, where
speech is, how well two recordings match), a sink that keeps what it is given, and waiting
for a live device. Shared by the tests of the audio parts."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np


def sine(freq: float, rate: int, seconds: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * level * 32767).astype(np.int16)


def espeak_says(path: Path, text: str, voice: str = "en") -> Path:
    """`text` said by espeak-ng's `voice`, written to `path` as a WAV at espeak-ng's own
    rate (22050 Hz): real speech for every test that needs some."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True,
                   capture_output=True)
    return path


def peak_freq(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum) * rate / len(pcm))


def speech_span(pcm: np.ndarray, rate: int) -> tuple[int, int]:
    """First and last sample louder than 5% of the peak: where the speech is."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 0.05 * np.abs(pcm).max())
    return int(loud[0]), int(loud[-1])


def align(captured: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Where `reference` sits in `captured` (by cross-correlation) and how well it matches."""
    c, r = captured.astype(np.float64), reference.astype(np.float64)
    assert len(c) >= len(r), f"captured {len(c)} samples, expected at least {len(r)}"
    n = 1 << (len(c) + len(r)).bit_length()
    xcorr = np.fft.irfft(np.fft.rfft(c, n) * np.conj(np.fft.rfft(r, n)), n)
    offset = int(np.argmax(xcorr[: len(c) - len(r) + 1]))
    return offset, float(np.corrcoef(c[offset:offset + len(r)], r)[0, 1])


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the audio device"
        time.sleep(0.02)


def wait_recorded(wav: Path, seconds: float, rate: int = 16000) -> None:
    """Wait until the recording being written to `wav` (mono 16-bit at `rate`, as
    conftest.VirtualAudio.record_speaker makes it) holds `seconds` of sound."""
    wait_until(lambda: (wav.stat().st_size - 44) / 2 / rate >= seconds)


class Played:
    """A Sink that keeps what it is asked to play, instead of playing it."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []

    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        self.played.append((pcm, rate))
        return True

    def stream(self, chunks: Iterator[np.ndarray], rate: int,
               interrupt: threading.Event | None = None) -> bool:
        """A streamed sound is kept as one, as it would be heard."""
        return self.play(np.concatenate(list(chunks)), rate, interrupt)

    def close(self) -> None:
        pass
