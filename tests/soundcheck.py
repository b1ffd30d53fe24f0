"""Measuring sound in tests: where speech is, how well two recordings match, waiting for
a live device. Shared by the tests of the real audio parts."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


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
