"""One line of output that changes in place: rewritten with a carriage return on a
terminal, whole plain lines anywhere else (a pipe, a log, a screen reader).

The live transcript and a download's progress both show something that keeps changing;
this is the one place that decides how, so both behave alike and never wrap or leave a
half-rewritten line behind.
"""

from __future__ import annotations

import contextlib
import shutil
import unicodedata
from typing import TextIO


class StatusLine:
    """`show` rewrites the live line (on a terminal only); `line` prints a whole line,
    replacing the live one; `close` ends the live line so other output can follow."""

    def __init__(self, out: TextIO, live: bool | None = None) -> None:
        self.out = out
        self.live = out.isatty() if live is None else live
        self._shown = 0  # display width of what the live line shows now

    def show(self, text: str) -> None:
        if not self.live:
            return
        text = tail(text, max(10, shutil.get_terminal_size().columns - 1))
        shown = width(text)
        self._write("\r" + text + " " * max(0, self._shown - shown))
        self._shown = shown

    def line(self, text: str) -> None:
        if self.live and self._shown:
            self.show("")
            text = "\r" + text
        self._write(text + "\n")
        self._shown = 0

    def close(self) -> None:
        if self.live and self._shown:
            self._write("\n")
            self._shown = 0

    def _write(self, text: str) -> None:
        """A terminal that was closed (a session ends on its SIGHUP) costs the display,
        never the work going on."""
        with contextlib.suppress(OSError):
            self.out.write(text)
            self.out.flush()


def width(text: str) -> int:
    """Terminal columns `text` takes (Korean, Chinese, Japanese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def tail(text: str, columns: int) -> str:
    """The end of `text` that fits in `columns`, so the live line never wraps."""
    if width(text) <= columns:
        return text
    while width(text) > columns - 1:
        text = text[1:]
    return "\u2026" + text
