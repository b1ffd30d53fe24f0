"""The terminal: the typed session's Voice and Ear, the live transcript line, the Enter
key during a spoken session, the passphrase prompt, and the lines that name what was
left out.

Typing is a first-class way to use Reflect (for people who cannot or do not want to
speak), so this is plain lines only: no colours, no cursor movement, a blank line between
parts and "Question:" before each question, which a screen reader reads out in order.
It works the same with a pipe on stdin, which is how scripts and tests drive it. Only the
live transcript rewrites a line, and only on a terminal.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from assistant.errors import BadInput, ReflectError
from assistant.messages import Msg
from assistant.terminal.interrupts import StopRequest
from assistant.terminal.printable import printable
from assistant.terminal.statusline import StatusLine
from assistant.text.commands import Commands, finishes_answer
from assistant.turns import Answer, Command, CommandName, Ended, Heard, Interrupted, Kind


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

    def listen(self, within: float | None = None) -> Heard | None:
        """`within`: no typed reply is awaited (Reflect reads back only spoken answers)."""
        if within is not None:
            return None
        if self._ended:
            return Command(CommandName.STOP)
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
                    stop.heard = self._answer(lines, began, Ended.INTERRUPTED)
                raise
            if not line:  # end of input
                self._ended = True
                if lines:
                    return self._answer(lines, began, Ended.END_OF_INPUT)
                return Command(CommandName.STOP)
            line = line.rstrip("\r\n")
            if not line.strip():
                if lines:
                    return self._answer(lines, began, Ended.TYPED)
                continue  # an empty line before any text ends nothing
            name = self.commands.match(line)
            if finishes_answer(name, bool(lines)):
                return self._answer(lines, began, Ended.TYPED)
            if name:
                return Command(name, self._text(lines), self.clock() - began if lines else 0.0)
            lines.append(line)

    @staticmethod
    def _text(lines: list[str]) -> str:
        """The typed lines as one text that can be saved: bytes that were not UTF-8 (kept
        by Python as lone surrogates) become U+FFFD instead of failing the save."""
        text = "\n".join(lines).strip()
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def _answer(self, lines: list[str], began: float, ended: Ended) -> Answer:
        return Answer(self._text(lines), self.clock() - began, ended)


def ask_passphrase(new: bool, env: str | None = None, prompt: Msg | None = None) -> str:
    """The passphrase from the environment variable `env` (REFLECT_PASSPHRASE unless
    given: scripts, tests) or typed without echo; a new one is typed twice so a typo
    cannot lock the user out."""
    from assistant.journal.crypto import PASSPHRASE_ENV, passphrase_from_env

    env = env or PASSPHRASE_ENV
    if env in os.environ or not sys.stdin.isatty():
        return passphrase_from_env(new, env)
    prompt = prompt or (Msg.PASSPHRASE_NEW if new else Msg.PASSPHRASE_ASK)
    first = getpass.getpass(prompt.format())
    if not first:
        raise BadInput(Msg.PASSPHRASE_EMPTY)
    if new and getpass.getpass(Msg.PASSPHRASE_AGAIN.format()) != first:
        raise BadInput(Msg.PASSPHRASE_MISMATCH)
    return first


class LiveLine:
    """The transcript on screen: one live line in a terminal, plain lines elsewhere.

    In a terminal the line is rewritten as words come in and is closed when the answer
    ends. Anywhere else (a pipe, a log, some screen readers) only "Listening." and the
    finished answer are printed, one line each. What Vosk hears is shown with control
    characters escaped, like everything Reflect prints of what was said.
    """

    def __init__(self, out: TextIO = sys.stdout, live: bool | None = None) -> None:
        self.status = StatusLine(out, live)

    @property
    def live(self) -> bool:
        return self.status.live

    def listening(self) -> None:
        if self.live:
            self.status.show(Msg.LISTENING.format())
        else:
            self.status.line(Msg.LISTENING.format())

    def partial(self, text: str) -> None:
        if text:
            self.status.show(printable(text))

    def done(self, text: str) -> None:
        self.status.line(Msg.HEARD.format(text=printable(text)))

    def aside(self) -> None:
        self.status.close()


class EnterKey:
    """Enter on the keyboard, read by a small thread (only when stdin is a terminal).

    While the session is spoken, every line typed is a key press: `on_enter` skips the
    narration and ends the answer. If the microphone is lost, `typed()` hands the same
    lines to the typed ear instead, so two readers never fight over stdin.
    """

    def __init__(self, inp: TextIO, on_enter: Callable[[], None]) -> None:
        self.inp = inp
        self.on_enter = on_enter
        self._typing = False
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="reflect-enter", daemon=True).start()

    def _run(self) -> None:
        for line in iter(self.inp.readline, ""):
            if self._typing:
                self._lines.put(line)
            else:
                self.on_enter()
        self._lines.put("")  # end of input

    def typed(self) -> EnterKey:
        """From now on, lines are typed answers: read them with readline()."""
        self._typing = True
        return self

    def readline(self) -> str:
        line = self._lines.get()
        if not line:
            self._lines.put("")  # the end stays the end for every later read
        return line


def tell_left_out(skipped: list[ReflectError]) -> None:
    """Name each session file that could not be read (the rest went on without it)."""
    for err in skipped:
        print(printable(str(err)), file=sys.stderr)


def underlined(out: TextIO = sys.stdout) -> Callable[[str], str]:
    """Underline for a terminal that takes styling, or nothing: not when `out` is a pipe
    or a file (a screen reader, a log), nor under NO_COLOR (https://no-color.org), which
    asks for plain text. Never the only sign of anything: what it underlines is marked
    in words too."""
    if not out.isatty() or os.environ.get("NO_COLOR"):
        return lambda text: text
    return lambda text: f"\x1b[4m{text}\x1b[24m"
