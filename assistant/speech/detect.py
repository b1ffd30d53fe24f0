"""Is this sound speech? The ear asks a SpeechDetector about every chunk it reads, because
a recognizer shows new words about a second late (see endpoint.py); the loudness rule is
the detector there is so far.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np

MIN_LOUD = 300.0  # RMS of int16 samples (-40 dBFS): quieter is never taken for speech


class SpeechDetector(Protocol):
    def speech(self, pcm: bytes) -> bool:
        """Whether this chunk of mono int16 audio (the next one after the last) may be
        speech rather than the room's own noise."""
        ...


class Loudness:
    """Tells audio loud enough to be speech from the room's own noise.

    Loud means an RMS above three times the noise floor -- the quietest tenth of the last
    ten seconds -- and above MIN_LOUD, so a steady fan or hum never counts.
    """

    def __init__(self, window: int = 100) -> None:
        self._levels: deque[float] = deque(maxlen=window)

    def speech(self, pcm: bytes) -> bool:
        samples = np.frombuffer(pcm, np.int16).astype(np.float32)
        level = float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0
        self._levels.append(level)
        return level >= max(MIN_LOUD, 3.0 * float(np.percentile(self._levels, 10)))
