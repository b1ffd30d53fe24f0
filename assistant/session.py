"""The conductor of a guided session.

It walks a guide -- intro, the role choice, each step's narration and questions, outro --
talking only to a `Voice` (presents text; later speaks it), an `Ear` (returns what the
user said) and a `Store` (keeps answers). It holds no terminal, audio or file code, which
is what lets the same logic run with fakes in unit tests and with the real parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Answer:
    """One finished answer, as heard or typed."""

    text: str
    seconds: float
    ended: str  # silence | command | enter | max | typed | device-lost | end-of-input
    confidence: float | None = None


@dataclass(frozen=True)
class Command:
    """A command spoken or typed as an utterance of its own (see commands.py)."""

    name: str  # finish | repeat | skip | back | pause | resume | stop | help
    pending: str = ""  # answer text heard before the command, not yet saved
    seconds: float = 0.0  # how long the pending text took


Heard = Answer | Command


class Voice(Protocol):
    def say(self, text: str) -> None:
        """Present `text` and return once it has been spoken (or skipped by the user)."""

    def prepare(self, texts: Sequence[str]) -> None:
        """A hint that these texts come next, so they can be rendered ahead."""

    def cue(self, name: str) -> None:
        """A short non-verbal signal: `listening` or `saved`."""


class Ear(Protocol):
    def listen(self) -> Heard:
        """Wait for the user's next answer or command."""
