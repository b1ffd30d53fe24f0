"""The journal's own kinds of failure: what its readers and rewrites decide on -- leave a
file out and name it, pass over a damaged header, try the next key -- never which
sentence an error holds. The sentences are messages.py's.

They live here, not in assistant/errors.py: nothing outside the journal decides on them
(the CLI only prints them and exits with their code).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from assistant import errors
from assistant.errors import BadInput, ReflectError
from assistant.messages import Msg


def write_reason(err: OSError) -> str:
    """Why a write to the journal failed, in the user's words."""
    return errors.reason(err, refused=Msg.REASON_NOT_WRITABLE)


class CannotOpen(ReflectError):
    """A session file that cannot be opened: a command that needs it stops with this;
    one that goes through the whole journal goes on without it and names it with
    `left_out` instead."""

    MESSAGE: ClassVar[Msg]
    LEFT_OUT: ClassVar[Msg]

    def __init__(self, path: Path, **fields: object) -> None:
        super().__init__(self.MESSAGE, path=path, session=path.stem, **fields)

    def left_out(self) -> ReflectError:
        """The sentence a listing that goes on without this file names it with."""
        return ReflectError(self.LEFT_OUT, **self.fields)


class Unreadable(CannotOpen):
    """The file cannot be read (another user owns it, say); `reason` says why."""

    MESSAGE, LEFT_OUT = Msg.SESSION_UNREADABLE, Msg.SESSION_LEFT_OUT


class NotASession(CannotOpen):
    """The file is empty, or its front matter names no guide."""

    MESSAGE, LEFT_OUT = Msg.NOT_A_SESSION, Msg.NOT_A_SESSION_LEFT_OUT


class SealedWithAnother(CannotOpen, BadInput):
    """The file is sealed with a passphrase other than the one given (the user's input:
    exit 2)."""

    MESSAGE, LEFT_OUT = Msg.PASSPHRASE_NOT_THIS_SESSION, Msg.OTHER_PASSPHRASE_LEFT_OUT


class OpenElsewhere(CannotOpen):
    """Another Reflect process holds the session's lock (journal/lock.py)."""

    MESSAGE, LEFT_OUT = Msg.SESSION_OPEN_ELSEWHERE, Msg.SESSION_OPEN_LEFT_OUT


class DamagedHeader(ReflectError):
    """A sealed file's encryption header cannot be used: the file is shown set aside as it
    is, and locks out no other file."""

    def __init__(self, session: str | None, reason: str) -> None:
        super().__init__(Msg.ENCRYPTED_HEADER_BAD, session=session, reason=reason)


class WrongPassphrase(BadInput):
    """The passphrase given opens no session of the journal: nothing is read or changed."""

    def __init__(self) -> None:
        super().__init__(Msg.PASSPHRASE_WRONG)
