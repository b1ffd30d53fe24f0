"""Is this sound speech? The ear asks a SpeechDetector about every chunk it reads, because
a recognizer shows new words about a second late (see listening/endpoint.py), and because Vosk turns
steady noise into words: a detector that tells speech from noise decides which of them
are kept (listening/take.py).

Silero VAD (listening/silero.py) is the detector when it loads; the loudness rule below is the
fallback, which behaves as Reflect did before it had Silero.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np

MIN_LOUD = 300.0  # RMS of int16 samples (-40 dBFS): quieter is never taken for speech


class SpeechDetector(Protocol):
    name: str  # what it is, for `reflect doctor`
    # True when "no speech" holds under noise too (a neural model): then words the
    # recognizer finds where the detector heard no speech are dropped, and a change of
    # partial words counts as talking only right after speech. The loudness rule's "no"
    # may be quiet speech, so it leaves every word in.
    tells_noise: bool

    def speech(self, pcm: bytes) -> bool:
        """Whether this chunk of mono int16 audio (the next one after the last) may be
        speech rather than the room's own noise."""
        ...

    def reset(self) -> None:
        """The next chunk does not follow the last one (listening starts again after the
        source was on hold)."""
        ...


class Loudness:
    """Tells audio loud enough to be speech from the room's own noise.

    Loud means an RMS above three times the noise floor -- the quietest tenth of the last
    ten seconds -- and above MIN_LOUD, so a steady fan or hum never counts.
    """

    name = "the loudness rule"
    tells_noise = False

    def __init__(self, window: int = 100) -> None:
        self._levels: deque[float] = deque(maxlen=window)

    def speech(self, pcm: bytes) -> bool:
        samples = np.frombuffer(pcm, np.int16).astype(np.float32)
        level = float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0
        self._levels.append(level)
        return level >= max(MIN_LOUD, 3.0 * float(np.percentile(self._levels, 10)))

    def reset(self) -> None:
        """Nothing to forget: the room's noise floor is the same after a pause."""
