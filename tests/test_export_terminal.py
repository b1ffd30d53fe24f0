"""Terminal injection: an answer, a note, a part set aside or a guide name full of escape
sequences, carriage returns and bidi overrides is kept as typed, and never reaches the
terminal raw -- not from `journal show`, `search`, `list` or any export format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from journals import T0, entry, read_copy, write_session
from sessions import REPO, only_session, typed

from assistant.journal import Journal, Note
from assistant.journal.export import markdown
from assistant.journal.parse import aside_shown
from assistant.terminal.printable import printable

HOSTILE = ("title \x1b]0;owned\x07 clear \x1b[2J\x1b[H hidden\rshown NUL\x00 DEL\x7f "
           "C1 \x9b31m \x9d0;x\x9c bidi \u202eevil\u202c \u2066iso\u2069 \u200e\u200f\u061c\n"
           "vt\x0b ff\x0c bs\x08 \x1b[31mred line\n\ttabbed")
SHOWN = ("title \\x1b]0;owned\\x07 clear \\x1b[2J\\x1b[H hidden\\rshown NUL\\x00 DEL\\x7f "
         "C1 \\x9b31m \\x9d0;x\\x9c bidi \\u202eevil\\u202c \\u2066iso\\u2069 "
         "\\u200e\\u200f\\u061c\n"
         "vt\\x0b ff\\x0c bs\\x08 \\x1b[31mred line\n\ttabbed")  # HOSTILE as printed
NOTE, NOTE_SHOWN = "My note \x1b[2J\u202eeton", "My note \\x1b[2J\\u202eeton"
TORN, TORN_SHOWN = "Cut short \x1b]0;torn\x07 by a power loss", "Cut short \\x1b]0;torn\\x07"
GUIDE, GUIDE_SHOWN = "guide-\x1b]2;title\x07\u202e", "guide-\\x1b]2;title\\x07\\u202e"
UNSAFE_CODES = ({*range(0x20)} - {0x09, 0x0A}) | {0x7F, *range(0x80, 0xA0), 0x61C, 0x200E,
                                                  0x200F, *range(0x202A, 0x202F),
                                                  *range(0x2066, 0x206A)}


def reflect(*args: str, input: bytes | None = None) -> bytes:
    """The CLI's stdout as bytes. The `cli` fixture decodes with universal newlines, which
    turns a carriage return printed raw into a newline -- and so would hide one."""
    done = subprocess.run([sys.executable, "-m", "assistant", *args], input=input,
                          capture_output=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_safe(done.stderr)
    return done.stdout


def assert_safe(out: bytes) -> str:
    """No byte below 0x20 but newline and tab, no DEL, no C1 control, no bidi character."""
    text = out.decode("utf-8")  # strict: nothing undecodable either
    assert sorted({f"U+{ord(c):04X}" for c in text if ord(c) in UNSAFE_CODES}) == []
    return text


@pytest.fixture
def hostile(journal: Journal) -> Path:
    """A session of a guide with a hostile name: a hostile answer, then a hostile note of
    the user's own, then a hostile answer cut short by a power loss (set aside)."""
    with journal.start(GUIDE, started=T0) as w:
        w.answer(entry(0, HOSTILE))
        w.answer(entry(1, TORN))
    data = w.path.read_bytes()[:-8]
    heading = "\n## Step 0 — Question 1?".encode()
    w.path.write_bytes(data.replace(heading, f"\n{NOTE}\n".encode() + heading))
    return w.path


def test_show_prints_every_part_escaped(hostile: Path) -> None:
    shown = assert_safe(reflect("journal", "show", "latest"))
    assert f"(21:55, 12 seconds)\n{SHOWN}\n" in shown
    assert f"Your note:\n{NOTE_SHOWN}\n" in shown
    assert f"{TORN_SHOWN} by a p" in shown  # the part set aside
    assert f"Guide: {GUIDE_SHOWN}\n" in shown


def test_search_prints_the_line_escaped_and_splits_only_at_newlines(hostile: Path) -> None:
    found = assert_safe(reflect("journal", "search", "hidden"))
    assert found == f"{hostile.stem}  Question 0?\n    {SHOWN.split(chr(10))[0]}\n"
    assert_safe(reflect("journal", "search", "\x1b]0;"))  # the needle itself is echoed


def test_list_prints_the_guide_name_escaped(hostile: Path) -> None:
    listed = assert_safe(reflect("journal", "list"))
    assert f"{hostile.stem}  {GUIDE_SHOWN}  2026-11-23 21:55" in listed


def test_md_and_txt_exports_show_the_text_escaped_and_md_answers_read_back_whole(
        hostile: Path, tmp_path: Path) -> None:
    md = assert_safe(reflect("journal", "export", "latest", "--format", "md"))
    assert f"\n{NOTE_SHOWN}\n" in md and f"\n{TORN_SHOWN} by a p" in md
    back = read_copy(tmp_path, md.encode(), hostile.stem)  # as Reflect reads a session
    assert (back.entries[0].text, back.entries[0].edited) == (SHOWN, False)
    assert back.blocks[1] == Note(NOTE_SHOWN) and back.guide == GUIDE_SHOWN
    txt = assert_safe(reflect("journal", "export", "latest", "--format", "txt"))
    assert txt == f"[2026-11-23 21:55] Step 0 — Question 0?\n{SHOWN}\n"


# Escaped, its line break falls where the declared length ends: one escape (3 bytes
# longer) before it, two bytes after it.
BREAK_AT_THE_END = "\x1b" + "words " * 5 + "\nno"


@pytest.mark.parametrize("text", [BREAK_AT_THE_END, HOSTILE], ids=["break", "hostile"])
def test_a_part_set_aside_is_still_set_aside_in_the_md_export_wherever_it_was_cut(
        journal: Journal, tmp_path: Path, text: str) -> None:
    """Escaping makes a torn answer's text longer than its comment declares; the md
    export grows that length with it, so read back the part is set aside as it was --
    never a whole answer holding part of the escaped text -- wherever the crash cut it."""
    path = write_session(journal, [entry(0)])
    before = len(path.read_bytes())
    with journal.reopen(path.stem) as w:
        w.answer(entry(1, text))
    full = path.read_bytes()
    for cut in range(before + 1, len(full) - 1):
        record = read_copy(tmp_path, full[:cut], path.stem)
        md = markdown(record)
        assert_safe(md.encode())
        back = read_copy(tmp_path, md.encode(), path.stem)
        assert back.entries == record.entries == [entry(0)], cut
        assert back.set_aside == [aside_shown(t, printable) for t in record.set_aside], cut
        assert [b for b in back.blocks if isinstance(b, Note) and not b.set_aside] == [], cut


def test_json_export_is_safe_to_print_and_reads_back_exactly(hostile: Path) -> None:
    out = reflect("journal", "export", "latest", "--format", "json")
    data = json.loads(assert_safe(out))
    assert data["entries"][0]["text"] == HOSTILE
    assert data["notes"] == [NOTE] and data["guide"] == GUIDE
    assert data["set_aside"][0].startswith("## Step 0 — Question 1?\n<!-- entry ")
    assert TORN[:20] in data["set_aside"][0]


def test_an_answer_typed_into_a_real_session_is_kept_as_typed_and_shown_escaped(
        small_guide: str) -> None:
    reflect("run", "--text", small_guide, input=typed("I did", HOSTILE).encode())
    assert only_session().entries[0].text == HOSTILE
    shown = assert_safe(reflect("journal", "show", "latest"))
    assert f"\n{SHOWN}\n" in shown
    exported = json.loads(assert_safe(reflect("journal", "export", "latest",
                                              "--format", "json")))
    assert exported["entries"][0]["text"] == HOSTILE
