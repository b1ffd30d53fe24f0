"""A whole session file sealed anew: a plaintext session encrypted (`journal encrypt`), or
a sealed one given another passphrase (`journal passphrase`).

These are the journal's only rewrites: every byte changes, so the caller writes the new
bytes whole to a temporary file and renames it over the old one, holding the session's
lock (journal.py). The session's own header fields are carried over as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.journal.format import (
    Note,
    front_matter,
    note_block,
    parse_body,
    sealed_lines,
    session_fields,
    split_front_matter,
)

if TYPE_CHECKING:
    from assistant.journal.crypto import Cipher


def encrypted(session_id: str, data: bytes, cipher: Cipher) -> bytes:
    """A plaintext session file sealed with `cipher`: each block one sealed line, and
    lines the user added to the front matter sealed as a note first."""
    from assistant.journal.crypto import HEADER_NOTE, block_aad

    header, other, body = split_front_matter(data)
    starts = [start for start, _ in parse_body(data, body)][1:]
    chunks = [data[a:b] for a, b in zip([body, *starts], [*starts, len(data)], strict=True)
              if data[a:b].strip()]
    if other:
        chunks.insert(0, note_block(Note("\n".join(other))))
    fields = session_fields(header | {"session": session_id}) | cipher.header()
    return front_matter(fields, HEADER_NOTE) + b"".join(
        cipher.seal(chunk, block_aad(session_id, seq)) + b"\n"
        for seq, chunk in enumerate(chunks))


def resealed(session_id: str, data: bytes, source: Cipher, target: Cipher) -> bytes:
    """A sealed session file opened with `source` and sealed with `target` (another
    passphrase); a line that does not open stays as it is, set aside as before."""
    from assistant.journal.crypto import HEADER_NOTE, reseal

    header, other, body = split_front_matter(data)
    fields = session_fields(header | {"session": session_id}) | target.header()
    return front_matter(fields, HEADER_NOTE, other) + reseal(
        sealed_lines(data[body:]), source, session_id, target, session_id)
