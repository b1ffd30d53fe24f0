"""Appending a session's blocks, and carrying on in a new file when the old one is lost.

Every block is one `write`, flushed and fsynced before `answer` or `mark` returns, so a
crash loses at most the block being written; earlier blocks are never rewritten.

The writer holds the session's lock (lock.py) from `Journal.start` or `reopen`
until `close`. After each save it checks that the journal path still names the file it
wrote to. Another program may have deleted it, renamed it, put another file in its place
or removed the whole folder: then the answers would be going into a file no one can find.
So the writer carries on in a continuation -- a new session file, made whole, holding
everything the lost one held (read back through the descriptor it still has open) and
saying which session it continues -- and `answer`/`mark` return one sentence that says
where the answers are now. From then on the journal names the continuation wherever the
lost session is shown (`Record.continued_in`), and `resume` goes on there: never in a copy
that another program put back at the old path. A UTF-16 file (saved so by another program)
is not appended to either: UTF-8 blocks in it would make it unreadable; its first save
carries on too.

Only a new session's front matter is ever written again, once, before its first block:
when the speech model it names turned out unusable (Journal.start, Journal.restated).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.errors import ReflectError
from assistant.files import write_all
from assistant.journal import reading
from assistant.journal.blocks import entry_block, mark_block
from assistant.journal.crypto import block_aad
from assistant.journal.errors import write_reason
from assistant.journal.header import as_utf8
from assistant.journal.lock import read_all, same_file, same_inode
from assistant.journal.tail import resume_point
from assistant.messages import Msg
from assistant.turns import Entry, Mark

if TYPE_CHECKING:
    from assistant.journal.crypto import Cipher
    from assistant.journal.record import Record

_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
_ATTEMPTS = 5  # a path replaced again and again while it is opened: give up, say so


class Home(Protocol):
    """Where a session's file is made anew (the Journal, store.py): the writer is handed
    it, so that it never reaches back into the journal it was made by."""

    def continuation(self, data: bytes, session_id: str,
                     cipher: Cipher | None) -> tuple[Path, int]: ...

    def restated(self, path: Path, held: int, cipher: Cipher | None,
                 **fields: str | None) -> int: ...


class Writer:
    """Appends one session's blocks: one write, then fsync, then a look at the path,
    before returning. `path` and `id` name the file that holds the answers (a
    continuation, once the first file was lost)."""

    def __init__(self, home: Home, path: Path, held: int, cipher: Cipher | None, *,
                 fresh: bool, recode: bool = False,
                 model: Callable[[], str | None] | None = None) -> None:
        self.id = path.stem
        self.path = path
        self._home = home
        self._held: int | None = held  # read-only and locked: the session is ours
        self._fd: int | None = None  # for appending, opened at the first save
        self._cipher = cipher
        self._seq = 0  # sealed blocks so far (each block's position is authenticated)
        self._prefix = b""
        self._known = fresh  # False: look at the file's tail before the next append
        self._recode = recode  # not UTF-8: carry on in a new file before the first append
        self._model = model  # a new session's speech model, settled by its first block

    def answer(self, entry: Entry) -> str | None:
        """Save an answer. Returns a sentence for the user when the answers are now kept
        in another file (see the module docstring), else None."""
        return self._append(entry_block(entry), Msg.SAVE_FAILED, text=entry.text)

    def mark(self, mark: Mark) -> str | None:
        """Save a mark; returns what `answer` returns."""
        return self._append(mark_block(mark), Msg.SAVE_MARK_FAILED, kind=mark.kind)

    def record(self) -> Record:
        """The session as its file holds it now, read through the locked descriptor: what
        a resumed session goes on from, which no other process can change meanwhile."""
        assert self._held is not None, "a closed Writer reads nothing"
        return reading.record(reading.open_bytes(self.path, read_all(self._held),
                                                 self._cipher))

    def close(self) -> str | None:
        """Release the file. A file lost after the last save is caught here too, so that
        `path` at the end names the file that holds every answer; returns what `answer`
        returns."""
        if self._held is None:
            return None
        try:
            if same_file(self._held, self.path):
                return None
            return self._carry_on(Msg.SESSION_FILE_MOVED)
        except OSError as err:
            raise ReflectError(Msg.SESSION_MOVED_NOT_KEPT, path=self.path,
                               reason=write_reason(err)) from err
        finally:
            self._release()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _append(self, block: bytes, msg: Msg, **fields: object) -> str | None:
        assert self._held is not None, "a closed Writer saves nothing"
        notice = None
        try:
            if self._model is not None:  # Journal.start says why
                self._held = self._home.restated(self.path, self._held, self._cipher,
                                                    model=self._model())
                self._model = None
            if self._recode:
                notice = self._carry_on(Msg.SESSION_FILE_RECODED)
            fd, moved = self._append_fd()
            notice = moved or notice
            if not self._known:  # reopened, or a failed write may have left a partial block
                self._seq, self._prefix = resume_point(as_utf8(read_all(self._held)),
                                                       self._cipher is not None)
                self._known = True
            if self._cipher is not None:
                block = self._cipher.seal(block, block_aad(self.id, self._seq)) + b"\n"
            write_all(fd, self._prefix + block)
            os.fsync(fd)
            self._seq += 1
            self._prefix = b""
            if not same_file(fd, self.path):  # lost while we wrote: the block is in it
                notice = self._carry_on(Msg.SESSION_FILE_MOVED)
        except OSError as err:
            self._close_append()
            self._known = False
            raise ReflectError(msg, reason=write_reason(err), path=self.path, **fields) from err
        return notice

    def _append_fd(self) -> tuple[int, str | None]:
        """The descriptor appending to the locked file, and the sentence to say when the
        answers had to carry on in a new file first: the path is opened, so it must
        still name the locked file (checked before opening and after)."""
        notice = None
        for _ in range(_ATTEMPTS):
            if self._fd is not None:
                return self._fd, notice
            assert self._held is not None
            if not same_file(self._held, self.path):
                notice = self._carry_on(Msg.SESSION_FILE_MOVED)
            fd = os.open(self.path, _APPEND)
            if same_inode(fd, self._held):
                self._fd = fd
            else:  # replaced between the look and the open: look again
                os.close(fd)
        if self._fd is None:
            raise OSError(errno.ESTALE, os.strerror(errno.ESTALE), str(self.path))
        return self._fd, notice

    def _carry_on(self, why: Msg) -> str:
        """Go on in a continuation holding everything this file holds, read through the
        locked descriptor (the file as this writer wrote it, wherever it is now)."""
        assert self._held is not None
        data = as_utf8(read_all(self._held))
        path, held = self._home.continuation(data, self.id, self._cipher)
        lost = self.path
        self._release()
        self._held, self.path, self.id = held, path, path.stem
        self._known = self._recode = False
        return why.format(old=lost, path=path)

    def _close_append(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _release(self) -> None:
        self._close_append()
        if self._held is not None:
            os.close(self._held)
            self._held = None
