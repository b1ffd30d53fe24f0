"""`printable`: what a terminal would obey is shown escaped, everything else is left as
it is -- above all the user's own language, newlines and tabs."""

from __future__ import annotations

import pytest

from assistant.terminal.printable import printable

C0 = [c for c in map(chr, range(0x20)) if c not in "\t\n"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F,
                         0x61C)]


@pytest.mark.parametrize("char", [*C0, "\x7f", *C1, *BIDI, "\udc9b"])
def test_each_character_a_terminal_obeys_is_shown_as_its_escape(char: str) -> None:
    code = ord(char)
    escape = ("\\r" if char == "\r" else f"\\x{code:02x}" if code < 0x100
              else f"\\u{code:04x}")
    assert printable(f"a{char}b") == f"a{escape}b"


def test_sequences_become_visible_text_that_does_nothing() -> None:
    assert printable("\x1b]0;owned\x07 \x1b[2J hidden\rshown \u202eevil\u202c") == (
        "\\x1b]0;owned\\x07 \\x1b[2J hidden\\rshown \\u202eevil\\u202c")


def test_ordinary_text_in_any_language_is_unchanged() -> None:
    text = ("Line one\n\tindented — ünïcode, 한국어 답변, مرحبا, emoji 👩‍👧 (a joiner), "
            "a\u00a0no-break space, \\x1b typed as text\n")
    assert printable(text) == text
