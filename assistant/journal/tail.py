"""Where the next block goes in a session file as it is now: a plaintext file is closed
first (a newline after a line cut short, a `torn` mark after a part set aside), a sealed
one counts its lines (each is authenticated with its position)."""

from __future__ import annotations

from assistant.journal.blocks import TORN, Note, Placed, sealed_lines
from assistant.journal.header import split_front_matter
from assistant.journal.parse import parse_body


def closing(data: bytes, blocks: Placed) -> bytes:
    """What must follow `data` (whose blocks are `blocks`) before another block: a
    newline after a line cut short, never glued to the next block, and a `torn` mark
    after a part set aside, which keeps it reading as cut short with blocks after it."""
    prefix = b"" if data.endswith(b"\n") else b"\n"
    if blocks and isinstance(blocks[-1][1], Note) and blocks[-1][1].set_aside:
        prefix += TORN.lstrip(b"\n")
    return prefix


def resume_point(data: bytes, sealed: bool) -> tuple[int, bytes]:
    """(sealed blocks so far, bytes the next block needs first) for a file as it is now:
    a sealed file counts its lines (each authenticated with its position), a plaintext
    one is closed (`closing`)."""
    _, _, body = split_front_matter(data)
    if sealed:
        return len(sealed_lines(data[body:])), b"" if data.endswith(b"\n") else b"\n"
    return 0, closing(data, parse_body(data, body))
