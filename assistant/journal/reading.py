"""One session file read back: its bytes as Reflect writes them, its sealed blocks
opened, and the Record they make.

What is not a readable session raises a kind of `CannotOpen` (the listings go on without
it and name it): a file that cannot be read, is not a session (empty, or no front matter
naming its guide), or is sealed with a passphrase other than the one given. A sealed file
whose encryption header is damaged reads as one part set aside, as it is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from assistant import errors
from assistant.errors import BadInput
from assistant.journal import crypto
from assistant.journal.blocks import Block, Note, sealed_lines
from assistant.journal.errors import DamagedHeader, NotASession, SealedWithAnother, Unreadable
from assistant.journal.header import Header, as_utf8, is_session, split_front_matter
from assistant.journal.parse import parse_body
from assistant.journal.record import Record
from assistant.messages import Msg
from assistant.turns import Entry, Mark


class Opened(NamedTuple):
    """A session file read: its bytes as Reflect writes them, and its sealed blocks
    opened (None for plaintext)."""

    path: Path
    data: bytes
    header: Header
    other: list[str]
    body: int
    chunks: list[bytes | Note] | None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise Unreadable(path, reason=errors.reason(err)) from err


def open_file(path: Path, cipher: crypto.Cipher | None) -> Opened:
    """The session at `path`, its sealed blocks opened with the keys of `cipher`'s
    passphrase. Raises a CannotOpen kind (see the module docstring)."""
    return open_bytes(path, read_bytes(path), cipher)


def open_bytes(path: Path, raw: bytes, cipher: crypto.Cipher | None) -> Opened:
    """`open_file` of bytes read already (through a locked descriptor, say)."""
    data = as_utf8(raw)
    header, other, body = split_front_matter(data)
    if not is_session(header):
        raise NotASession(path)
    chunks = _sealed_chunks(path, header, data, body, cipher) if crypto.is_sealed(
        header) else None
    return Opened(path, data, header, other, body, chunks)


def cipher_for(path: Path, header: Header, cipher: crypto.Cipher | None) -> crypto.Cipher | None:
    """The key for a file: None for plaintext; refused when no passphrase was given, and
    when the one given does not open this file (it was sealed with another)."""
    if not crypto.is_sealed(header):
        return None
    if cipher is None:
        raise BadInput(Msg.JOURNAL_LOCKED, session=path.stem)
    key = cipher.keyring.opens(header)
    if key is None:
        raise SealedWithAnother(path)
    return key


def _sealed_chunks(path: Path, header: Header, data: bytes, body: int,
                   cipher: crypto.Cipher | None) -> list[bytes | Note]:
    """Each sealed line opened, or set aside when it is torn, altered or moved; the
    whole file set aside, as it is, when its header is damaged."""
    try:
        key = cipher_for(path, header, cipher)
    except DamagedHeader as err:
        return [Note(f"{err}\n{data.decode('utf-8', 'replace')}", True)]
    assert key is not None
    out: list[bytes | Note] = []
    for seq, line in enumerate(sealed_lines(data[body:])):
        plain = key.unseal(line, crypto.block_aad(path.stem, seq))
        out.append(plain if plain is not None else Note(Msg.SEALED_BLOCK_UNREADABLE.format(
            number=seq + 1, line=line.decode("ascii", "replace")), True))
    return out


def record(opened: Opened) -> Record:
    """The session an opened file holds; its start time from the file's date when the
    front matter's is damaged."""
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
