"""Finding answers by their words, ignoring case, across a journal of many sessions:
most files are ruled out on their bytes, without being parsed."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.journal.reading import Opened, record
from assistant.journal.record import Record
from assistant.turns import Entry

_ASCII = bytes(range(128))


def may_contain(data: bytes, needle: str) -> bool:
    """Whether `data` decoded and casefolded may contain `needle` (casefolded): never a
    false no, and far quicker than casefolding it all. For an ASCII needle the bytes
    lowercased decide, unless a non-ASCII character folds to ASCII (ß to ss, the Kelvin
    sign to k); only the few non-ASCII bytes are decoded to find out. A needle with `<!--`
    may match text stored escaped (blocks.py): that always needs the parse."""
    if "<!--" in needle:
        return True
    if needle.isascii():
        if needle.encode() in data.lower():
            return True
        rest = data.translate(None, _ASCII).decode("utf-8", "replace").casefold()
        if not rest.encode("ascii", "ignore"):
            return False
    return needle in data.decode("utf-8", "replace").casefold()


def matching(sessions: Iterable[Opened], text: str) -> list[tuple[Record, Entry]]:
    """Entries whose answer contains `text`, ignoring case: replaced answers too (tell
    them with `Record.replaced`)."""
    needle = text.casefold()
    hits = []
    for opened in sessions:
        plain = opened.data if opened.chunks is None else b"".join(
            c for c in opened.chunks if isinstance(c, bytes))
        if not may_contain(plain, needle):
            continue  # most files do not match: skip parsing them
        found = record(opened)
        hits += [(found, e) for e in found.entries if needle in e.text.casefold()]
    return hits
