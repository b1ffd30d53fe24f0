"""The journal folder: which of its files are sessions, what in it is not private, and
which session an id names.

The folder is private, so a symbolic link inside it is suspicious (it could lead a
permission repair, or an append, to a file elsewhere): links are never followed. They are
left out of every listing, reading, repair and append, and `Journal.sessions` and
`Journal.search` report them. The folder itself may be a link: where the journal lives is
the user's choice.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from assistant import files
from assistant.errors import BadInput
from assistant.journal.crypto import is_sealed
from assistant.journal.header import Header, as_utf8, is_session, split_front_matter
from assistant.messages import Msg

SUFFIX = ".md"
_HEADER_BYTES = 1 << 14  # enough for any front matter Reflect writes, in UTF-16 too


def scan(directory: Path) -> tuple[list[Path], list[Path]]:
    """(session files, symbolic links named like one), each sorted by name: oldest
    first (ids start with the time a session began)."""
    found: list[str] = []
    links: list[str] = []
    with os.scandir(directory) as items:
        for item in items:
            if not item.name.endswith(SUFFIX):
                continue
            if item.is_symlink():
                links.append(item.name)
            elif item.is_file(follow_symlinks=False):
                found.append(item.name)
    return [directory / n for n in sorted(found)], [directory / n for n in sorted(links)]


def session_files(directory: Path) -> list[Path]:
    return scan(directory)[0]


class Loose(NamedTuple):
    """A part of the journal folder whose mode is not the journal's own."""

    path: Path
    mode: int
    wanted: int  # files.DIR_MODE for the folder, files.FILE_MODE for a file in it

    @property
    def open_to_others(self) -> bool:
        """Whether others may use it at all: what the user must fix. A mode that only
        keeps the user out (0400) is the journal's to repair, on its next use."""
        return bool(self.mode & 0o077)


def not_private(directory: Path) -> Iterator[Loose]:
    """What in the journal folder is not private: the folder unless it is 0700, then
    each file in it (a session or any copy of one) unless it is 0600, by name; a file
    gone meanwhile (another Reflect's temporary copy) is passed over. Links are left
    alone: what they lead to is not the journal's. The folder comes before its files are
    listed, so repairing each as it comes closes the folder first and nothing can be added
    to it meanwhile. Raises OSError."""
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode != files.DIR_MODE:
        yield Loose(directory, mode, files.DIR_MODE)
    with os.scandir(directory) as items:
        found = sorted((item for item in items if item.is_file(follow_symlinks=False)),
                       key=lambda item: item.name)
    for item in found:
        try:
            mode = stat.S_IMODE(item.stat(follow_symlinks=False).st_mode)
        except FileNotFoundError:
            continue
        if mode != files.FILE_MODE:
            yield Loose(Path(item.path), mode, files.FILE_MODE)


def make_private(directory: Path) -> list[Path]:
    """The folder made (with each missing folder above it, whatever the umask) and made
    private with its files (`not_private`); returns what had to be repaired."""
    files.private_dir(directory)
    repaired = []
    for loose in not_private(directory):
        try:
            loose.path.chmod(loose.wanted)
        except FileNotFoundError:
            continue  # gone meanwhile: nothing left to repair
        repaired.append(loose.path)
    return repaired


def find(directory: Path, spec: str) -> Path:
    """The file of a session: its id, a unique prefix of one, or `latest` (the newest
    session, past files that are not sessions). An empty id names none."""
    if not spec.strip():
        raise BadInput(Msg.SESSION_ID_EMPTY)
    found = session_files(directory)
    if spec == "latest":
        latest = next((p for p in reversed(found) if _might_be_session(p)), None)
        if latest is not None:
            return latest
    ids = [p.stem for p in found]
    if spec in ids:
        return directory / f"{spec}{SUFFIX}"
    matches = [i for i in ids if i.startswith(spec)]
    if len(matches) == 1:
        return directory / f"{matches[0]}{SUFFIX}"
    if matches:
        raise BadInput(Msg.SESSION_AMBIGUOUS, session=spec, matches=", ".join(matches[:5]))
    raise BadInput(Msg.SESSION_UNKNOWN, session=spec)


def continuations(directory: Path) -> dict[str, str]:
    """Which session goes on in which file: {id: id of the newest session file that
    `continues` it} (writer.py makes one when a session's file is lost while it runs),
    from the front matter alone, which a sealed file keeps readable too."""
    return carried_on((path.stem, header.get("continues"))
                      for path, header in _fronts(directory) if is_session(header))


def carried_on(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """{continued id: continuing id} of (id, the id it continues) pairs, oldest first:
    the newest continuation wins."""
    return {continues: session for session, continues in pairs if continues}


def goes_on_in(continued: Mapping[str, str], session_id: str) -> str | None:
    """The session `session_id` goes on in at last, following a continuation of a
    continuation (each file lost in turn); None when no file continues it. A loop made
    by hand ends where it comes back."""
    seen, last = {session_id}, None
    while (later := continued.get(last or session_id)) is not None and later not in seen:
        seen.add(later)
        last = later
    return last


def _front(path: Path) -> Header:
    """A file's front matter, from its first bytes only. Raises OSError."""
    with path.open("rb") as f:
        return split_front_matter(as_utf8(f.read(_HEADER_BYTES)))[0]


def _might_be_session(path: Path) -> bool:
    """False only for a file known not to be a session: one that cannot be read may be,
    and reading it says why it cannot."""
    try:
        return is_session(_front(path))
    except OSError:
        return True


def sealed_headers(directory: Path) -> list[Header]:
    """Front matter of the sessions that are sealed (read without any passphrase), oldest
    first. A file that cannot be read or is not a session is passed over: reading it says
    why, and it must not lock out the others."""
    return [header for _, header in _fronts(directory)
            if is_session(header) and is_sealed(header)]


def _fronts(directory: Path) -> Iterator[tuple[Path, Header]]:
    """Each session file with its front matter, oldest first; a file that cannot be
    read is passed over (reading it says why)."""
    for path in session_files(directory):
        try:
            yield path, _front(path)
        except OSError:
            continue


def remove_stale_copies(path: Path) -> None:
    """Temporary copies of a session a killed rewrite left beside it (files.py names
    them `.NAME.*.tmp`; earlier versions `.NAME.encrypting`): ciphertext or plaintext, they
    must not outlive the session. Only the holder of the session's lock calls this."""
    for stale in [*path.parent.glob(f".{path.name}.*.tmp"),
                  path.with_name(f".{path.name}.encrypting")]:
        stale.unlink(missing_ok=True)
