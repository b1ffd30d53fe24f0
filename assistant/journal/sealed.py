"""A whole session file sealed anew: a plaintext session encrypted (`journal encrypt`), or
a sealed one given another passphrase (`journal passphrase`).

Every byte changes, so the caller writes the new bytes whole to a temporary file and
renames it over the old one, holding the session's lock (rewrite.py). The session's own
header fields are carried over as they were.
"""

from __future__ import annotations

from assistant.journal.blocks import Note, note_block, sealed_lines
from assistant.journal.crypto import HEADER_NOTE, Cipher, block_aad, reseal
from assistant.journal.header import front_matter, session_fields, split_front_matter
from assistant.journal.parse import parse_body
from assistant.journal.tail import closing


def encrypted(session_id: str, data: bytes, cipher: Cipher) -> bytes:
    """A plaintext session file sealed with `cipher`: each block one sealed line, and
    lines the user added to the front matter sealed as a note first. A sealed block is
    read as complete, so a last block cut short is sealed with the `torn` mark that says
    so (the one an append would have written after it)."""
    header, other, body = split_front_matter(data)
    blocks = parse_body(data, body)
    starts = [start for start, _ in blocks][1:]
    chunks = [data[a:b] for a, b in zip([body, *starts], [*starts, len(data)], strict=True)
              if data[a:b].strip()]
    if chunks:
        chunks[-1] += closing(data, blocks)
    if other:
        chunks.insert(0, note_block(Note("\n".join(other))))
    fields = session_fields(header | {"session": session_id}) | cipher.header()
    return front_matter(fields, HEADER_NOTE) + b"".join(
        cipher.seal(chunk, block_aad(session_id, seq)) + b"\n"
        for seq, chunk in enumerate(chunks))


def resealed(session_id: str, data: bytes, source: Cipher, target: Cipher) -> bytes:
    """A sealed session file opened with `source` and sealed with `target` (another
    passphrase); a line that does not open stays as it is, set aside as before."""
    header, other, body = split_front_matter(data)
    fields = session_fields(header | {"session": session_id}) | target.header()
    return front_matter(fields, HEADER_NOTE, other) + reseal(
        sealed_lines(data[body:]), source, session_id, target, session_id)
