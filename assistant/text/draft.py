"""The answer being put together for one question, before and while it is kept.

An answer can come in several takes: words heard before "repeat" or "help", the rest
after; more added after a read-back. Each take is the recognizer's words (made readable
by text/readable.py) or typed text; takes are separate paragraphs. "Scratch that" drops the
last sentence of the last take. Pure logic: no audio, no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.text.readable import (
    PARAGRAPH_PAUSE,
    SENTENCE_PAUSE,
    readable,
    rules_for,
    sentences,
)
from assistant.turns import Answer, Command, Word


@dataclass(frozen=True)
class _Take:
    typed: str  # typed text; "" for a spoken take
    words: tuple[Word, ...]  # a spoken take's words, times from the take's first word
    confidence: float | None = None  # as the ear gave it


class Draft:
    """Text heard for the current question, with the words it came from."""

    def __init__(self, language: str = "en", sentence_pause: float = SENTENCE_PAUSE) -> None:
        self.language = language
        self.sentence_pause = sentence_pause
        self.seconds = 0.0
        self._takes: list[_Take] = []

    def add(self, heard: Answer | Command) -> None:
        """More of the answer: an answer, or the words heard before a command; spoken
        words when there are any, else the typed text."""
        text = heard.text if isinstance(heard, Answer) else heard.pending
        confidence = heard.confidence if isinstance(heard, Answer) else None
        self.seconds += heard.seconds
        if heard.words:
            first = heard.words[0].start
            self._takes.append(_Take("", tuple(
                replace(w, start=w.start - first, end=w.end - first) for w in heard.words),
                confidence))
        elif text.strip():
            self._takes.append(_Take(text.strip(), (), confidence))

    def scratch(self) -> str | None:
        """Drop the last sentence (of a typed take: the last line); the text dropped, or
        None when there was nothing to drop."""
        if not self._takes:
            return None
        take = self._takes.pop()
        if take.typed:
            lines = take.typed.splitlines()
            kept, dropped = lines[:-1], lines[-1]
            if kept:
                self._takes.append(_Take("\n".join(kept), ()))
            return dropped
        parts = sentences(take.words, self.sentence_pause, rules_for(self.language).cased)
        if len(parts) > 1:
            self._takes.append(_Take("", tuple(w for s in parts[:-1] for w in s),
                                     take.confidence))
        return self._readable(parts[-1])

    def __bool__(self) -> bool:
        return bool(self._takes)

    @property
    def text(self) -> str:
        return "\n".join(t.typed or self._readable(t.words) for t in self._takes)

    @property
    def words(self) -> tuple[Word, ...]:
        """Every spoken word, times from the answer's first word; takes lie a paragraph's
        pause apart, so the words alone make the same paragraphs again."""
        out: list[Word] = []
        at = 0.0
        for take in self._takes:
            shift = at + PARAGRAPH_PAUSE if out else 0.0
            out += [replace(w, start=round(w.start + shift, 2), end=round(w.end + shift, 2))
                    for w in take.words]
            at = out[-1].end if out else at
        return tuple(out)

    @property
    def confidence(self) -> float | None:
        """The mean of the words' confidences (or of the takes', when words have none)."""
        confs = ([w.conf for t in self._takes for w in t.words if w.conf is not None]
                 or [t.confidence for t in self._takes if t.confidence is not None])
        return round(sum(confs) / len(confs), 3) if confs else None

    def _readable(self, words: Sequence[Word]) -> str:
        return readable(words, self.language, self.sentence_pause)
