"""Native engines (Kaldi under Vosk, onnxruntime under Piper) write their errors from C++
straight to file descriptor 2, where they land in the middle of the user's screen -- and a
broken model file's raw bytes with them. While such an engine loads, that descriptor goes
to a private temporary file: the engine's own lines go to the log (escaped, cut short),
anything else written meanwhile goes on to stderr as it was.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import IO

from assistant import files

log = logging.getLogger(__name__)

LOGGED_CHARS = 2000  # of one native line: a broken file's bytes say nothing past that
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_stderr_lock = threading.Lock()  # one capture of file descriptor 2 at a time


@contextlib.contextmanager
def native_stderr_to_log(engine: str, native: re.Pattern[bytes]) -> Iterator[None]:
    """Inside this block, what is written to file descriptor 2 is held back; at its end,
    the lines that match `native` (the engine's own) go to the log under `engine`'s name,
    the rest to stderr. Keep the block to the native call: meanwhile, every thread's
    stderr is held back."""
    with _stderr_lock, contextlib.ExitStack() as stack:
        try:
            sink = stack.enter_context(tempfile.TemporaryFile())  # 0600, gone once closed
        except OSError as err:  # no room for it: better Kaldi's lines than no model
            log.warning("cannot keep the speech engine's messages off the screen: %s", err)
            yield
            return
        capture = _Capture(sink, engine, native)
        try:
            yield
        finally:
            capture.end()


class _Capture:
    """File descriptor 2 pointed at `sink` until `end()`, which also runs at exit: a run
    that ends while a model loads in the background gets its stderr back, with whatever
    was written to it meanwhile (a closed stderr is left closed)."""

    def __init__(self, sink: IO[bytes], engine: str, native: re.Pattern[bytes]) -> None:
        self._sink = sink
        self._engine, self._native = engine, native
        self._lock = threading.Lock()
        self._saved: int | None = None
        _flush_stderr()
        with contextlib.suppress(OSError):
            self._saved = os.dup(2)
            os.dup2(sink.fileno(), 2)
            atexit.register(self.end)

    def end(self) -> None:
        with self._lock:
            if self._saved is None:
                return
            atexit.unregister(self.end)
            _flush_stderr()  # Python's buffered stderr text belongs to the capture too
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = None
            self._sink.seek(0)
            _pass_on(self._sink.read(), self._engine, self._native)


def _flush_stderr() -> None:
    if sys.stderr is not None:
        sys.stderr.flush()


def _pass_on(held: bytes, engine: str, native: re.Pattern[bytes]) -> None:
    """Native lines to the log, escaped and cut short; every other line back to stderr as
    it was written. Line by line, so that what another thread says after an engine's
    error is still shown (a Kaldi line quotes a broken file's bytes only up to whitespace,
    so never spills onto the next line)."""
    shown = bytearray()
    for line in held.splitlines(keepends=True):
        if native.match(line):
            text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}",
                                line.decode("utf-8", "backslashreplace").rstrip("\n"))
            log.warning("%s: %s", engine, text[:LOGGED_CHARS])
        else:
            shown += line
    if shown:
        files.write_all(2, bytes(shown))
