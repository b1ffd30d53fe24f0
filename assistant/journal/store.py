"""The private journal: one Markdown file per session, written append-only.

Every answer is one block, written with a single `write`, flushed and fsynced before the
session moves on (writer.py); the file format, and how a reader tells a block cut short by
a crash from one edited by hand, is header.py's and blocks.py's. With a `crypto.Cipher`,
each block is sealed and written as one base64 line under a plain-words header; after
unsealing, the very same block parser reads it.

One process per session file: a session holds its file's lock while it runs, and the
commands that rewrite or delete files (`encrypt_all`, `change_passphrase`, `delete`) leave
a session that is open elsewhere alone and name it (lock.py).

What is not a readable session does not stop the rest: it is left out of `sessions` and
`search` and told of in `skipped` (reading.py says which files those are, folder.py why
links are among them); `read` of it is one sentence. Each encrypted session opens with its
own passphrase.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from assistant import errors, files
from assistant.errors import ReflectError
from assistant.journal import crypto, folder, reading, rewrite
from assistant.journal.blocks import sealed_lines
from assistant.journal.errors import (
    CannotOpen,
    NotASession,
    Unreadable,
    WrongPassphrase,
    write_reason,
)
from assistant.journal.header import (
    Header,
    as_utf8,
    front_matter,
    is_session,
    is_utf16,
    session_fields,
    split_front_matter,
    when,
)
from assistant.journal.lock import held, hold, read_all, same_file
from assistant.journal.record import Record
from assistant.journal.search import matching
from assistant.journal.writer import Writer
from assistant.messages import Msg
from assistant.turns import Entry


class Journal:
    """The journal directory: creates sessions, reads them back, finds and deletes them."""

    def __init__(self, directory: Path, cipher: crypto.Cipher | None = None) -> None:
        self.directory = Path(directory)
        self.cipher = cipher
        try:  # paths whose permissions were too open, now fixed
            self.repaired: list[Path] = folder.make_private(self.directory)
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=write_reason(err)) from err

    # -- writing --
    def start(self, guide: str, model: str | Callable[[], str | None] | None = None,
              started: datetime | None = None, *, guide_file: str | Path | None = None,
              guide_digest: str | None = None) -> Writer:
        """A new session, its file made whole and locked. `model`: the speech model's
        name, or what gives it, asked again before the first block is written -- the
        default model loads while the introduction is spoken, and when it turns out
        unusable the answers are typed and the front matter names no model (`restated`).
        `guide_file`: the guide's file when it was given as one (kept as an absolute
        path, for `resume`); `guide_digest`: of its text (guides.Guide.digest), so that a
        changed guide can be noticed."""
        started = started or datetime.now()
        started = (started if started.tzinfo else started.astimezone()).replace(microsecond=0)
        fields = {"guide": guide, "started": when(started),
                  "model": model() if callable(model) else model,
                  "guide-file": str(Path(guide_file).absolute()) if guide_file else None,
                  "guide-digest": guide_digest}
        try:
            path, fd = self._create(fields, self.cipher, started, lambda _: b"")
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=write_reason(err)) from err
        return Writer(self, path, fd, self.cipher, fresh=True,
                      model=model if callable(model) else None)

    def reopen(self, session_id: str) -> Writer:
        """Append to an existing session (resume); where to go on from is
        `Writer.record()`, read under the lock. One process per session: a session open in
        another is refused, naming it."""
        path = folder.find(self.directory, session_id)
        try:
            fd = hold(path)
        except OSError as err:
            raise Unreadable(path, reason=errors.reason(err)) from err
        try:
            raw = read_all(fd)
            header, _, _ = split_front_matter(as_utf8(raw))
            if not is_session(header):
                raise NotASession(path)
            cipher = reading.cipher_for(path, header, self.cipher)
        except BaseException:
            os.close(fd)
            raise
        return Writer(self, path, fd, cipher, fresh=False, recode=is_utf16(raw))

    def continuation(self, data: bytes, session_id: str,
                     cipher: crypto.Cipher | None) -> tuple[Path, int]:
        """A new session file holding everything in `data` (session `session_id`'s bytes,
        as Reflect writes them) and saying it continues that session: where a session goes
        on when its own file is lost (writer.py). Sealed blocks are sealed again, bound to
        the new id. Returns it with its descriptor, locked (`_create`). Raises OSError."""
        header, other, body = split_front_matter(data)
        fields = {**header, "continues": session_id}
        now = datetime.now().astimezone()
        if cipher is None:
            return self._create(fields, None, now, lambda _: data[body:], other)
        lines = sealed_lines(data[body:])
        return self._create(fields, cipher, now, lambda new_id: crypto.reseal(
            lines, cipher, session_id, cipher, new_id), other)

    def restated(self, path: Path, held: int, cipher: crypto.Cipher | None,
                 **fields: str | None) -> int:
        """A new session's front matter with `fields` changed, while the file holds
        nothing else yet: written whole to a temporary file, locked, renamed over it.
        Returns the descriptor that holds the session's lock now (`held`, which is closed
        when the file was replaced). Raises OSError."""
        data = as_utf8(read_all(held))
        header, other, body = split_front_matter(data)
        if body != len(data) or header | fields == header or not same_file(held, path):
            return held  # blocks written, nothing to change, or lost (the writer carries on)
        fd = files.replace_held(path, _front_matter(header | fields, path.stem, cipher, other))
        os.close(held)
        return fd

    def _create(self, fields: Header, cipher: crypto.Cipher | None, at: datetime,
                body: Callable[[str], bytes], other: Sequence[str] = ()) -> tuple[Path, int]:
        """A new session file named for `at` and its guide, holding the front matter and
        `body(session_id)`, created whole: a full disk or a kill never leaves an empty or
        half-written session behind. The folder is made again if it was removed. Returns
        it with a descriptor that holds its lock, taken before the file appeared in the
        journal: a rewrite (`journal encrypt`) can never seal it under the writer."""
        base = f"{at:%Y-%m-%dT%H-%M-%S}-{files.slug(fields.get('guide') or '', 60, 'session')}"
        files.private_dir(self.directory)
        for n in range(1, 1000):
            session_id = base if n == 1 else f"{base}-{n}"
            path = self.directory / f"{session_id}{folder.SUFFIX}"
            try:
                fd = files.create_held(path, _front_matter(fields, session_id, cipher, other)
                                       + body(session_id))
            except FileExistsError:
                continue
            return path, fd
        raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                           reason=Msg.REASON_SAME_SECOND.format())

    # -- reading --
    def sessions(self, skipped: list[ReflectError] | None = None) -> list[Record]:
        """Every session, oldest first (ids start with the time they began), each with
        the session it goes on in, if a later file carries it on; what cannot be read as
        one is told of in `skipped` instead."""
        records = [reading.record(opened) for opened in self._contents(skipped)]
        continued = folder.carried_on((r.id, r.continues) for r in records)
        return [_carried_on(r, continued) for r in records]

    def read(self, session_id: str) -> Record:
        """A session by id, unique prefix of an id, or `latest`, with the session it goes
        on in, if a later file carries it on."""
        path = folder.find(self.directory, session_id)
        record = reading.record(reading.open_file(path, self.cipher))
        return _carried_on(record, folder.continuations(self.directory))

    def latest_unfinished(self, skipped: list[ReflectError] | None = None) -> Record | None:
        """The newest session not finished that no later file carries on."""
        return next((r for r in reversed(self.sessions(skipped))
                     if not r.finished and not r.superseded), None)

    def search(self, text: str,
               skipped: list[ReflectError] | None = None) -> list[tuple[Record, Entry]]:
        """Entries whose answer contains `text`, ignoring case: replaced answers too (tell
        them with `Record.replaced`). What cannot be read is told of in `skipped`."""
        return matching(self._contents(skipped), text)

    def resolve(self, spec: str) -> str:
        return folder.find(self.directory, spec).stem

    def encrypted_headers(self) -> list[Header]:
        """Front matter of the sessions that are encrypted (read without any passphrase)."""
        return folder.sealed_headers(self.directory)

    def _contents(self, skipped: list[ReflectError] | None) -> Iterator[reading.Opened]:
        """Each session file, oldest first, read and opened. What cannot be read as a
        session, and a link, is left out and told of in `skipped`: one bad file hides
        nothing else."""
        found, links = folder.scan(self.directory)
        notes = [] if skipped is None else skipped
        notes += [ReflectError(Msg.SESSION_LINK_LEFT_OUT, path=p) for p in links]
        for path in found:
            try:
                opened = reading.open_file(path, self.cipher)
            except CannotOpen as err:
                notes.append(err.left_out())
                continue
            yield opened

    # -- deleting and rewriting: never a session open elsewhere --
    def delete(self, session_id: str) -> None:
        path = folder.find(self.directory, session_id)
        try:
            with held(path):
                folder.remove_stale_copies(path)
                path.unlink()
                files.fsync_dir(self.directory)
        except OSError as err:
            raise ReflectError(Msg.DELETE_FAILED, session=path.stem,
                               reason=write_reason(err)) from err

    def encrypt_all(self, skipped: list[ReflectError] | None = None) -> tuple[int, int]:
        """Seal every plaintext session with `self.cipher` (rewrite.py)."""
        assert self.cipher is not None
        return rewrite.encrypt_all(self.directory, self.cipher, skipped)

    def change_passphrase(self, current: Callable[[], str], new: Callable[[], str],
                          skipped: list[ReflectError] | None = None) -> tuple[int, int]:
        """Seal every session the `current()` passphrase opens with `new()` (rewrite.py)."""
        return rewrite.change_passphrase(self.directory, current, new, skipped)


def _front_matter(fields: Header, session_id: str, cipher: crypto.Cipher | None,
                  other: Sequence[str]) -> bytes:
    """A session file's front matter: its own fields, then the sealing's (with a note for
    people) when `cipher` seals it, then the lines the user added."""
    comments = crypto.HEADER_NOTE if cipher is not None else ()
    header = session_fields({**fields, "session": session_id}) | (
        cipher.header() if cipher is not None else {})
    return front_matter(header, comments, other)


def _carried_on(record: Record, continued: Mapping[str, str]) -> Record:
    """`record`, naming the session it goes on in (folder.continuations)."""
    later = folder.goes_on_in(continued, record.id)
    return record if later is None else replace(record, continued_in=later)


def open_journal(encrypt: bool = False, directory: Path | None = None,
                 ask: Callable[[bool], str] | None = None) -> Journal:
    """The user's journal, unlocked with a passphrase when it already holds encrypted
    sessions (new sessions then stay encrypted too) or when encryption is asked for.
    `ask(new)` gives the passphrase -- `new`: none is in use yet, so it is being chosen --
    and is the CLI's to give (a prompt); without one, only the environment is read.

    New sessions are sealed with the key of the newest session the passphrase opens, and
    those it does not open are left out where they are read; when it opens none,
    WrongPassphrase, before anything is read."""
    from assistant.config import paths

    journal = Journal(directory or paths().journal_dir)
    headers = journal.encrypted_headers()
    if headers or encrypt:
        keyring = crypto.Keyring((ask or crypto.passphrase_from_env)(not headers))
        cipher = keyring.newest(headers) if headers else keyring.create()
        if cipher is None:
            raise WrongPassphrase()
        journal.cipher = cipher
    return journal
