"""The private journal: one Markdown file per session, written append-only.

Every answer is one block, written with a single `write`, flushed and fsynced before the
session moves on (journal_writer.py); the file format, and how a reader tells a block cut
short by a crash from one edited by hand, is journal_format.py's. With a `crypto.Cipher`,
each block is sealed and written as one base64 line under a plain-words header; after
unsealing, the very same block parser reads it.

Going back and answering a question again appends a second entry for the same (step,
prompt); the newest is the answer (`Record.answers`), the earlier ones stay on disk, marked
replaced wherever they are shown (see export.py).

One process per session file: a session holds its file's lock while it runs, and the
commands that rewrite or delete files (`encrypt_all`, `change_passphrase`, `delete`) leave
a session that is open elsewhere alone and name it (journal_lock.py).

What is not a readable session does not stop the rest: a file that cannot be read, is not
a session (empty, or no front matter naming its guide), or is sealed with a passphrase
other than the one given is left out of `sessions` and `search` and told of in `skipped`;
`read` of it is one sentence. Each encrypted session opens with its own passphrase.

The journal folder is private, so a symbolic link inside it is suspicious (it could lead
a permission repair, or an append, to a file elsewhere): links are never followed. They
are left out of every listing, reading, repair and append, and `sessions` and `search`
report them. The folder itself may be a link: where the journal lives is the user's choice.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from assistant import errors, files
from assistant.errors import BadInput, ReflectError
from assistant.journal.format import (
    DASH,
    Block,
    Entry,
    Mark,
    Note,
    Record,
    as_utf8,
    front_matter,
    is_session,
    is_utf16,
    parse_body,
    render_markdown,
    sealed_lines,
    session_fields,
    split_front_matter,
    when,
)
from assistant.journal.lock import held, hold, read_all
from assistant.journal.writer import Writer, reason
from assistant.messages import Msg

if TYPE_CHECKING:
    from assistant.journal.crypto import Cipher, Keyring

__all__ = ["DASH", "Block", "Entry", "Journal", "Mark", "Note", "Record", "Writer",
           "open_journal", "render_markdown", "split_front_matter"]

SUFFIX = ".md"
_HEADER_BYTES = 1 << 14  # enough for any front matter Reflect writes, in UTF-16 too
# why a file is left out of a listing, by the sentence `read` would raise for it
_LEFT_OUT = {Msg.SESSION_UNREADABLE: Msg.SESSION_LEFT_OUT,
             Msg.NOT_A_SESSION: Msg.NOT_A_SESSION_LEFT_OUT,
             Msg.PASSPHRASE_NOT_THIS_SESSION: Msg.OTHER_PASSPHRASE_LEFT_OUT}


_ASCII = bytes(range(128))


def _may_contain(data: bytes, needle: str) -> bool:
    """Whether `data` decoded and casefolded may contain `needle` (casefolded): never a
    false no, and far quicker than casefolding it all. For an ASCII needle the bytes
    lowercased decide, unless a non-ASCII character folds to ASCII (ß to ss, the Kelvin
    sign to k); only the few non-ASCII bytes are decoded to find out. A needle with `<!--`
    may match text stored escaped (journal_format.py): that always needs the parse."""
    if "<!--" in needle:
        return True
    if needle.isascii():
        if needle.encode() in data.lower():
            return True
        rest = data.translate(None, _ASCII).decode("utf-8", "replace").casefold()
        if not rest.encode("ascii", "ignore"):
            return False
    return needle in data.decode("utf-8", "replace").casefold()


class _Opened(NamedTuple):
    """A session file read: its bytes as Reflect writes them, and its sealed blocks
    opened (None for plaintext)."""

    path: Path
    data: bytes
    header: dict[str, str | None]
    other: list[str]
    body: int
    chunks: list[bytes | Note] | None


class Journal:
    """The journal directory: creates sessions, reads them back, finds and deletes them."""

    def __init__(self, directory: Path, cipher: Cipher | None = None) -> None:
        self.directory = Path(directory)
        self.cipher = cipher
        self.repaired: list[Path] = []  # paths whose permissions were too open, now fixed
        self._ensure_private()

    # -- permissions --
    def _ensure_private(self) -> None:
        """Folder 0700 (and each missing folder above it, whatever the umask) and session
        files 0600; links inside are left alone (their targets are not the journal's to
        change), the folder first so none can be added meanwhile."""
        try:
            files.private_dir(self.directory)
            self._repair(self.directory, files.DIR_MODE)
            for path in self._files():  # regular files only
                self._repair(path, files.FILE_MODE)
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=reason(err)) from err

    def _repair(self, path: Path, mode: int) -> None:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
            self.repaired.append(path)

    def _scan(self) -> tuple[list[Path], list[Path]]:
        """(session files, symbolic links named like one), each sorted by name: oldest
        first. Links are never followed (see the module docstring)."""
        found_files: list[str] = []
        links: list[str] = []
        with os.scandir(self.directory) as found:
            for item in found:
                if not item.name.endswith(SUFFIX):
                    continue
                if item.is_symlink():
                    links.append(item.name)
                elif item.is_file(follow_symlinks=False):
                    found_files.append(item.name)
        return ([self.directory / n for n in sorted(found_files)],
                [self.directory / n for n in sorted(links)])

    def _files(self) -> list[Path]:
        return self._scan()[0]

    def _contents(self, skipped: list[ReflectError] | None) -> Iterator[_Opened]:
        """Each session file, oldest first, read and opened. What cannot be read as a
        session (see the module docstring), and a link, is left out and told of in
        `skipped`: one bad file hides nothing else."""
        found, links = self._scan()
        notes = [] if skipped is None else skipped
        notes += [ReflectError(Msg.SESSION_LINK_LEFT_OUT, path=p) for p in links]
        for path in found:
            try:
                opened = self._open(path, self._read_bytes(path))
            except ReflectError as err:
                if err.msg not in _LEFT_OUT:
                    raise
                notes.append(ReflectError(_LEFT_OUT[err.msg], **{**err.fields, "path": path}))
                continue
            yield opened

    def _open(self, path: Path, raw: bytes) -> _Opened:
        """The session in `raw` (a file's bytes): NOT_A_SESSION when it is none,
        PASSPHRASE_NOT_THIS_SESSION when the passphrase given does not open it."""
        data = as_utf8(raw)
        header, other, body = split_front_matter(data)
        if not is_session(header):
            raise ReflectError(Msg.NOT_A_SESSION, path=path)
        chunks = (self._sealed_chunks(path, header, data, body)
                  if header.get("encryption") else None)
        return _Opened(path, data, header, other, body, chunks)

    # -- writing --
    def start(self, guide: str, model: str | None = None, started: datetime | None = None,
              *, guide_file: str | Path | None = None,
              guide_digest: str | None = None) -> Writer:
        """A new session, its file made whole and locked. `guide_file`: the guide's file
        when it was given as one (kept as an absolute path, for `resume`); `guide_digest`:
        of its text (guide.Guide.digest), so that a changed guide can be noticed."""
        started = started or datetime.now()
        started = (started if started.tzinfo else started.astimezone()).replace(microsecond=0)
        fields = {"guide": guide, "started": when(started), "model": model,
                  "guide-file": str(Path(guide_file).absolute()) if guide_file else None,
                  "guide-digest": guide_digest}
        try:
            path = self._create(fields, self.cipher, started, lambda _: b"")
            fd = hold(path)
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=reason(err)) from err
        return Writer(self, path, fd, self.cipher, fresh=True)

    def reopen(self, session_id: str) -> Writer:
        """Append to an existing session (resume). One process per session: a session
        open in another is refused, naming it."""
        path = self._path(session_id)
        try:
            fd = hold(path)
        except OSError as err:
            raise ReflectError(Msg.SESSION_UNREADABLE, path=path,
                               reason=errors.reason(err)) from err
        try:
            raw = read_all(fd)
            header, _, _ = split_front_matter(as_utf8(raw))
            if not is_session(header):
                raise ReflectError(Msg.NOT_A_SESSION, path=path)
            cipher = self._cipher_for(path, header)
        except BaseException:
            os.close(fd)
            raise
        return Writer(self, path, fd, cipher, fresh=False, recode=is_utf16(raw))

    def continuation(self, data: bytes, session_id: str, cipher: Cipher | None) -> Path:
        """A new session file holding everything in `data` (session `session_id`'s bytes,
        as Reflect writes them) and saying it continues that session: where a session goes
        on when its own file is lost (journal_writer.py). Sealed blocks are sealed again,
        bound to the new id. Raises OSError."""
        header, other, body = split_front_matter(data)
        fields = {**header, "continues": session_id}
        now = datetime.now().astimezone()
        if cipher is None:
            return self._create(fields, None, now, lambda _: data[body:], other)
        from assistant.journal.crypto import reseal

        lines = sealed_lines(data[body:])
        return self._create(fields, cipher, now,
                            lambda new_id: reseal(lines, cipher, session_id, cipher, new_id),
                            other)

    def _create(self, fields: dict[str, str | None], cipher: Cipher | None, at: datetime,
                body: Callable[[str], bytes], other: Sequence[str] = ()) -> Path:
        """A new session file named for `at` and its guide, holding the front matter and
        `body(session_id)`, created whole: a full disk or a kill never leaves an empty or
        half-written session behind. The folder is made again if it was removed."""
        comments: tuple[str, ...] = ()
        if cipher is not None:
            from assistant.journal.crypto import HEADER_NOTE

            comments = HEADER_NOTE
        base = f"{at:%Y-%m-%dT%H-%M-%S}-{files.slug(fields.get('guide') or '', 60, 'session')}"
        files.private_dir(self.directory)
        for n in range(1, 1000):
            session_id = base if n == 1 else f"{base}-{n}"
            path = self.directory / f"{session_id}{SUFFIX}"
            header = session_fields({**fields, "session": session_id}) | (
                cipher.header() if cipher is not None else {})
            try:
                files.create_private(path, front_matter(header, comments, other)
                                     + body(session_id))
            except FileExistsError:
                continue
            return path
        raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                           reason=Msg.REASON_SAME_SECOND.format())

    # -- reading --
    def sessions(self, skipped: list[ReflectError] | None = None) -> list[Record]:
        """Every session, oldest first (ids start with the time they began); what cannot
        be read as one is told of in `skipped` instead."""
        return [self._parse(opened) for opened in self._contents(skipped)]

    def read(self, session_id: str) -> Record:
        """A session by id, unique prefix of an id, or `latest`."""
        path = self._path(session_id)
        return self._parse(self._open(path, self._read_bytes(path)))

    def latest_unfinished(self, skipped: list[ReflectError] | None = None) -> Record | None:
        return next((r for r in reversed(self.sessions(skipped)) if not r.finished), None)

    def search(self, text: str,
               skipped: list[ReflectError] | None = None) -> list[tuple[Record, Entry]]:
        """Entries whose answer contains `text`, ignoring case: replaced answers too (tell
        them with `Record.replaced`). What cannot be read is told of in `skipped`."""
        needle = text.casefold()
        hits = []
        for opened in self._contents(skipped):
            plain = opened.data if opened.chunks is None else b"".join(
                c for c in opened.chunks if isinstance(c, bytes))
            if not _may_contain(plain, needle):
                continue  # most files do not match: skip parsing them
            record = self._parse(opened)
            hits += [(record, e) for e in record.entries if needle in e.text.casefold()]
        return hits

    # -- deleting and rewriting: never a session open elsewhere --
    def delete(self, session_id: str) -> None:
        path = self._path(session_id)
        try:
            with held(path):
                _remove_stale_copies(path)
                path.unlink()
                files.fsync_dir(self.directory)
        except OSError as err:
            raise ReflectError(Msg.DELETE_FAILED, session=path.stem,
                               reason=reason(err)) from err

    def encrypt_all(self, skipped: list[ReflectError] | None = None) -> tuple[int, int]:
        """Seal every plaintext session with `self.cipher`: (converted, already encrypted).
        Sessions open elsewhere, and files that are not sessions, are left as they are and
        told of in `skipped`. Each file is replaced whole (see `_replace`)."""
        from assistant.journal.sealed import encrypted

        assert self.cipher is not None
        converted = already = 0
        for path, data in self._each_held(skipped):
            header, _, _ = split_front_matter(data)
            if header.get("encryption"):
                already += 1
                continue
            self._replace(path, encrypted(path.stem, data, self.cipher))
            converted += 1
        return converted, already

    def change_passphrase(self, current: Callable[[], str], new: Callable[[], str],
                          skipped: list[ReflectError] | None = None) -> tuple[int, int]:
        """Seal every session that the `current()` passphrase opens with `new()` instead
        (each asked once, only when there is something to change): (changed, already
        sealed with the new one). Sessions it does not open, and sessions open elsewhere,
        are told of in `skipped`. A run cut short leaves each file old or new, never mixed
        (`_replace`); the next run with the same two passphrases finishes the job, and
        the new passphrase's key already in use is used again, so one salt remains.
        PASSPHRASE_WRONG when neither passphrase opens any session."""
        from assistant.journal.crypto import Keyring
        from assistant.journal.sealed import resealed

        headers = self.encrypted_headers()
        if not headers:
            raise BadInput(Msg.NOTHING_ENCRYPTED)
        old, fresh = Keyring(current()), Keyring(new())
        if old.passphrase == fresh.passphrase:
            raise BadInput(Msg.PASSPHRASE_SAME)
        target = _opening(headers, fresh)
        if target is None and _opening(headers, old) is None:
            raise BadInput(Msg.PASSPHRASE_WRONG)
        target = target or fresh.create()
        notes = [] if skipped is None else skipped
        changed = already = 0
        for path, data in self._each_held(notes):
            header, _, _ = split_front_matter(data)
            if not header.get("encryption"):
                continue
            try:
                if fresh.opens(header):
                    already += 1
                    continue
                source = old.opens(header)
            except ReflectError as err:  # a damaged header: kept as it is, and named
                notes.append(err)
                continue
            if source is None:
                notes.append(ReflectError(Msg.OTHER_PASSPHRASE_LEFT_OUT, path=path))
                continue
            self._replace(path, resealed(path.stem, data, source, target))
            changed += 1
        return changed, already

    def _each_held(self, skipped: list[ReflectError] | None) -> Iterator[tuple[Path, bytes]]:
        """Each session file and its bytes (as Reflect writes them), locked while the
        caller works on it. A session open in another Reflect session, and a file that is
        not a session, are left alone and told of in `skipped`."""
        notes = [] if skipped is None else skipped
        for path in self._files():
            try:
                fd = hold(path)
            except FileNotFoundError:
                continue  # deleted meanwhile
            except ReflectError:
                notes.append(ReflectError(Msg.SESSION_OPEN_LEFT_OUT, session=path.stem))
                continue
            except OSError as err:
                raise ReflectError(Msg.SESSION_UNREADABLE, path=path,
                                   reason=errors.reason(err)) from err
            try:
                data = as_utf8(read_all(fd))
                if is_session(split_front_matter(data)[0]):
                    yield path, data
                else:
                    notes.append(ReflectError(Msg.NOT_A_SESSION_LEFT_OUT, path=path))
            finally:
                os.close(fd)

    def _replace(self, path: Path, data: bytes) -> None:
        """Put `data` at `path` in one step: written whole to a temporary file beside it,
        fsynced, renamed over it, so the path always holds the old file or the new one,
        never a mix. The caller holds the session's lock, so temporary copies of it left
        by a rewrite that was killed can only be stale: they go first."""
        try:
            _remove_stale_copies(path)
            files.replace_private(path, data)
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=reason(err)) from err

    def encrypted_headers(self) -> list[dict[str, str | None]]:
        """Front matter of the sessions that are encrypted (read without any passphrase)."""
        headers = (self._header(path) for path in self._files())
        return [h for h in headers if h is not None and h.get("encryption")]

    def _header(self, path: Path) -> dict[str, str | None] | None:
        """A session file's front matter; None when the file cannot be read or is not a
        session (reading it says why; it must not lock out the others)."""
        try:
            with path.open("rb") as f:
                header, _, _ = split_front_matter(as_utf8(f.read(_HEADER_BYTES)))
        except OSError:
            return None
        return header if is_session(header) else None

    def resolve(self, spec: str) -> str:
        return self._path(spec).stem

    def _path(self, spec: str) -> Path:
        """The file of a session: its id, a unique prefix of one, or `latest` (the newest
        session, past files that are not sessions). An empty id names none."""
        if not spec.strip():
            raise BadInput(Msg.SESSION_ID_EMPTY)
        found = self._files()
        if spec == "latest":
            latest = next((p for p in reversed(found) if self._might_be_session(p)), None)
            if latest is not None:
                return latest
        ids = [p.stem for p in found]
        if spec in ids:
            return self.directory / f"{spec}{SUFFIX}"
        matches = [i for i in ids if i.startswith(spec)]
        if len(matches) == 1:
            return self.directory / f"{matches[0]}{SUFFIX}"
        if matches:
            raise BadInput(Msg.SESSION_AMBIGUOUS, session=spec,
                               matches=", ".join(matches[:5]))
        raise BadInput(Msg.SESSION_UNKNOWN, session=spec)

    def _might_be_session(self, path: Path) -> bool:
        """False only for a file known not to be a session: one that cannot be read
        may be, and reading it says why it cannot."""
        try:
            with path.open("rb") as f:
                return is_session(split_front_matter(as_utf8(f.read(_HEADER_BYTES)))[0])
        except OSError:
            return True

    def _read_bytes(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as err:
            raise ReflectError(Msg.SESSION_UNREADABLE, path=path,
                               reason=errors.reason(err)) from err

    def _parse(self, opened: _Opened) -> Record:
        path, data, header, other, body, chunks = opened
        blocks: list[Block] = []
        if other:  # front matter the user added: keep it visible
            blocks.append(Note("\n".join(other)))
        if chunks is not None:
            for chunk in chunks:
                blocks += [chunk] if isinstance(chunk, Note) else [
                    b for _, b in parse_body(chunk, whole=True)]
        else:
            blocks += [b for _, b in parse_body(data, body)]
        try:
            started = datetime.fromisoformat(header.get("started") or "")
        except ValueError:
            started = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        return Record(
            id=path.stem, guide=header.get("guide") or "", started=started,
            model=header.get("model"), path=path,
            entries=[b for b in blocks if isinstance(b, Entry)],
            marks=[b for b in blocks if isinstance(b, Mark)],
            set_aside=[b.text for b in blocks if isinstance(b, Note) and b.set_aside],
            blocks=blocks, encrypted=chunks is not None,
            guide_file=header.get("guide-file"), guide_digest=header.get("guide-digest"),
            continues=header.get("continues"),
        )

    def _cipher_for(self, path: Path, header: dict) -> Cipher | None:
        """The cipher for a file: None for plaintext; refused when no passphrase was given,
        and when the one given does not open this file (it was sealed with another)."""
        if not header.get("encryption"):
            return None
        if self.cipher is None:
            raise BadInput(Msg.JOURNAL_LOCKED, session=path.stem)
        cipher = self.cipher.keyring.opens(header)
        if cipher is None:
            raise BadInput(Msg.PASSPHRASE_NOT_THIS_SESSION, session=path.stem)
        return cipher

    def _sealed_chunks(self, path: Path, header: dict, data: bytes,
                       body: int) -> list[bytes | Note]:
        """Each sealed line opened, or set aside when it is torn, altered or moved; the
        whole file set aside, as it is, when its header is damaged."""
        from assistant.journal.crypto import block_aad

        try:
            cipher = self._cipher_for(path, header)
        except ReflectError as err:
            if err.msg is not Msg.ENCRYPTED_HEADER_BAD:
                raise
            return [Note(f"{err}\n{data.decode('utf-8', 'replace')}", True)]
        assert cipher is not None
        out: list[bytes | Note] = []
        for seq, line in enumerate(sealed_lines(data[body:])):
            plain = cipher.unseal(line, block_aad(path.stem, seq))
            out.append(plain if plain is not None else Note(Msg.SEALED_BLOCK_UNREADABLE.format(
                number=seq + 1, line=line.decode("ascii", "replace")), True))
        return out


def _remove_stale_copies(path: Path) -> None:
    """Temporary copies of a session a killed rewrite left beside it (files.py names
    them `.NAME.*.tmp`; earlier versions `.NAME.encrypting`): ciphertext or plaintext, they
    must not outlive the session. Only the holder of the session's lock calls this."""
    for stale in [*path.parent.glob(f".{path.name}.*.tmp"),
                  path.with_name(f".{path.name}.encrypting")]:
        stale.unlink(missing_ok=True)


def open_journal(encrypt: bool = False, directory: Path | None = None,
                 ask: Callable[[bool], str] | None = None) -> Journal:
    """The user's journal, unlocked with a passphrase when it already holds encrypted
    sessions (new sessions then stay encrypted too) or when encryption is asked for.
    `ask(new)` gives the passphrase -- `new`: none is in use yet, so it is being chosen --
    and is the CLI's to give (a prompt); without one, only the environment is read."""
    from assistant.config import paths

    journal = Journal(directory or paths().journal_dir)
    headers = journal.encrypted_headers()
    if headers or encrypt:
        from assistant.journal import crypto

        passphrase = (ask or crypto.passphrase_from_env)(not headers)
        journal.cipher = unlock(headers, passphrase) if headers else crypto.Cipher.create(
            passphrase)
    return journal


def unlock(headers: list[dict[str, str | None]], passphrase: str) -> Cipher:
    """The key of the newest session the passphrase opens: new sessions are sealed with
    it, and sessions it does not open are left out where they are read. When it opens
    none, PASSPHRASE_WRONG, before anything is read."""
    from assistant.journal.crypto import Keyring

    cipher = _opening(headers, Keyring(passphrase))
    if cipher is None:
        raise BadInput(Msg.PASSPHRASE_WRONG)
    return cipher


def _opening(headers: list[dict[str, str | None]], keyring: Keyring) -> Cipher | None:
    """The key from the newest header `keyring` opens, or None. A damaged header is
    passed over (it is set aside where it is read); when every one is, that error."""
    damaged: ReflectError | None = None
    intact = False
    for header in reversed(headers):
        try:
            cipher = keyring.opens(header)
        except ReflectError as err:
            if err.msg is not Msg.ENCRYPTED_HEADER_BAD:
                raise
            damaged = err
            continue
        if cipher is not None:
            return cipher
        intact = True
    if damaged is not None and not intact:
        raise damaged
    return None
