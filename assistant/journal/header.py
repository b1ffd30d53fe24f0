"""A session file's front matter, and its bytes as Reflect writes them.

The front matter is YAML other tools can read: `key: value` lines between two `---` lines,
each value plain when that is safe and JSON-quoted otherwise. Reflect's own keys are the
session's (SESSION_KEYS, OPTIONAL_KEYS) and those crypto writes into a sealed file
(crypto.HEADER_KEYS, taken from there); every other line is the user's, kept as it was
and shown as a note. A file is a session only if its front matter names its guide
(`is_session`).

Files changed by other programs are read too: front matter with Windows line endings is
read with `\\n` ones, and a UTF-16 file (with its byte-order mark) is decoded.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from assistant.journal.crypto import HEADER_KEYS as SEALING_KEYS

Header = dict[str, str | None]  # front-matter fields by key
SESSION_KEYS = ("session", "guide", "started", "model")  # always written
OPTIONAL_KEYS = ("guide-file", "guide-digest", "continues")  # written when they have a value
_KNOWN = frozenset(SESSION_KEYS + OPTIONAL_KEYS + SEALING_KEYS)
_PLAIN_SCALAR = re.compile(r"[A-Za-z0-9][\w.+/:-]*")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def when(at: datetime) -> str:
    """A time as the journal writes it: ISO 8601 to the second, with its UTC offset."""
    return (at if at.tzinfo else at.astimezone()).isoformat(timespec="seconds")


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


def session_fields(values: Mapping[str, str | None]) -> Header:
    """A session's own front-matter fields, in the order they are written: the four that
    every file has, then the optional ones that have a value (never the sealing's)."""
    fields = {key: values.get(key) for key in SESSION_KEYS}
    return fields | {key: values[key] for key in OPTIONAL_KEYS if values.get(key)}


def front_matter(fields: Mapping[str, str | None], comments: tuple[str, ...] = (),
                 other: Iterable[str] = ()) -> bytes:
    """The front matter; `other`: lines the user added to it, kept as they were."""
    lines = ["---", *(f"# {c}" for c in comments)]
    lines += [f"{k}: {_scalar(v)}".rstrip() for k, v in fields.items()]
    return ("\n".join([*lines, *other, "---"]) + "\n").encode()


def split_front_matter(data: bytes) -> tuple[Header, list[str], int]:
    """(known fields, other front-matter lines, offset of the body). Tolerates damage."""
    if not data.startswith(b"---\n"):
        return {}, [], 0
    end = data.find(b"\n---\n", 3)
    if end < 0:
        return {}, [], 0
    fields: Header = {}
    other: list[str] = []
    for line in data[4:end].decode("utf-8", "replace").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key in _KNOWN:
            fields[key] = _unscalar(value)
        elif line.strip() and not line.startswith("#"):
            other.append(line)
    return fields, other, end + 5


def is_session(header: Mapping[str, str | None]) -> bool:
    """Whether front matter is a Reflect session's: it names the guide (Reflect always
    writes it; a file without it cannot be resumed or told apart from any other file)."""
    return bool(header.get("guide"))


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
