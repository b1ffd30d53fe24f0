"""What sound flows through: a Source (microphone-like) and a Sink (speaker-like), and the
two ways a source stops giving sound. The devices (audio/microphone.py, audio/speaker.py) and
WAV files (audio/wavfiles.py) implement them, so the ear and the voice never know which one
they have.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

import numpy as np

CHUNK_SECONDS = 0.1  # how much audio a read() returns at most


class DeviceLost(Exception):
    """The audio device stopped under us (unplugged, server gone, PortAudio error)."""


class EndOfInput(Exception):
    """A recording standing in for the microphone has been played to its end."""


class Source(Protocol):
    """Microphone-like: mono int16 PCM at `rate`."""

    rate: int
    overflows: int

    def start(self) -> None: ...

    def close(self) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Up to CHUNK_SECONDS of audio; b"" when nothing arrived within `timeout`."""
        ...

    def hold(self) -> None:
        """Half-duplex: deliver nothing until release() (Reflect is speaking)."""
        ...

    def release(self) -> None: ...


class Sink(Protocol):
    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        """Play mono int16 `pcm`; False if `interrupt` was set before the end."""
        ...

    def stream(self, chunks: Iterator[np.ndarray], rate: int,
               interrupt: threading.Event | None = None) -> bool:
        """Play mono int16 chunks one after the other with no gap between them, starting
        with the first while the next are still being made (a voice synthesizing ahead);
        False if `interrupt` was set before the end."""
        ...

    def close(self) -> None: ...
