"""Speech to text behind one small interface, so that engines plug in: the ear feeds a
Recognizer audio and reads words back, whichever engine hears them (Vosk, stt/vosk.py, is
the one there is so far).
"""

from __future__ import annotations

from typing import Protocol

from assistant.turns import Word

__all__ = ["Recognizer", "Word"]


class Recognizer(Protocol):
    """Mono int16 audio in, at the rate it was made for; words out. Only words of speech
    come out: an engine's tokens for noise ("[noise]", "<unk>") never do."""

    @property
    def elapsed(self) -> float:
        """Seconds of audio fed since it was made, warm-up included: the clock its word
        times are on. It only goes forward (a reset does not set it back)."""
        ...

    def feed(self, pcm: bytes) -> list[Word] | None:
        """Take more audio. The words of an utterance that closed with it (none, when it
        held only noise), or None while an utterance is still open."""
        ...

    def partial(self) -> list[str]:
        """The words of the open utterance so far (untimed: they lag the audio anyway)."""
        ...

    def flush(self) -> list[Word]:
        """Close the open utterance now: its words."""
        ...

    def reset(self) -> None:
        """Drop the open utterance (a new answer begins); the clock goes on."""
        ...
