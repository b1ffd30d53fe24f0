"""Text in, text out: the session's Voice and Ear for typed sessions.

Typing is a first-class way to use Reflect (for people who cannot or do not want to
speak), so this is plain lines only: no colours, no cursor movement, a blank line between
parts and "Question:" before each question, which a screen reader reads out in order.
It works the same with a pipe on stdin, which is how scripts and tests drive it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from assistant.commands import Commands
from assistant.interrupts import Interrupted, StopRequest
from assistant.messages import Msg
from assistant.session import Answer, Command, Heard, Kind


class ConsoleVoice:
    """Prints what a spoken session would say."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._started = False

    def say(self, text: str, kind: Kind = "narration") -> None:
        if kind == "question":
            text = Msg.TYPED_QUESTION.format(text=text)
        self._print(text)

    def pause(self, seconds: float) -> None:
        """Readers take their own time; a typed session never waits."""

    def prepare(self, texts: Sequence[str]) -> None:
        """Printing needs no rendering ahead."""

    def cue(self, name: str) -> None:
        if name == "saved":  # the one cue a typed user needs to see: the answer is safe
            self._print(Msg.TYPED_SAVED.format())

    def _print(self, text: str) -> None:
        """Blank line between parts. A closed terminal (the session ends on its SIGHUP)
        costs the display, never the session."""
        with contextlib.suppress(OSError):
            print(("\n" if self._started else "") + text, file=self.out, flush=True)
        self._started = True


class ConsoleEar:
    """Reads typed answers: several lines, ended by an empty line or "done" alone.

    A line that is a command on its own (the same matcher as for speech) is returned as
    a Command carrying the lines typed before it. At the end of input, pending text comes
    back as an answer first, then "stop" -- so a pipe that runs dry loses nothing.
    A stop request (Ctrl-C, SIGTERM, SIGHUP) while typing raises Interrupted at once,
    carrying the lines typed so far, for the session to save."""

    def __init__(self, inp: TextIO = sys.stdin, out: TextIO = sys.stdout,
                 commands: Commands | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 stop: StopRequest | None = None) -> None:
        self.inp = inp
        self.out = out
        self.commands = commands or Commands()
        self.clock = clock
        self.stop = stop or StopRequest()
        self._hinted = False
        self._ended = False

    def listen(self) -> Heard:
        if self._ended:
            return Command("stop")
        if not self._hinted:
            print(Msg.TYPED_HINT.format(), file=self.out, flush=True)
            self._hinted = True
        lines: list[str] = []
        began = self.clock()
        while True:
            try:
                with self.stop.waiting():
                    line = self.inp.readline()
            except Interrupted as stop:
                self._ended = True
                if lines:
                    stop.heard = Answer(self._text(lines), self.clock() - began, "interrupted")
                raise
            if not line:  # end of input
                self._ended = True
                if lines:
                    return Answer(self._text(lines), self.clock() - began, "end-of-input")
                return Command("stop")
            line = line.rstrip("\r\n")
            if not line.strip():
                if lines:
                    return Answer(self._text(lines), self.clock() - began, "typed")
                continue  # an empty line before any text ends nothing
            name = self.commands.match(line)
            if name == "finish" and lines:
                return Answer(self._text(lines), self.clock() - began, "typed")
            if name:
                return Command(name, self._text(lines), self.clock() - began if lines else 0.0)
            lines.append(line)

    @staticmethod
    def _text(lines: list[str]) -> str:
        """The typed lines as one text that can be saved: bytes that were not UTF-8 (kept
        by Python as lone surrogates) become U+FFFD instead of failing the save."""
        text = "\n".join(lines).strip()
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
