"""Private files and folders: the one place Reflect creates anything on disk.

Every folder Reflect makes is 0700 and every file 0600, whatever the umask (a folder made
by `mkdir(parents=True)` gets the umask's mode for its parents: with umask 000 those are
world-writable). A file is written whole or not at all: into a temporary file beside it,
fsynced, then renamed (replace) or linked (create) into place, so a crash, a kill or a full
disk leaves either the old state or the new one -- never a partial or empty file. A file
another process must not lock first (a journal session) is locked while it is still the
temporary file (`create_held`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import tempfile
import unicodedata
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`path` as a folder, each missing part of it created 0700 (folders that exist already
    are left as they are: where they live is the user's choice)."""
    missing: list[Path] = []
    part = Path(path)
    while not part.is_dir():
        missing.append(part)
        if part.parent == part:
            break
        part = part.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask
    return Path(path)


def fsync_dir(directory: Path) -> None:
    """Make a rename, link or unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fill(fd: int, data: bytes, path: Path) -> None:
    """Write `data` to the new file `fd` (at `path`) 0600 and fsync it; on failure the
    file is closed and removed, so nothing half written stays behind."""
    try:
        os.fchmod(fd, FILE_MODE)
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)


def _temp_beside(path: Path, data: bytes) -> Path:
    """A 0600 temporary file next to `path` holding `data`, fsynced."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _fill(fd, data, Path(name))
    return Path(name)


def replace_private(path: Path, data: bytes) -> None:
    """Put `data` at `path` in one step, replacing what is there. A symbolic link at `path`
    is replaced itself, never followed."""
    os.close(replace_held(path, data))


def replace_held(path: Path, data: bytes) -> int:
    """`replace_private`, returning a descriptor of the new file locked before it
    appeared at `path`, as `create_held` does."""
    temp = _temp_beside(path, data)
    try:
        fd = _locked(temp)
        try:
            os.replace(temp, path)
        except BaseException:
            os.close(fd)
            raise
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _synced(fd, path.parent)


def create_private(path: Path, data: bytes) -> None:
    """Create `path` holding `data`; FileExistsError if anything (a link too) is there.

    The file is linked into place once complete, so no one ever sees it empty or half
    written. Where hard links are not supported, it is created exclusively and removed
    again if the write fails."""
    os.close(create_held(path, data))


def create_held(path: Path, data: bytes) -> int:
    """`create_private`, returning a read-only descriptor of the new file that holds an
    exclusive lock (flock) taken before the file appeared at `path`: no other process can
    lock it first (a journal session, journal/lock.py). A lock belongs to the open file,
    not to its name, so it holds once the file is linked into place."""
    temp = _temp_beside(path, data)
    try:
        fd = _locked(temp)
        try:
            os.link(temp, path, follow_symlinks=False)
        except BaseException as err:
            os.close(fd)
            if not isinstance(err, OSError) or err.errno not in (
                    errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            fd = _create_in_place(path, data)
    finally:
        temp.unlink(missing_ok=True)
    return _synced(fd, path.parent)


def _synced(fd: int, directory: Path) -> int:
    """`fd`, once the link or rename that put its file in `directory` is durable (closed
    if that fails)."""
    try:
        fsync_dir(directory)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _locked(path: Path) -> int:
    """A read-only descriptor of `path`, exclusively locked; BlockingIOError if another
    process holds it."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _create_in_place(path: Path, data: bytes) -> int:
    """Where hard links are not supported: `path` created exclusively, locked at once,
    then filled (removed again if that fails)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        held = _locked(path)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    try:
        _fill(fd, data, path)
    except BaseException:
        os.close(held)
        raise
    return held


def open_private_append(path: Path) -> int:
    """A descriptor appending to `path` (created 0600 when missing), never through a link."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def slug(text: str, limit: int, fallback: str) -> str:
    """`text` as a piece of a file name or id: lowercase ASCII letters, digits and dashes,
    at most `limit` long (cut at a dash when there is one), `fallback` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(base) > limit:
        base = base[:limit].rsplit("-", 1)[0] if "-" in base[:limit] else base[:limit]
    return base or fallback
