"""The blocks after a session file's front matter, one per answer or event: what they are
and how they are written. Reading them back is parse.py; where the next one goes, tail.py.

A block is a `## title — question` heading, a metadata comment `<!-- entry ... -->` and
the text; marks (role, skip, end) are a comment alone. The comment carries the byte length
of the text, which is what lets a reader tell a block cut short by a power loss (set
aside, shown, never merged) from a block the user edited by hand (kept, marked `edited`):
see `parse.parse_body`. A `<!-- torn -->` mark says the block right before it was cut short.

A spoken answer's comment also carries its words as the recognizer heard them (`words=`:
word/start/end/confidence, comma-separated, times from the answer's start): the text is
them made readable, and `journal show` marks the doubtful ones. Readers that predate the
field pass over it, as they do any field they do not know.

What the user typed is never read as framing: a metadata comment counts only at the start
of a line, and every line of an answer that starts with `<!--` (after any backslashes)
gets one more backslash when written; the entry's comment then says `escaped=1` and the
reader takes that backslash off again. Entries written before this rule (no `escaped`)
read exactly as they always did.

A sealed file's body is one base64 line per block (`sealed_lines`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from assistant.journal.header import when
from assistant.turns import Entry, Mark, Word

DASH = " — "  # between the step title and the question in a block's heading


@dataclass(frozen=True)
class Note:
    """Content that is not a Reflect block: the user's own notes, or (set_aside) a block
    that is torn or unreadable. Kept and shown, never dropped."""

    text: str
    set_aside: bool = False


Block = Entry | Mark | Note
Placed = list[tuple[int, Block]]  # blocks, each with the offset it starts at

# Written before the next block after a block cut short, so that one still reads as cut short
# once other blocks follow it (a hand-shortened block followed by others reads as edited).
TORN = b"\n<!-- torn -->\n"
_FRAMING_LINE = re.compile(rb"^(?=\\*<!--)", re.M)  # a line of text that could pass for framing
_ESCAPED_LINE = re.compile(rb"^\\(?=\\*<!--)", re.M)


def _meta(kind: str, fields: dict[str, object]) -> str:
    parts = [f"{k}={quote(str(v), safe='-._~:+/@,')}" for k, v in fields.items()
             if v is not None]
    return f"<!-- {' '.join([kind, *parts])} -->\n"


def _word_part(text: str) -> str:
    """A word as one part of `words=`: its own separators escaped (then quoted with the
    rest of the value, so it takes one unquote to read the field and one for the word)."""
    return text.replace("%", "%25").replace(",", "%2C").replace("/", "%2F")


def words_field(words: tuple[Word, ...]) -> str | None:
    if not words:
        return None
    return ",".join(f"{_word_part(w.text)}/{w.start:.2f}/{w.end:.2f}/"
                    f"{'' if w.conf is None else f'{w.conf:.2f}'}" for w in words)


def parse_words(field: str) -> tuple[Word, ...]:
    """The words of a `words=` field; ValueError when it does not parse."""
    out = []
    for part in field.split(",") if field else ():
        text, start, end, conf = part.split("/")
        out.append(Word(unquote(text), float(start), float(end), float(conf) if conf else None))
    return tuple(out)


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
        "ended": entry.ended, "escaped": 1 if body != typed else None,
        "words": words_field(entry.words), "bytes": len(body),
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


def sealed_lines(body: bytes) -> list[bytes]:
    """The sealed blocks of an encrypted file's body: one base64 line each."""
    return [line.strip() for line in body.split(b"\n") if line.strip()]
