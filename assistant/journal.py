"""The private journal: one Markdown file per session, written append-only.

Every answer is one block, written with a single `write`, flushed and fsynced before the
session moves on, so a crash loses at most the block being written. Earlier blocks are
never rewritten. Each block's metadata carries the byte length of its text, which is what
lets a reader tell a block cut short by a power loss (set aside, shown, never merged) from
a block the user edited by hand (kept as an entry, marked `edited`): see `parse_body`.

With a `crypto.Cipher`, each block is sealed and written as one base64 line under a
plain-words header; after unsealing, the very same block parser reads it.

Going back and answering a question again appends a second entry for the same (step,
prompt); the newest is the answer (`Record.answers`), the earlier ones stay on disk, marked
replaced wherever they are shown (see export.py).

The journal folder is private, so a symbolic link inside it is suspicious (it could lead
a permission repair, or an append, to a file elsewhere): links are never followed. They
are left out of every listing, reading, repair and append, and `sessions` and `search`
report them. The folder itself may be a link: where the journal lives is the user's choice.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from assistant.messages import EXIT_BAD_INPUT, Msg, ReflectError

if TYPE_CHECKING:
    from assistant.crypto import Cipher

DIR_MODE = 0o700
FILE_MODE = 0o600
SUFFIX = ".md"
DASH = " — "  # between the step title and the question in a block's heading
HEADER_KEYS = frozenset({"session", "guide", "started", "model",  # and crypto.py's:
                         "encryption", "kdf", "scrypt-n", "scrypt-r", "scrypt-p", "salt",
                         "check"})


@dataclass(frozen=True)
class Entry:
    """One saved answer."""

    step: str
    prompt: int  # index in step.prompts (the full list, not per role)
    title: str
    question: str
    text: str
    at: datetime
    seconds: float
    ended: str  # silence | command | enter | max | typed | device-lost | end-of-input
    confidence: float | None = None
    edited: bool = False  # the text on disk differs in length from what Reflect wrote


@dataclass(frozen=True)
class Mark:
    """A session event that is not an answer: `role` (value), `skip` (step, prompt), `end`."""

    kind: str
    at: datetime
    step: str | None = None
    prompt: int | None = None
    value: str | None = None


@dataclass(frozen=True)
class Note:
    """Content that is not a Reflect block: the user's own notes, or (set_aside) a block
    that is torn or unreadable. Kept and shown, never dropped."""

    text: str
    set_aside: bool = False


Block = Entry | Mark | Note


@dataclass
class Record:
    """A session file read back."""

    id: str
    guide: str
    started: datetime
    model: str | None
    path: Path
    entries: list[Entry]
    marks: list[Mark]
    set_aside: list[str]
    blocks: list[Block] = field(default_factory=list)  # everything, in file order
    encrypted: bool = False

    @property
    def role(self) -> str | None:
        roles = [m.value for m in self.marks if m.kind == "role"]
        return roles[-1] if roles else None

    @property
    def finished(self) -> bool:
        return any(m.kind == "end" for m in self.marks)

    @property
    def done(self) -> set[tuple[str, int]]:
        """(step, prompt) pairs answered or skipped: where `resume` must not ask again."""
        pairs = {(e.step, e.prompt) for e in self.entries}
        pairs |= {(m.step, m.prompt) for m in self.marks
                  if m.kind == "skip" and m.step is not None and m.prompt is not None}
        return pairs

    @cached_property
    def versions(self) -> dict[tuple[str, int], list[Entry]]:
        """Every entry per (step, prompt), oldest first, keyed in the order the questions
        were first answered. Computed once: a Record is read, never changed."""
        out: dict[tuple[str, int], list[Entry]] = {}
        for e in self.entries:
            out.setdefault((e.step, e.prompt), []).append(e)
        return out

    def answers(self) -> list[Entry]:
        """The answer to each question: its newest entry, in the order first answered."""
        return [versions[-1] for versions in self.versions.values()]

    def replaced(self, entry: Entry) -> bool:
        """True for an entry of this record answered again later (going back)."""
        return self.versions[(entry.step, entry.prompt)][-1] is not entry


# --- the format -------------------------------------------------------------------

_META = re.compile(rb"<!-- (entry|role|skip|end|torn)((?: [a-z]+=[^\s>]*)*) -->\n")
# Written before the next block after a block cut short, so that one still reads as cut short
# once other blocks follow it (a hand-shortened block followed by others reads as edited).
TORN = b"\n<!-- torn -->\n"
_TORN_MARK = TORN.strip()
_PARAGRAPH = re.compile(rb"\S(?:.|\n(?![ \t\r]*\n))*")  # up to a blank line
_PLAIN_SCALAR = re.compile(r"[A-Za-z0-9][\w.+/:-]*")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: str | None) -> str:
    """A YAML scalar for the front matter: plain when safe, JSON-quoted otherwise."""
    if value is None:
        return ""
    if _PLAIN_SCALAR.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _unscalar(raw: str) -> str | None:
    raw = raw.strip()
    if not raw or raw in ("~", "null"):
        return None
    if raw.startswith('"'):
        try:
            return str(json.loads(raw))
        except ValueError:
            return raw
    return raw


def _when(at: datetime) -> str:
    return (at if at.tzinfo else at.astimezone()).isoformat(timespec="seconds")


def front_matter(fields: dict[str, str | None], comments: tuple[str, ...] = ()) -> bytes:
    lines = ["---", *(f"# {c}" for c in comments)]
    lines += [f"{k}: {_scalar(v)}".rstrip() for k, v in fields.items()]
    return ("\n".join([*lines, "---"]) + "\n").encode()


def _meta(kind: str, fields: dict[str, object]) -> str:
    parts = [f"{k}={quote(str(v), safe='-._~:+/@,')}" for k, v in fields.items()
             if v is not None]
    return f"<!-- {' '.join([kind, *parts])} -->\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def entry_block(entry: Entry) -> bytes:
    """One answer as it is appended: blank line, heading, metadata comment, text."""
    body = entry.text.encode()
    meta = _meta("entry", {
        "step": entry.step, "prompt": entry.prompt, "at": _when(entry.at),
        "seconds": f"{entry.seconds:.1f}",
        "confidence": None if entry.confidence is None else f"{entry.confidence:.2f}",
        "ended": entry.ended, "bytes": len(body),
    })
    heading = f"## {_one_line(entry.title)}{DASH}{_one_line(entry.question)}\n"
    return b"\n" + heading.encode() + meta.encode() + body + b"\n"


def mark_block(mark: Mark) -> bytes:
    meta = _meta(mark.kind, {"step": mark.step, "prompt": mark.prompt,
                             "value": mark.value, "at": _when(mark.at)})
    return b"\n" + meta.encode()


def note_block(note: Note) -> bytes:
    return b"\n" + note.text.encode() + b"\n" + (TORN if note.set_aside else b"")


def render_block(block: Block) -> bytes:
    if isinstance(block, Entry):
        return entry_block(block)
    if isinstance(block, Mark):
        return mark_block(block)
    return note_block(block)


def _fields(raw: bytes) -> dict[str, str]:
    out = {}
    for part in raw.decode("utf-8", "replace").split():
        key, _, value = part.partition("=")
        out[key] = unquote(value) if "%" in value else value  # most values need no unquoting
    return out


def _parse_entry(fields: dict[str, str], heading: bytes | None, text: bytes,
                 edited: bool) -> Entry:
    title, question = "", ""
    if heading is not None:
        title, _, question = heading[3:].decode("utf-8", "replace").partition(DASH)
    confidence = fields.get("confidence")
    return Entry(
        step=fields["step"], prompt=int(fields["prompt"]), title=title.strip(),
        question=question.strip(), text=text.decode("utf-8", "replace"),
        at=datetime.fromisoformat(fields["at"]), seconds=float(fields.get("seconds", 0)),
        ended=fields.get("ended", ""), edited=edited,
        confidence=float(confidence) if confidence else None,
    )


def _parse_mark(kind: str, fields: dict[str, str]) -> Mark:
    prompt = fields.get("prompt")
    return Mark(kind=kind, at=datetime.fromisoformat(fields["at"]), step=fields.get("step"),
                prompt=int(prompt) if prompt is not None else None, value=fields.get("value"))


def _leftovers(raw: bytes, start: int) -> Iterator[tuple[int, Note]]:
    """Paragraphs between blocks: the user's notes, or pieces of a block cut short."""
    for m in _PARAGRAPH.finditer(raw):
        piece = m.group().rstrip()
        torn = piece.startswith((b"## ", b"<!--")) or any(
            mark.startswith(piece) for mark in (b"## ", b"<!-- "))  # the start of a block
        yield start + m.start(), Note(piece.decode("utf-8", "replace"), torn)


def _heading_start(data: bytes, lo: int, comment: int) -> int:
    """Where the `## ` heading line right before an entry comment starts (or the comment)."""
    if comment <= lo or data[comment - 1] != 10:  # 10: a newline
        return comment
    line = data.rfind(b"\n", lo, comment - 1) + 1 or lo
    return line if data.startswith(b"## ", line) else comment


def parse_body(data: bytes, pos: int = 0, whole: bool = False) -> list[tuple[int, Block]]:
    """Blocks after the front matter, each with the offset it starts at. Never raises:
    whatever does not parse is kept as a Note.

    An entry whose text does not match its declared length is cut short (set aside) when
    a power loss is the likely cause: it is the last thing in the file and shorter than
    declared, or a `torn` mark follows it. Otherwise it was edited by hand and is kept.
    `whole` says the data is known complete (an authenticated sealed block)."""
    out: list[tuple[int, Block]] = []
    while (m := _META.search(data, pos)) is not None:
        kind, comment = m.group(1), m.start()
        start = _heading_start(data, pos, comment) if kind == b"entry" else comment
        if not data[pos:start].isspace():  # most often only the newline between blocks
            out += _leftovers(data[pos:start], pos)
        if kind == b"entry":
            end, block = _entry_at(data, m, start, whole)
            out.append((start, block))
        else:
            end = m.end()
            if kind != b"torn":
                out.append((start, _mark_at(data, m)))
        pos = end
    out += _leftovers(data[pos:], pos)
    return out


def _mark_at(data: bytes, m: re.Match[bytes]) -> Mark | Note:
    """The mark, or a Note set aside when its fields do not parse."""
    try:
        return _parse_mark(m.group(1).decode(), _fields(m.group(2)))
    except (KeyError, ValueError):
        return Note(data[m.start():m.end()].decode("utf-8", "replace"), True)


def _entry_at(data: bytes, m: re.Match[bytes], start: int,
              whole: bool) -> tuple[int, Entry | Note]:
    """(where the next block may start, the entry or, when cut short, a Note set aside)."""
    fields = _fields(m.group(2))
    text_at = m.end()
    try:
        size = int(fields["bytes"])
    except (KeyError, ValueError):
        size = -1
    after = text_at + size
    text = data[text_at:after]
    if size >= 0 and (after == len(data) or data[after:after + 1] == b"\n") and (
            _TORN_MARK not in text):  # a torn text may reach past its declared end
        end, edited, complete = min(after + 1, len(data)), False, True
    else:  # framing broken: the text runs to where the next block starts
        nxt = _META.search(data, text_at)
        end = len(data) if nxt is None else _heading_start(data, text_at, nxt.start())
        text = data[text_at:end]
        text = text[:-2] if text.endswith(b"\n\n") else text.removesuffix(b"\n")
        edited = True
        if nxt is None:
            complete = size >= 0 and (whole or len(text) >= size)
        else:
            complete = size >= 0 and nxt.group(1) != b"torn"
    heading = data[start:m.start() - 1] if start < m.start() else None
    try:
        if not complete:
            raise ValueError("shorter than its declared length: cut short")
        return end, _parse_entry(fields, heading, text, edited)
    except (KeyError, ValueError):
        return end, Note(data[start:end].decode("utf-8", "replace").rstrip("\n"), True)


def split_front_matter(data: bytes) -> tuple[dict[str, str | None], list[str], int]:
    """(known fields, other front-matter lines, offset of the body). Tolerates damage."""
    if not data.startswith(b"---\n"):
        return {}, [], 0
    end = data.find(b"\n---\n", 3)
    if end < 0:
        return {}, [], 0
    fields: dict[str, str | None] = {}
    other: list[str] = []
    for line in data[4:end].decode("utf-8", "replace").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key in HEADER_KEYS:
            fields[key] = _unscalar(value)
        elif line.strip() and not line.startswith("#"):
            other.append(line)
    return fields, other, end + 5


# --- files -------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes, *, exclusive: bool = True) -> None:
    """Create `path` readable by the user only (0600 whatever the umask) and fsync it."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reason(err: OSError) -> str:
    """Why a write failed, in the user's words."""
    if err.errno == errno.ENOSPC:
        return Msg.REASON_DISK_FULL.format()
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Msg.REASON_NOT_WRITABLE.format()
    return err.strerror or type(err).__name__


def _read_reason(err: OSError) -> str:
    """Why a read failed: a refusal is said plainly, anything else as the system says it."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return Msg.REASON_READ_DENIED.format()
    return err.strerror or type(err).__name__


_ASCII = bytes(range(128))


def _may_contain(data: bytes, needle: str) -> bool:
    """Whether `data` decoded and casefolded may contain `needle` (casefolded): never a
    false no, and far quicker than casefolding it all. For an ASCII needle the bytes
    lowercased decide, unless a non-ASCII character folds to ASCII (ß to ss, the Kelvin
    sign to k); only the few non-ASCII bytes are decoded to find out."""
    if needle.isascii():
        if needle.encode() in data.lower():
            return True
        rest = data.translate(None, _ASCII).decode("utf-8", "replace").casefold()
        if not rest.encode("ascii", "ignore"):
            return False
    return needle in data.decode("utf-8", "replace").casefold()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "session"


def _resume_point(data: bytes, sealed: bool) -> tuple[int, bytes]:
    """(sealed blocks so far, bytes the next block needs first) for a file as it is now.

    A tail cut short by a crash is never glued to the next block: a newline ends a torn
    line, and a `torn` mark after a torn plaintext block keeps it reading as torn."""
    _, _, body = split_front_matter(data)
    prefix = b"" if data.endswith(b"\n") else b"\n"
    if sealed:  # one block per line, each line authenticated with its position
        return sum(1 for line in data[body:].split(b"\n") if line.strip()), prefix
    blocks = parse_body(data, body)
    if blocks and isinstance(blocks[-1][1], Note) and blocks[-1][1].set_aside:
        prefix += TORN.lstrip(b"\n")
    return 0, prefix


class Writer:
    """Appends one session's blocks: one write, then fsync, before returning."""

    def __init__(self, path: Path, cipher: Cipher | None, fresh: bool) -> None:
        self.id = path.stem
        self.path = path
        self._cipher = cipher
        self._fd: int | None = None
        self._seq = 0  # sealed blocks so far (each block's position is authenticated)
        self._prefix = b""
        self._known = fresh  # False: look at the file's tail before the next append

    def answer(self, entry: Entry) -> None:
        self._append(entry_block(entry), Msg.SAVE_FAILED, text=entry.text)

    def mark(self, mark: Mark) -> None:
        self._append(mark_block(mark), Msg.SAVE_MARK_FAILED, kind=mark.kind)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _append(self, block: bytes, msg: Msg, **fields: object) -> None:
        try:
            if not self._known:  # reopened, or a failed write may have left a partial block
                self._seq, self._prefix = _resume_point(self.path.read_bytes(),
                                                        self._cipher is not None)
                self._known = True
            if self._cipher is not None:
                from assistant.crypto import block_aad

                block = self._cipher.seal(block, block_aad(self.id, self._seq)) + b"\n"
            if self._fd is None:  # never through a link (see the module docstring)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
            _write_all(self._fd, self._prefix + block)
            os.fsync(self._fd)
        except OSError as err:
            self.close()
            self._known = False
            raise ReflectError(msg, reason=_reason(err), path=self.path, **fields) from err
        self._seq += 1
        self._prefix = b""


class Journal:
    """The journal directory: creates sessions, reads them back, finds and deletes them."""

    def __init__(self, directory: Path, cipher: Cipher | None = None) -> None:
        self.directory = Path(directory)
        self.cipher = cipher
        self.repaired: list[Path] = []  # paths whose permissions were too open, now fixed
        self._ensure_private()

    # -- permissions --
    def _ensure_private(self) -> None:
        """Folder 0700 and session files 0600; links inside are left alone (their targets
        are not the journal's to change), the folder first so none can be added meanwhile."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            self._repair(self.directory, DIR_MODE)
            for path in self._files():  # regular files only
                self._repair(path, FILE_MODE)
        except OSError as err:
            raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                               reason=_reason(err)) from err

    def _repair(self, path: Path, mode: int) -> None:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
            self.repaired.append(path)

    def _scan(self) -> tuple[list[Path], list[Path]]:
        """(session files, symbolic links named like one), each sorted by name: oldest
        first. Links are never followed (see the module docstring)."""
        files: list[str] = []
        links: list[str] = []
        with os.scandir(self.directory) as found:
            for item in found:
                if not item.name.endswith(SUFFIX):
                    continue
                if item.is_symlink():
                    links.append(item.name)
                elif item.is_file(follow_symlinks=False):
                    files.append(item.name)
        return ([self.directory / n for n in sorted(files)],
                [self.directory / n for n in sorted(links)])

    def _files(self) -> list[Path]:
        return self._scan()[0]

    def _contents(self, skipped: list[ReflectError] | None) -> Iterator[tuple[Path, bytes]]:
        """Each session file with its bytes, oldest first. A file that cannot be read, and
        a link, are left out and told of in `skipped`: one bad file hides nothing else."""
        files, links = self._scan()
        notes = [] if skipped is None else skipped
        notes += [ReflectError(Msg.SESSION_LINK_LEFT_OUT, path=p) for p in links]
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as err:
                notes.append(ReflectError(Msg.SESSION_LEFT_OUT, path=path,
                                          reason=_read_reason(err)))
                continue
            yield path, data

    # -- writing --
    def start(self, guide: str, model: str | None = None,
              started: datetime | None = None) -> Writer:
        started = started or datetime.now()
        started = (started if started.tzinfo else started.astimezone()).replace(microsecond=0)
        base = f"{started:%Y-%m-%dT%H-%M-%S}-{_slug(guide)}"
        fields: dict[str, str | None] = {"guide": guide, "started": _when(started),
                                         "model": model}
        comments: tuple[str, ...] = ()
        if self.cipher is not None:
            from assistant.crypto import HEADER_NOTE

            fields |= self.cipher.header()
            comments = HEADER_NOTE
        for n in range(1, 1000):
            session_id = base if n == 1 else f"{base}-{n}"
            path = self.directory / f"{session_id}{SUFFIX}"
            header = {"session": session_id, **fields}
            try:
                write_private(path, front_matter(header, comments))
            except FileExistsError:
                continue
            except OSError as err:
                raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                                   reason=_reason(err)) from err
            _fsync_dir(self.directory)
            return Writer(path, self._cipher_for(path, header), fresh=True)
        raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                           reason=Msg.REASON_SAME_SECOND.format())

    def reopen(self, session_id: str) -> Writer:
        """Append to an existing session (resume)."""
        path = self._path(session_id)
        header, _, _ = split_front_matter(self._read_bytes(path))
        return Writer(path, self._cipher_for(path, header), fresh=False)

    # -- reading --
    def sessions(self, skipped: list[ReflectError] | None = None) -> list[Record]:
        """Every session, oldest first (ids start with the time they began); files that
        cannot be read, and links, are told of in `skipped` instead."""
        return [self._parse(path, data) for path, data in self._contents(skipped)]

    def read(self, session_id: str) -> Record:
        """A session by id, unique prefix of an id, or `latest`."""
        return self._load(self._path(session_id))

    def latest_unfinished(self, skipped: list[ReflectError] | None = None) -> Record | None:
        return next((r for r in reversed(self.sessions(skipped)) if not r.finished), None)

    def search(self, text: str,
               skipped: list[ReflectError] | None = None) -> list[tuple[Record, Entry]]:
        """Entries whose answer contains `text`, ignoring case: replaced answers too (tell
        them with `Record.replaced`). Unreadable files are told of in `skipped`."""
        needle = text.casefold()
        hits = []
        for path, data in self._contents(skipped):
            header, _, body = split_front_matter(data)
            chunks = (self._sealed_chunks(path, header, data, body)
                      if header.get("encryption") else None)
            plain = data if chunks is None else b"".join(
                c for c in chunks if isinstance(c, bytes))
            if not _may_contain(plain, needle):
                continue  # most files do not match: skip parsing them
            record = self._parse(path, data, chunks)
            hits += [(record, e) for e in record.entries if needle in e.text.casefold()]
        return hits

    def delete(self, session_id: str) -> None:
        path = self._path(session_id)
        try:
            path.unlink()
            _fsync_dir(self.directory)
        except OSError as err:
            raise ReflectError(Msg.DELETE_FAILED, session=path.stem,
                               reason=_reason(err)) from err

    def encrypt_all(self) -> tuple[int, int]:
        """Seal every plaintext session with `self.cipher`: (converted, already encrypted).

        The one place a file is replaced instead of appended to: a conversion changes every
        byte, so it is written whole to a temporary file beside it (ciphertext only), fsynced,
        and renamed over the original, which is atomic: at every instant the path holds either
        the complete plaintext or the complete ciphertext, never a mix.
        """
        assert self.cipher is not None
        from assistant.crypto import HEADER_NOTE, block_aad

        for stale in self.directory.glob(".*.encrypting"):  # left by a crash: ciphertext
            stale.unlink()
        converted = already = 0
        for path in self._files():
            data = self._read_bytes(path)
            header, other, body = split_front_matter(data)
            if header.get("encryption"):
                already += 1
                continue
            starts = [start for start, _ in parse_body(data, body)][1:]
            chunks = [data[a:b] for a, b in zip([body, *starts], [*starts, len(data)], strict=True)
                      if data[a:b].strip()]
            if other:
                chunks.insert(0, note_block(Note("\n".join(other))))
            fields = {"session": path.stem, "guide": header.get("guide"),
                      "started": header.get("started"), "model": header.get("model"),
                      **self.cipher.header()}
            sealed = b"".join(self.cipher.seal(chunk, block_aad(path.stem, seq)) + b"\n"
                              for seq, chunk in enumerate(chunks))
            temp = path.with_name(f".{path.name}.encrypting")
            try:
                write_private(temp, front_matter(fields, HEADER_NOTE) + sealed)
                os.replace(temp, path)
                _fsync_dir(self.directory)
            except OSError as err:
                temp.unlink(missing_ok=True)
                raise ReflectError(Msg.JOURNAL_DIR_UNUSABLE, path=self.directory,
                                   reason=_reason(err)) from err
            converted += 1
        return converted, already

    def encrypted_headers(self) -> list[dict[str, str | None]]:
        """Front matter of the sessions that are encrypted (read without any passphrase)."""
        out = []
        for path in self._files():
            try:
                with path.open("rb") as f:
                    header, _, _ = split_front_matter(f.read(4096))
            except OSError:
                continue  # `sessions` tells of it; it must not lock out the others
            if header.get("encryption"):
                out.append(header)
        return out

    def resolve(self, spec: str) -> str:
        return self._path(spec).stem

    def _path(self, spec: str) -> Path:
        ids = [p.stem for p in self._files()]
        if spec == "latest" and ids:
            return self.directory / f"{ids[-1]}{SUFFIX}"
        if spec in ids:
            return self.directory / f"{spec}{SUFFIX}"
        matches = [i for i in ids if i.startswith(spec)]
        if len(matches) == 1:
            return self.directory / f"{matches[0]}{SUFFIX}"
        if matches:
            raise ReflectError(Msg.SESSION_AMBIGUOUS, EXIT_BAD_INPUT, session=spec,
                               matches=", ".join(matches[:5]))
        raise ReflectError(Msg.SESSION_UNKNOWN, EXIT_BAD_INPUT, session=spec)

    def _read_bytes(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as err:
            raise ReflectError(Msg.SESSION_UNREADABLE, path=path,
                               reason=_read_reason(err)) from err

    def _load(self, path: Path) -> Record:
        return self._parse(path, self._read_bytes(path))

    def _parse(self, path: Path, data: bytes,
               chunks: list[bytes | Note] | None = None) -> Record:
        """The session in `data`; `chunks`: its sealed blocks, when already opened."""
        header, other, body = split_front_matter(data)
        encrypted = bool(header.get("encryption"))
        blocks: list[Block] = []
        if other:  # front matter the user added: keep it visible
            blocks.append(Note("\n".join(other)))
        if encrypted:
            if chunks is None:
                chunks = self._sealed_chunks(path, header, data, body)
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
            blocks=blocks, encrypted=encrypted,
        )

    def _cipher_for(self, path: Path, header: dict) -> Cipher | None:
        """The cipher for a file: None for plaintext; refused when no passphrase was given."""
        if not header.get("encryption"):
            return None
        if self.cipher is None:
            raise ReflectError(Msg.JOURNAL_LOCKED, EXIT_BAD_INPUT, session=path.stem)
        return self.cipher.for_header(header)

    def _sealed_chunks(self, path: Path, header: dict, data: bytes,
                       body: int) -> list[bytes | Note]:
        """Each sealed line opened, or set aside when it is torn, altered or moved; the
        whole file set aside, as it is, when its header is damaged."""
        from assistant.crypto import block_aad

        try:
            cipher = self._cipher_for(path, header)
        except ReflectError as err:
            if err.msg is not Msg.ENCRYPTED_HEADER_BAD:
                raise
            return [Note(f"{err}\n{data.decode('utf-8', 'replace')}", True)]
        assert cipher is not None
        lines = [line for line in data[body:].split(b"\n") if line.strip()]
        out: list[bytes | Note] = []
        for seq, line in enumerate(lines):
            plain = cipher.unseal(line, block_aad(path.stem, seq))
            out.append(plain if plain is not None else Note(Msg.SEALED_BLOCK_UNREADABLE.format(
                number=seq + 1, line=line.decode("ascii", "replace")), True))
        return out


def render_markdown(record: Record, blocks: Iterable[Block] | None = None) -> bytes:
    """The session as a plain (decrypted) Markdown file, in the journal's own format: its
    own blocks, or `blocks` in their place (an export adds notes for people)."""
    header = {"session": record.id, "guide": record.guide, "started": _when(record.started),
              "model": record.model}
    return front_matter(header) + b"".join(
        render_block(b) for b in (record.blocks if blocks is None else blocks))


def open_journal(encrypt: bool = False, directory: Path | None = None) -> Journal:
    """The user's journal, unlocked with a passphrase when it already holds encrypted
    sessions (new sessions then stay encrypted too) or when encryption is asked for."""
    from assistant.config import paths

    journal = Journal(directory or paths().journal_dir)
    headers = journal.encrypted_headers()
    if headers or encrypt:
        from assistant import crypto

        passphrase = crypto.ask_passphrase(new=not headers)
        journal.cipher = _unlock(headers, passphrase) if headers else crypto.Cipher.create(
            passphrase)
    return journal


def _unlock(headers: list[dict[str, str | None]], passphrase: str) -> Cipher:
    """The key from the newest header that is intact; one damaged file locks out nothing
    else (it is set aside when read). A wrong passphrase stops here, before any reading."""
    from assistant.crypto import Cipher

    damaged: ReflectError | None = None
    for header in reversed(headers):
        try:
            return Cipher.open(header, passphrase)
        except ReflectError as err:
            if err.msg is not Msg.ENCRYPTED_HEADER_BAD:
                raise
            damaged = err
    assert damaged is not None
    raise damaged
