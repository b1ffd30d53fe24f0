"""detect.py: the loudness rule that tells speech from the room's own noise."""

from __future__ import annotations

import numpy as np

from assistant.speech.detect import Loudness


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
