"""The short tones that tell a user who cannot see the screen what is going on."""

from __future__ import annotations

import math

import numpy as np

# Each tone is a list of (start Hz, end Hz, seconds) notes: a rising glide for "I am
# listening", two soft notes going up for "saved", a falling glide for "stopped".
TONES: dict[str, list[tuple[float, float, float]]] = {
    "listening": [(520.0, 780.0, 0.16)],
    "saved": [(660.0, 660.0, 0.09), (880.0, 880.0, 0.12)],
    "stopped": [(660.0, 440.0, 0.2)],
}
TONE_LEVEL = 0.18  # of full scale: audible, never startling
TONE_GAP = 0.04


def tone(name: str, rate: int) -> np.ndarray:
    """The named earcon as mono int16 at `rate`: soft sines with a fade in and out."""
    parts: list[np.ndarray] = []
    for start, end, seconds in TONES[name]:
        t = np.arange(int(rate * seconds)) / rate
        freq = start + (end - start) * t / seconds
        phase = 2 * math.pi * np.cumsum(freq) / rate
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.015)
        parts += [np.sin(phase) * fade * TONE_LEVEL, np.zeros(int(rate * TONE_GAP))]
    return (np.concatenate(parts[:-1]) * 32767).astype(np.int16)
