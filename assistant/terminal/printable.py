"""Text that is safe to print to a terminal, whatever the user typed, pasted or said.

A terminal obeys the characters it is sent: ESC starts a sequence that can retitle the
window, clear the screen or move the cursor (OSC, CSI), a carriage return lets the rest of
a line print over what came before it, BEL rings, and a bidi override or isolate reorders
the text after it, so what is shown is not what is there. The journal keeps what the user
typed, exactly; only what is printed is changed, each such character shown as an escape
(`\\x1b`, `\\r`, `\\u202e`), so it is visible and does nothing. Newlines and tabs stay.

The characters: the C0 controls but tab and newline, DEL, the C1 controls (U+0080 to
U+009F, which some terminals obey like ESC sequences), the bidi embeddings, overrides and
isolates (U+202A to U+202E, U+2066 to U+2069) and the invisible bidi marks (U+200E, U+200F,
U+061C), which change how the text around them is ordered; and lone surrogates, which
cannot be printed at all (what Python makes of undecodable input bytes).
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                    "\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    """Python's own escape for the character (`\\r`, `\\x1b`, `\\u202e`): each of these is
    one Python does not print, so `repr` escapes it."""
    return repr(match.group())[1:-1]


def printable(text: str) -> str:
    """`text` with every character a terminal would obey shown as its escape instead."""
    return UNSAFE.sub(_escape, text)
