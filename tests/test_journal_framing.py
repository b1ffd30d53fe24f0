"""What the user types is never read as the journal's framing: answers holding metadata
comments, headings, front-matter lines, carriage returns and NULs round-trip exactly,
plaintext and sealed, whole or with a torn tail after them -- and every export and `show`
gives the text as typed."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from test_journal import T0, entry

from assistant.journal import Entry, Journal, Mark, Note
from assistant.journal.crypto import Cipher
from assistant.journal.export import as_json, jrnl, markdown, readable
from assistant.journal.format import entry_block

WHEN = "2026-11-23T21:55:00+01:00"
PIECES = [
    "<!-- torn -->", f"<!-- end at={WHEN} -->", f"<!-- role value=broke at={WHEN} -->",
    f"<!-- skip step=step-0 prompt=1 at={WHEN} -->",
    f"<!-- entry step=step-9 prompt=0 at={WHEN} ended=typed bytes=3 -->",
    "<!-- entry -->", "<!--", "<!-- ", "-->", "\\<!-- torn -->", "\\\\<!-- end -->", "\\",
    "## Step 0 — Question 0?", "## ", "---", "---\nsession: x\n---", "\r", "\r\n", "\x00",
    "\n", "\n\n", "\n\n\n", " ", "words", "ünïcode —", "\t",
]
ROLE = Mark("role", T0, value="hurt")
END = Mark("end", T0 + timedelta(hours=1))


def adversarial(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))


@pytest.fixture(scope="module")
def cipher() -> Cipher:
    return Cipher.create("framing")


def journal_for(tmp_path: Path, cipher: Cipher | None) -> Journal:
    return Journal(tmp_path / f"journal-{random.randrange(10**9)}", cipher)


def written(journal: Journal, texts: list[str], end: bool) -> tuple[Path, list[Entry]]:
    entries = [entry(n, text) for n, text in enumerate(texts)]
    with journal.start("g", started=T0) as w:
        w.mark(ROLE)
        for e in entries:
            w.answer(e)
        if end:
            w.mark(END)
    return w.path, entries


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_any_typed_text_round_trips_exactly(tmp_path: Path, cipher: Cipher,
                                            sealed: bool) -> None:
    rng = random.Random(7)
    for _ in range(60):
        journal = journal_for(tmp_path, cipher if sealed else None)
        end = rng.random() < 0.5
        path, entries = written(journal, [adversarial(rng) for _ in range(rng.randint(1, 4))],
                                end)
        record = journal.read(path.stem)
        assert record.entries == entries
        assert record.marks == [ROLE, *([END] if end else [])]
        assert record.set_aside == [] and record.finished == end
        assert not [b for b in record.blocks if isinstance(b, Note)]
        assert [e["text"] for e in json.loads(as_json(record))["entries"]] == [
            e.text for e in entries]


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_a_torn_tail_after_any_typed_text_is_set_aside_and_forges_nothing(
        tmp_path: Path, cipher: Cipher, sealed: bool) -> None:
    """The last block cut at any byte: the earlier answers read exactly as typed, nothing
    in them reads as a mark (a typed `end` never finishes the session), and resuming goes on
    without merging anything."""
    rng = random.Random(11)
    for _ in range(40):
        journal = journal_for(tmp_path, cipher if sealed else None)
        texts = [adversarial(rng) for _ in range(rng.randint(1, 3))]
        path, entries = written(journal, texts, end=False)
        whole = path.read_bytes()
        with journal.reopen(path.stem) as w:
            w.answer(entry(7, adversarial(rng) + f"\n<!-- end at={WHEN} -->\n" +
                           adversarial(rng)))
        full = path.read_bytes()
        cut = rng.randrange(len(whole), len(full) - 1)
        path.write_bytes(full[:cut])
        record = journal.read(path.stem)
        assert record.entries == entries, cut
        assert record.marks == [ROLE] and not record.finished, cut
        assert ("step-2", 1) not in record.done
        with journal.reopen(path.stem) as w:
            w.answer(entry(8, "After the cut."))
        resumed = journal.read(path.stem)
        assert resumed.entries == [*entries, entry(8, "After the cut.")], cut
        assert resumed.set_aside == record.set_aside and not resumed.finished


def test_the_issue_repros(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    # a line `<!-- torn -->` in an answer: the answer is whole, not cut short
    path, entries = written(journal, ["before\n<!-- torn -->\nafter"], end=False)
    record = journal.read(path.stem)
    assert record.entries == entries and record.set_aside == []
    assert ("step-0", 0) in record.done
    # a typed end mark, then the answer torn: the session is not finished
    path, _ = written(journal, [f"I typed this:\n<!-- end at={WHEN} -->\nand more"], False)
    path.write_bytes(path.read_bytes()[:-5])
    record = journal.read(path.stem)
    assert not record.finished and record.entries == [] and len(record.set_aside) == 1


def test_text_is_shown_and_exported_as_typed(tmp_path: Path) -> None:
    typed = ("<!-- torn -->\n\\<!-- end -->\n\\\\<!--\n## Not a heading\n---\n"
             "[2026-01-01 10:00] not a jrnl date")
    journal = Journal(tmp_path / "journal")
    path, entries = written(journal, [typed], end=True)
    assert b"\n\\<!-- torn -->\n\\\\<!-- end -->\n\\\\\\<!--\n" in path.read_bytes()
    record = journal.read(path.stem)
    assert record.entries == entries
    assert typed in readable(record)
    assert json.loads(as_json(record))["entries"][0]["text"] == typed
    assert typed.replace("\n[", "\n\\[") in jrnl(record)  # jrnl's own escape only
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / path.name).write_text(markdown(record))
    assert Journal(folder).read(path.stem).entries == entries


def test_old_entries_are_read_as_before(tmp_path: Path) -> None:
    """An entry written before escaping (no `escaped` field) with a backslash before `<!--`
    keeps its backslash; only entries that say they were escaped are unescaped."""
    old = entry(0, "\\<!-- typed long ago")
    block = entry_block(old)
    assert b" escaped=1 " in block
    size = len(old.text.encode())
    legacy = block.replace(b" escaped=1", b"").replace(b"\\\\<!--", b"\\<!--").replace(
        f"bytes={size + 1}".encode(), f"bytes={size}".encode())
    journal = Journal(tmp_path / "journal")
    with journal.start("g", started=T0) as w:
        pass
    w.path.write_bytes(w.path.read_bytes() + legacy)
    assert journal.read(w.id).entries == [old]
