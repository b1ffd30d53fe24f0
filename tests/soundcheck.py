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


def align_pieces(captured: np.ndarray, reference: np.ndarray, rate: int,
                 piece: float = 0.25, reach: float = 0.3) -> tuple[float, float]:
    """How well `reference` matches `captured` when each `piece` seconds of it is found
    on its own, near where the one before it was (within `reach`), and how many seconds
    the recording added between its first and its last loud piece.

    A whole-sound `align` falls apart on a hole of a few milliseconds (a device's
    underrun, a gap in a stream): everything after it is out of step. Here the same
    correlation is summed piece by piece at each piece's own place, so a hole costs
    only its own piece -- and the time it added is measured instead."""
    c, r = captured.astype(np.float64), reference.astype(np.float64)
    size, slack = int(piece * rate), int(reach * rate)
    shift, _ = align(c, r)  # where the whole sits, roughly: the search starts there
    loud = 0.05 * np.abs(r).max()
    shifts, dot, energy_c, energy_r = [], 0.0, 0.0, 0.0
    for start in range(0, len(r) - size + 1, size):
        part = r[start:start + size]
        if np.abs(part).max() > loud:
            low = max(0, start + shift - slack)
            window = c[low:start + shift + size + slack]
            if len(window) >= size:
                shift = low + _likeliest(window, part) - start
                shifts.append(shift)
        heard = c[start + shift:start + shift + size]
        if len(heard) == size:
            dot += float(heard @ part)
            energy_c += float(heard @ heard)
            energy_r += float(part @ part)
    assert shifts, "no loud part in the reference"
    return dot / np.sqrt(energy_c * energy_r), (shifts[-1] - shifts[0]) / rate


def _likeliest(window: np.ndarray, part: np.ndarray) -> int:
    """Where in `window` `part` matches best, by normalized cross-correlation (a plain one
    would favour the loudest place in the window, such as the next word)."""
    n = len(part)
    size = 1 << (len(window) + n).bit_length()
    dot = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(part, size)), size)
    sums = np.concatenate([[0.0], np.cumsum(window * window)])
    energy = np.maximum(sums[n:] - sums[:-n], 1e-9)
    return int(np.argmax(dot[:len(window) - n + 1] / np.sqrt(energy)))


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
