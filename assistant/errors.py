"""What can go wrong, by kind: each kind is what a caller decides on (go on without a
part, stop with exit 2, keep a partial download...), never which sentence an error holds.
The sentences themselves live in messages.py, the one catalogue.
"""

from __future__ import annotations

import errno

from assistant.messages import Msg

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


class ReflectError(Exception):
    """An expected failure with one plain sentence for the user and an exit status."""

    exit_code = EXIT_FAILURE

    def __init__(self, msg: Msg, **fields: object) -> None:
        self.msg = msg
        self.fields = fields
        super().__init__(msg.format(**fields))


class BadInput(ReflectError):
    """Something the user gave (a file, a name, a value, a passphrase) cannot be used."""

    exit_code = EXIT_BAD_INPUT


class Unavailable(ReflectError):
    """A part a spoken session needs is missing or not working (speech output, PortAudio,
    a device, a speech model): the session goes on without it."""


class Cancelled(ReflectError):
    """The user stopped a long task (Ctrl-C during a download)."""

    exit_code = EXIT_CANCELLED


def reason(err: BaseException, refused: Msg = Msg.REASON_READ_DENIED) -> str:
    """Why something failed, for "... because {reason}": a full disk and a refusal (in the
    caller's words, `refused`) said plainly, anything else as the system or the library
    says it."""
    if isinstance(err, OSError):
        if err.errno == errno.ENOSPC:
            return Msg.REASON_DISK_FULL.format()
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return refused.format()
        if err.strerror:
            return err.strerror
    return str(err).rstrip(".") or type(err).__name__
