"""Text to speech behind one small interface, so that engines plug in: a Synthesizer turns
text into sound and the Voice (tts/voice.py) plays, caches and pre-renders it, whichever
engine made it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

import numpy as np


class Sound(NamedTuple):
    """Mono int16 PCM and its rate."""

    pcm: np.ndarray
    rate: int


class Synthesizer(Protocol):
    @property
    def identity(self) -> str:
        """The engine, its version and every setting that changes the sound (voice, rate,
        volume): one identity and one text always sound the same, so the two key the
        cache, and a new engine version renders afresh."""
        ...

    def synthesize(self, text: str) -> Iterator[Sound]:
        """`text` as sound, in one or more chunks to play one after the other, all at one
        rate (an engine may yield one chunk per sentence, or one for the whole text).

        Called from any thread: an engine that is not thread-safe serialises the calls
        itself. Raises SpeaksItself when it cannot hand sound over on this platform, and
        speech.errors.NoSpeech when it fails."""
        ...

    def close(self) -> None: ...


class SpeaksItself(Exception):
    """The engine cannot hand its sound over on this platform: `speak()` has it say the
    text through its own playback instead (that sound can be neither kept nor cut short)."""

    def __init__(self, speak: Callable[[], None]) -> None:
        super().__init__()
        self.speak = speak
