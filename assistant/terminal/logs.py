"""Where Reflect's log goes: a small private file, never the user's screen.

The plain output is read by people and screen readers, so a logging line mixed into it
(such as Python's last-resort `WARNING:...`) is noise. Without --debug, records at INFO
and above go to `reflect.log` in the cache folder (0600 in a 0700 folder, rotated so it
stays small) and nothing from logging reaches stderr; with --debug, DEBUG goes to stderr
as well. If the file cannot be opened (a read-only home), the log is dropped quietly.

The log never holds what the user said: log calls name devices, files and errors, never
a transcript. pyttsx3 logs its own debug notes on the root logger; they are named
"pyttsx3" here and, being DEBUG, are shown only with --debug.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

from assistant import files
from assistant.config import paths

LOG_NAME = "reflect.log"
LOG_BYTES = 256 * 1024  # one file at most; with its one older copy, 512 KiB in all
LOG_BACKUPS = 1
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEBUG_FORMAT = "%(relativeCreated)7.0f ms %(levelname)s %(name)s: %(message)s"

_installed: list[logging.Handler] = []  # ours, so a second setup() replaces only these


class PrivateLog(RotatingFileHandler):
    """A rotating log file created 0600 (in a 0700 folder), whose write errors are never
    printed. It is opened on the first record only, so a command with nothing to log
    writes nothing at all. Rotation opens a new file; the mode is set on every open."""

    def _open(self) -> IO[str]:
        path = Path(self.baseFilename)
        files.private_dir(path.parent)
        fd = files.open_private_append(path)  # never through a link planted in its place
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """A full or vanished disk costs the log, not a `--- Logging error ---` on screen."""


def log_file() -> Path:
    return paths().cache_dir / LOG_NAME


def setup(debug: bool) -> None:
    """Send logging to the private file (and, with `debug`, everything to stderr too)."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    # A handler that drops everything: with none at all, logging falls back to stderr
    # (lastResort), and pyttsx3's first logging.debug() would call basicConfig().
    handlers: list[logging.Handler] = [logging.NullHandler(), _open_file()]
    if debug:
        shown = logging.StreamHandler(sys.stderr)
        shown.setFormatter(logging.Formatter(DEBUG_FORMAT))
        handlers.append(shown)
    for handler in handlers:
        handler.addFilter(_name_pyttsx3)
        root.addHandler(handler)
    _installed.extend(handlers)
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def _open_file() -> PrivateLog:
    """The log file's handler; if the file cannot be opened when a record comes, that
    record is dropped (see PrivateLog.handleError)."""
    handler = PrivateLog(log_file(), maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                         encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    return handler


def _name_pyttsx3(record: logging.LogRecord) -> bool:
    """pyttsx3 logs through the root logger; give its records its name."""
    if record.name == "root" and f"{os.sep}pyttsx3{os.sep}" in record.pathname:
        record.name = "pyttsx3"
    return True
