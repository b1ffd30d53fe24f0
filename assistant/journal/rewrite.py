"""The journal's only whole-file rewrites: every plaintext session sealed (`reflect journal
encrypt`), every sealed one given another passphrase (`reflect journal passphrase`).

Each file is rewritten whole (sealed.py makes the new bytes) while its session's lock is
held, and put in place in one step: a session open in another Reflect process is left as
it is and named, and a run cut short leaves each file old or new, never mixed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant import errors, files
from assistant.errors import BadInput, ReflectError
from assistant.journal.crypto import Cipher, Keyring, is_sealed
from assistant.journal.errors import (
    DamagedHeader,
    NotASession,
    OpenElsewhere,
    SealedWithAnother,
    Unreadable,
    WrongPassphrase,
    write_reason,
)
from assistant.journal.folder import remove_stale_copies, sealed_headers, session_files
from assistant.journal.header import as_utf8, is_session, split_front_matter
from assistant.journal.lock import hold, read_all
from assistant.journal.sealed import encrypted, resealed
from assistant.messages import Msg


def encrypt_all(directory: Path, cipher: Cipher,
                skipped: list[ReflectError] | None = None) -> tuple[int, int]:
    """Seal every plaintext session with `cipher`: (converted, already encrypted).
    Sessions open elsewhere, and files that are not sessions, are left as they are and
    told of in `skipped`."""
    converted = already = 0
    for path, data in _each_held(directory, skipped):
        if is_sealed(split_front_matter(data)[0]):
            already += 1
            continue
        _replace(directory, path, encrypted(path.stem, data, cipher))
        converted += 1
    return converted, already


def change_passphrase(directory: Path, current: Callable[[], str], new: Callable[[], str],
                      skipped: list[ReflectError] | None = None) -> tuple[int, int]:
    """Seal every session that the `current()` passphrase opens with `new()` instead
    (each asked once, only when there is something to change): (changed, already
    sealed with the new one). Sessions it does not open, and sessions open elsewhere,
    are told of in `skipped`. The next run with the same two passphrases finishes a run
    cut short, and the new passphrase's key already in use is used again, so one salt
    remains. WrongPassphrase when neither passphrase opens any session."""
    headers = sealed_headers(directory)
    if not headers:
        raise BadInput(Msg.NOTHING_ENCRYPTED)
    old, fresh = Keyring(current()), Keyring(new())
    if old.passphrase == fresh.passphrase:
        raise BadInput(Msg.PASSPHRASE_SAME)
    target = fresh.newest(headers)
    if target is None and old.newest(headers) is None:
        raise WrongPassphrase()
    target = target or fresh.create()
    notes = [] if skipped is None else skipped
    changed = already = 0
    for path, data in _each_held(directory, notes):
        header = split_front_matter(data)[0]
        if not is_sealed(header):
            continue
        try:
            if fresh.opens(header):
                already += 1
                continue
            source = old.opens(header)
        except DamagedHeader as err:  # kept as it is, and named
            notes.append(err)
            continue
        if source is None:
            notes.append(SealedWithAnother(path).left_out())
            continue
        _replace(directory, path, resealed(path.stem, data, source, target))
        changed += 1
    return changed, already


def _each_held(directory: Path,
               skipped: list[ReflectError] | None) -> Iterator[tuple[Path, bytes]]:
    """Each session file and its bytes (as Reflect writes them), locked while the
    caller works on it. A session open in another Reflect process, and a file that is
    not a session, are left alone and told of in `skipped`."""
    notes = [] if skipped is None else skipped
    for path in session_files(directory):
        try:
            fd = hold(path)
        except FileNotFoundError:
            continue  # deleted meanwhile
        except OpenElsewhere as err:
            notes.append(err.left_out())
            continue
        except OSError as err:
            raise Unreadable(path, reason=errors.reason(err)) from err
        try:
            data = as_utf8(read_all(fd))
            if is_session(split_front_matter(data)[0]):
                yield path, data
            else:
                notes.append(NotASession(path).left_out())
        finally:
            os.close(fd)


def _replace(directory: Path, path: Path, data: bytes) -> None:
    """Put `data` at `path` in one step: written whole to a temporary file beside it,
    fsynced, renamed over it, so the path always holds the old file or the new one,
    never a mix. The caller holds the session's lock, so temporary copies of it left
    by a rewrite that was killed can only be stale: they go first."""
    try:
        remove_stale_copies(path)
        files.replace_private(path, data)
    except OSError as err:
        raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=directory,
                           reason=write_reason(err)) from err
