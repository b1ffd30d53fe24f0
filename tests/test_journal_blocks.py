"""The blocks of a session file (blocks.py, parse.py) and their promises: nothing lost,
nothing merged, never a crash on a damaged file -- a block cut short at any byte is set
aside, a block edited by hand is kept -- and what the user types is never read as
framing: answers holding metadata comments, headings, front-matter lines, carriage returns
and NULs round-trip exactly, plaintext and sealed, whole or with a torn tail after them."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, read_copy, write_session

from assistant.errors import ReflectError
from assistant.journal import Entry, Journal, Mark, Note, render_markdown
from assistant.journal.blocks import entry_block, render_block
from assistant.journal.crypto import Cipher
from assistant.journal.export import as_json, jrnl, markdown, readable
from assistant.journal.header import split_front_matter
from assistant.journal.parse import parse_body
from assistant.messages import Msg

# --- torn and damaged files ----------------------------------------------------------


def test_a_block_cut_at_any_byte_is_set_aside_and_earlier_entries_stay(
        journal: Journal, tmp_path: Path) -> None:
    earlier = [entry(0), entry(1)]
    path = write_session(journal, earlier)
    before = path.read_bytes()
    with journal.reopen(path.stem) as w:
        w.answer(entry(2, "Last answer, with ünïcode — cut anywhere"))
    full = path.read_bytes()
    for cut in range(len(before), len(full) + 1):
        data = full[:cut]
        record = read_copy(tmp_path, data)
        complete = cut >= len(full) - 1  # only the final newline missing: nothing lost
        assert record.entries == earlier + [entry(2, "Last answer, with ünïcode — cut "
                                                     "anywhere")] * complete, cut
        visible = data[len(before):].strip()
        assert bool(record.set_aside) == (bool(visible) and not complete), cut
        if record.set_aside:  # kept as it is on disk
            assert record.set_aside[0] in data.decode("utf-8", "replace")
        assert (record.path).read_bytes() == data  # reading never modifies the file
        copy = Journal(record.path.parent)  # resuming after the cut: nothing merged
        with copy.reopen(record.id) as w:
            w.answer(entry(3))
        resumed = copy.read(record.id)
        assert resumed.entries == [*record.entries, entry(3)], cut
        assert resumed.set_aside == record.set_aside, cut


def test_a_torn_mark_is_set_aside(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0)], end=True)
    data = path.read_bytes()
    record = read_copy(tmp_path, data[:-12])
    assert record.entries == [entry(0)] and not record.finished
    assert record.set_aside and record.set_aside[0].startswith("<!-- end")


def test_appending_after_a_torn_block_never_merges_it(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0), entry(1)])
    path.write_bytes(path.read_bytes()[:-9])  # power cut in the middle of the last answer
    record = journal.read(path.stem)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    with journal.reopen(path.stem) as w:
        w.answer(entry(1, "Said again after resuming."))
        w.answer(entry(2))
    again = journal.read(path.stem)
    assert again.entries == [entry(0), entry(1, "Said again after resuming."), entry(2)]
    assert again.set_aside == record.set_aside
    assert "<!-- torn -->" in path.read_text()  # what keeps it set aside with blocks after it
    assert read_copy(tmp_path, render_markdown(again)).blocks == again.blocks  # md export
    journal.cipher = Cipher.create("pw")
    assert journal.encrypt_all() == (1, 0)
    assert journal.read(path.stem).blocks == again.blocks


def _cut(block: bytes, short: int) -> str:
    """An entry block as a crash leaves it, `short` bytes of its text missing."""
    return block.lstrip(b"\n")[:-short - 1].decode().rstrip("\n")


@pytest.mark.parametrize("part", [
    "[sealed block 2 cannot be opened: it was cut short, altered or moved] AAAA",
    "## Tor", _cut(entry_block(entry(1, "Cut one byte short")), 1),
    _cut(entry_block(entry(1, "Cut short\nover lines")), 7)],
    ids=["sentence", "heading", "one-byte-short", "lines"])
def test_a_torn_mark_sets_aside_the_part_right_before_it(tmp_path: Path, part: str) -> None:
    """A part set aside, written out again (an md export, render_markdown), reads back
    set aside whatever it holds -- words of a sentence, or an entry whose declared length
    the text after it happens to match -- and nothing around it changes."""
    blocks = [Mark("role", T0, value="hurt"), entry(0), Note(part, True), Note("Mine."),
              entry(2)]
    data = b"".join(render_block(b) for b in blocks)
    assert [b for _, b in parse_body(data)] == blocks
    record = read_copy(tmp_path, b"---\nguide: g\n---\n" + data)
    assert read_copy(tmp_path, render_markdown(record), record.id).blocks == record.blocks


def test_hand_edits_are_kept_readable(journal: Journal) -> None:
    path = write_session(journal, [entry(0), entry(1), entry(2)], end=True)
    text = path.read_text()
    text = text.replace("Answer number 0.", "Answer number 0, and what I added later.")
    text = text.replace("\n## Step 0 — Question 2?", "\nMy own note, written by hand.\n"
                        "\nA second paragraph of it.\n\n## Step 0 — Question 2?")
    text = text.replace("model: vosk-model-small-en-us-0.15\n",
                        "model: vosk-model-small-en-us-0.15\nmood: calm\n")
    path.write_text(text)
    record = journal.read(path.stem)
    assert record.entries[0] == entry(0, "Answer number 0, and what I added later.",
                                      edited=True)
    assert record.entries[1:] == [entry(1), entry(2)]
    notes = [b.text for b in record.blocks if isinstance(b, Note) and not b.set_aside]
    assert notes == ["mood: calm", "My own note, written by hand.", "A second paragraph of it."]
    assert record.finished and record.set_aside == []
    shown = readable(record)
    assert "My own note, written by hand." in shown and "edited by hand" in shown


def test_a_shortened_text_is_kept_unless_it_could_be_a_power_cut(journal: Journal) -> None:
    path = write_session(journal, [entry(0), entry(1)], end=True)
    path.write_text(path.read_text().replace("Answer number 0.", "Short.")
                    .replace("Answer number 1.", "Also short."))
    record = journal.read(path.stem)
    assert record.entries == [entry(0, "Short.", edited=True), entry(1, "Also short.",
                                                                     edited=True)]
    assert record.finished and record.set_aside == []
    # the very last thing in the file, shorter than declared: a power cut looks the same,
    # so it is set aside -- still shown, never deleted, and asked again on resume
    unfinished = write_session(journal, [entry(0), entry(1)])
    unfinished.write_text(unfinished.read_text().replace("Answer number 1.", "Short."))
    record = journal.read(unfinished.stem)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    assert "Short." in record.set_aside[0] and "Short." in readable(record)
    assert ("step-0", 1) not in record.done


def test_damaged_metadata_and_junk_never_crash(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0), entry(1)], end=True)
    data = path.read_bytes()
    broken = data.replace(b"at=2026-11-23T21:56:00+01:00", b"at=yesterday", 1)
    record = read_copy(tmp_path, broken)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    read_copy(tmp_path, data.replace(b"bytes=", b"bytes=abc"))  # must not raise
    for junk in (b"", b"\x00\xff\xfe garbage", b"---\nguide: x\n", b"no front matter\n",
                 data[:40], b"<!-- end -->\n"):  # no front matter naming a guide: no session
        with pytest.raises(ReflectError) as err:
            read_copy(tmp_path, junk)
        assert err.value.msg is Msg.NOT_A_SESSION


def test_random_damage_never_crashes_and_never_loses_the_file(
        journal: Journal, tmp_path: Path) -> None:
    data = write_session(journal, [entry(n) for n in range(6)], end=True).read_bytes()
    rng = random.Random(4)
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(damaged))
            choice = rng.random()
            if choice < 0.4:
                damaged[at] = rng.randrange(256)
            elif choice < 0.7:
                del damaged[at:at + rng.randint(1, 40)]
            else:
                damaged[at:at] = rng.choice([b"\n", b"-->", b"<!-- entry ", b"## ", b"\xc3"])
        header = split_front_matter(bytes(damaged))[0]
        if not header.get("guide"):  # the front matter itself is broken: one sentence
            with pytest.raises(ReflectError) as err:
                read_copy(tmp_path, bytes(damaged))
            assert err.value.msg is Msg.NOT_A_SESSION
            continue
        record = read_copy(tmp_path, bytes(damaged))
        readable(record)
        kept = sum(len(e.text) for e in record.entries) + sum(
            len(b.text) for b in record.blocks if isinstance(b, Note))
        assert kept > 0


# --- typed text is never framing ------------------------------------------------


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
