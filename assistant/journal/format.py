"""The journal's file format: front matter, then one block per answer or event.

A block is a `## title — question` heading, a metadata comment `<!-- entry ... -->` and
the text; marks (role, skip, end) are a comment alone. The comment carries the byte length
of the text, which is what lets a reader tell a block cut short by a power loss (set
aside, shown, never merged) from a block the user edited by hand (kept, marked `edited`):
see `parse_body`.

What the user typed is never read as framing: a metadata comment counts only at the start
of a line, and every line of an answer that starts with `<!--` (after any backslashes)
gets one more backslash when written; the entry's comment then says `escaped=1` and the
reader takes that backslash off again. Entries written before this rule (no `escaped`)
read exactly as they always did.

Files changed by other programs are read too: a file whose front matter has Windows line
endings is read with `\\n` ones, and a UTF-16 file (with its byte-order mark) is decoded.
A file is a session only if its front matter names its guide (`is_session`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, unquote

from assistant.turns import Entry, Mark

DASH = " — "  # between the step title and the question in a block's heading
SESSION_KEYS = ("session", "guide", "started", "model")  # always written
OPTIONAL_KEYS = ("guide-file", "guide-digest", "continues")  # written when they have a value
CRYPTO_KEYS = ("encryption", "kdf", "scrypt-n", "scrypt-r", "scrypt-p", "salt", "check")
HEADER_KEYS = frozenset(SESSION_KEYS + OPTIONAL_KEYS + CRYPTO_KEYS)


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
    guide_file: str | None = None  # the guide's file, when the session was started from one
    guide_digest: str | None = None  # of the guide's text then ("sha256:..."): notice a change
    continues: str | None = None  # the session this file carries on (its file was lost)

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


# --- reading what other programs left -----------------------------------------------

_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def is_utf16(data: bytes) -> bool:
    """A file another program saved as UTF-16: read it, but never append UTF-8 to it."""
    return data.startswith(_UTF16)


def as_utf8(data: bytes) -> bytes:
    """A session file's bytes as Reflect writes them: UTF-8 without a byte-order mark,
    and `\\n` line endings when the front matter shows an editor turned them into `\\r\\n`
    (only then: a carriage return the user typed is kept as it is)."""
    if is_utf16(data):
        data = data.decode("utf-16", "replace").encode()
    data = data.removeprefix(codecs.BOM_UTF8)
    if data.startswith(b"---\r\n"):
        data = data.replace(b"\r\n", b"\n")
    return data


def is_session(header: Mapping[str, str | None]) -> bool:
    """Whether front matter is a Reflect session's: it names the guide (Reflect always
    writes it; a file without it cannot be resumed or told apart from any other file)."""
    return bool(header.get("guide"))


# --- writing ------------------------------------------------------------------------

# A metadata comment; it counts only at the start of a line (`_next_meta`), where typed
# text never has one. Not anchored in the pattern: the literal start is found far quicker.
_META = re.compile(rb"<!-- (entry|role|skip|end|torn)((?: [a-z]+=[^\s>]*)*) -->\n")
# Written before the next block after a block cut short, so that one still reads as cut short
# once other blocks follow it (a hand-shortened block followed by others reads as edited).
TORN = b"\n<!-- torn -->\n"
_TORN_MARK = TORN.strip()
_TORN_LINE = re.compile(rb"^<!-- torn -->", re.M)
_FRAMING_LINE = re.compile(rb"^(?=\\*<!--)", re.M)  # a line of text that could pass for framing
_ESCAPED_LINE = re.compile(rb"^\\(?=\\*<!--)", re.M)
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


def when(at: datetime) -> str:
    return (at if at.tzinfo else at.astimezone()).isoformat(timespec="seconds")


def session_fields(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """A session's own front-matter fields, in the order they are written: the four that
    every file has, then the optional ones that have a value (never the encryption's)."""
    fields = {key: values.get(key) for key in SESSION_KEYS}
    return fields | {key: values[key] for key in OPTIONAL_KEYS if values.get(key)}


def front_matter(fields: Mapping[str, str | None], comments: tuple[str, ...] = (),
                 other: Iterable[str] = ()) -> bytes:
    """The front matter; `other`: lines the user added to it, kept as they were."""
    lines = ["---", *(f"# {c}" for c in comments)]
    lines += [f"{k}: {_scalar(v)}".rstrip() for k, v in fields.items()]
    return ("\n".join([*lines, *other, "---"]) + "\n").encode()


def _meta(kind: str, fields: dict[str, object]) -> str:
    parts = [f"{k}={quote(str(v), safe='-._~:+/@,')}" for k, v in fields.items()
             if v is not None]
    return f"<!-- {' '.join([kind, *parts])} -->\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def escape(text: bytes) -> bytes:
    """One more backslash before each line that starts with `<!--` after backslashes."""
    return _FRAMING_LINE.sub(lambda _: b"\\", text)


def unescape(text: bytes) -> bytes:
    return _ESCAPED_LINE.sub(b"", text)


def entry_block(entry: Entry) -> bytes:
    """One answer as it is appended: blank line, heading, metadata comment, text. Text the
    terminal could not decode (kept by Python as surrogates) is written as the bytes typed."""
    typed = entry.text.encode("utf-8", "surrogateescape")
    body = escape(typed)
    meta = _meta("entry", {
        "step": entry.step, "prompt": entry.prompt, "at": when(entry.at),
        "seconds": f"{entry.seconds:.1f}",
        "confidence": None if entry.confidence is None else f"{entry.confidence:.2f}",
        "ended": entry.ended, "escaped": 1 if body != typed else None, "bytes": len(body),
    })
    heading = f"## {_one_line(entry.title)}{DASH}{_one_line(entry.question)}\n"
    return b"\n" + heading.encode() + meta.encode() + body + b"\n"


def mark_block(mark: Mark) -> bytes:
    meta = _meta(mark.kind, {"step": mark.step, "prompt": mark.prompt,
                             "value": mark.value, "at": when(mark.at)})
    return b"\n" + meta.encode()


def note_block(note: Note) -> bytes:
    return b"\n" + note.text.encode() + b"\n" + (TORN if note.set_aside else b"")


def render_block(block: Block) -> bytes:
    if isinstance(block, Entry):
        return entry_block(block)
    if isinstance(block, Mark):
        return mark_block(block)
    return note_block(block)


def record_fields(record: Record) -> dict[str, str | None]:
    """The front-matter fields of a session read back (without the encryption's)."""
    return session_fields({"session": record.id, "guide": record.guide,
                           "started": when(record.started), "model": record.model,
                           "guide-file": record.guide_file,
                           "guide-digest": record.guide_digest,
                           "continues": record.continues})


def render_markdown(record: Record, blocks: Iterable[Block] | None = None) -> bytes:
    """The session as a plain (decrypted) Markdown file, in the journal's own format: its
    own blocks, or `blocks` in their place (an export adds notes for people)."""
    return front_matter(record_fields(record)) + b"".join(
        render_block(b) for b in (record.blocks if blocks is None else blocks))


# --- reading ------------------------------------------------------------------------


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
    if fields.get("escaped"):
        text = unescape(text)
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
    while (m := _next_meta(data, pos)) is not None:
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


def _next_meta(data: bytes, pos: int) -> re.Match[bytes] | None:
    """The next metadata comment from `pos` on that starts a line."""
    while (m := _META.search(data, pos)) is not None:
        if m.start() == 0 or data[m.start() - 1] == 10:  # 10: a newline
            return m
        pos = m.start() + 1
    return None


def _mark_at(data: bytes, m: re.Match[bytes]) -> Mark | Note:
    """The mark, or a Note set aside when its fields do not parse."""
    try:
        return _parse_mark(m.group(1).decode(), _fields(m.group(2)))
    except (KeyError, ValueError):
        return Note(data[m.start():m.end()].decode("utf-8", "replace"), True)


def _reaches_a_torn_mark(text: bytes) -> bool:
    """Whether a `torn` mark starts a line of what an entry declares its text: then its
    declared length reaches past a block cut short (typed text never has one there)."""
    return _TORN_MARK in text and _TORN_LINE.search(text) is not None


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
            not _reaches_a_torn_mark(text)):
        end, edited, complete = min(after + 1, len(data)), False, True
    else:  # framing broken: the text runs to where the next block starts
        nxt = _next_meta(data, text_at)
        end = len(data) if nxt is None else nxt.start() if nxt.group(1) != b"entry" else (
            _heading_start(data, text_at, nxt.start()))  # only an entry has a heading
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


def sealed_lines(body: bytes) -> list[bytes]:
    """The sealed blocks of an encrypted file's body: one base64 line each."""
    return [line.strip() for line in body.split(b"\n") if line.strip()]


def resume_point(data: bytes, sealed: bool) -> tuple[int, bytes]:
    """(sealed blocks so far, bytes the next block needs first) for a file as it is now.

    A tail cut short by a crash is never glued to the next block: a newline ends a torn
    line, and a `torn` mark after a torn plaintext block keeps it reading as torn."""
    _, _, body = split_front_matter(data)
    prefix = b"" if data.endswith(b"\n") else b"\n"
    if sealed:  # one block per line, each line authenticated with its position
        return len(sealed_lines(data[body:])), prefix
    blocks = parse_body(data, body)
    if blocks and isinstance(blocks[-1][1], Note) and blocks[-1][1].set_aside:
        prefix += TORN.lstrip(b"\n")
    return 0, prefix
