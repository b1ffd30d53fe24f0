"""A session file's blocks read back from its bytes (blocks.py says how they are framed).
Never raises: whatever does not parse is kept as a Note.

The torn-tail rule: the byte length an entry's comment declares for its text tells a
block cut short by a power loss (set aside, shown, never merged) from one the user edited
by hand (kept, marked `edited`), see `parse_body`; a `torn` mark after a block says it was
cut short whatever its length says. A part set aside that is shown escaped still reads
back set aside (`aside_shown`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import unquote

from assistant.journal.blocks import DASH, TORN, Note, Placed, parse_words, unescape
from assistant.turns import Entry, Mark, Word

# A metadata comment; it counts only at the start of a line (`_next_meta`), where typed
# text never has one. Not anchored in the pattern: the literal start is found far quicker.
_META = re.compile(rb"<!-- (entry|role|skip|end|torn)((?: [a-z]+=[^\s>]*)*) -->\n")
_TORN_MARK = TORN.strip()
_TORN_LINE = re.compile(rb"^<!-- torn -->", re.M)
_PARAGRAPH = re.compile(rb"\S(?:.|\n(?![ \t\r]*\n))*")  # up to a blank line
_DECLARED = re.compile(r" bytes=[^\s>]*")


def aside_shown(text: str, show: Callable[[str], str]) -> str:
    """A part set aside with `show` applied to it (an export escapes what a terminal would
    obey), the length its entry comment declares grown by as much as its text grew: read
    back, it falls as far short of that length as before, so it is set aside as before --
    never read as a whole answer holding part of the text."""
    raw = text.encode()
    m = _next_meta(raw, 0)
    size = _declared(_fields(m.group(2))) if m and m.group(1) == b"entry" else -1
    if m is None or size < 0:  # no declared length: never read as whole anyway
        return show(text)
    rest = raw[m.end():].decode()  # split where the comment is: between whole characters
    shown = show(rest)
    grown = size + len(shown.encode()) - len(rest.encode())
    comment = _DECLARED.sub(f" bytes={grown}", show(m.group().decode()), 1)
    return show(raw[:m.start()].decode()) + comment + shown


def _fields(raw: bytes) -> dict[str, str]:
    out = {}
    for part in raw.decode("utf-8", "replace").split():
        key, _, value = part.partition("=")
        out[key] = unquote(value) if "%" in value else value  # most values need no unquoting
    return out


def _declared(fields: dict[str, str]) -> int:
    """The byte length an entry's comment declares for its text; -1 for none."""
    try:
        return int(fields["bytes"])
    except (KeyError, ValueError):
        return -1


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
        words=_words_or_none(fields.get("words", "")),
    )


def _words_or_none(field: str) -> tuple[Word, ...]:
    """The words, or none when the field was damaged (the answer's text stands anyway)."""
    try:
        return parse_words(field)
    except ValueError:
        return ()


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


def parse_body(data: bytes, pos: int = 0, whole: bool = False) -> Placed:
    """Blocks after the front matter, each with the offset it starts at. Never raises:
    whatever does not parse is kept as a Note.

    An entry whose text does not match its declared length is cut short (set aside) when
    a power loss is the likely cause: it is the last thing in the file and shorter than
    declared, or a `torn` mark follows it. Otherwise it was edited by hand and is kept.
    `whole` says the data is known complete (an authenticated sealed block)."""
    out: Placed = []
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
            if kind == b"torn":
                _cut_short(data, out, start)
            else:
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


def _cut_short(data: bytes, out: Placed, torn: int) -> None:
    """Set aside the entry or paragraph right before a `torn` mark at `torn`, as it is on
    disk: whatever its length says, it was cut short (a mark is whole by its framing)."""
    if not out or isinstance(out[-1][1], Mark):
        return
    start, block = out[-1]
    if isinstance(block, Entry):
        out[-1] = start, Note(data[start:torn].decode("utf-8", "replace").rstrip("\n"), True)
    elif not block.set_aside:
        out[-1] = start, Note(block.text, True)


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
    size = _declared(fields)
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

