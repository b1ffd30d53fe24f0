"""One Reflect process per session file, and the file a path names.

A process writing a session holds an exclusive lock (flock) on its file from the moment
it opens it -- a new session file from before it appears in the journal: it is locked
while it is still a temporary file (files.create_held) -- until it is done. `journal
encrypt`, `journal passphrase`, `journal delete` and a second `resume` take the same lock
before they touch a file, and leave alone -- naming it -- a session that is open
elsewhere. The kernel drops a lock when its process dies, so a crash or a kill never
leaves a session locked.

A lock belongs to a file, not to its name: another program may rename or delete the file,
or put another in its place, while it is held. So every lock is taken on the file and then
checked against the path (`same_file`), and the writer checks again after every save.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from assistant.journal.errors import OpenElsewhere

_ATTEMPTS = 5  # a path replaced between opening and locking: try its new file


def same_file(fd: int, path: Path) -> bool:
    """Whether `path` (not followed if it is a link) still names the file open as `fd`."""
    try:
        there = os.stat(path, follow_symlinks=False)
    except OSError:  # gone, or its folder is
        return False
    mine = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


def same_inode(fd: int, other: int) -> bool:
    a, b = os.fstat(fd), os.fstat(other)
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def hold(path: Path) -> int:
    """A read-only descriptor of the file at `path` (never through a link), exclusively
    locked, that `path` still names. OpenElsewhere when another process holds it."""
    for _ in range(_ATTEMPTS):
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OpenElsewhere(path) from None
        except BaseException:
            os.close(fd)
            raise
        if same_file(fd, path):
            return fd
        os.close(fd)  # replaced meanwhile: the lock is on a file no longer in the journal
    raise OSError(errno.ESTALE, os.strerror(errno.ESTALE), str(path))


@contextlib.contextmanager
def held(path: Path) -> Iterator[int]:
    """`hold`, released at the end of the block."""
    fd = hold(path)
    try:
        yield fd
    finally:
        os.close(fd)


def read_all(fd: int) -> bytes:
    """Everything in the file open as `fd`, from its start (the descriptor's own offset is
    left alone)."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
