"""A session file's front matter and bytes (header.py): YAML other tools read, the
sealing's fields taken from crypto, and files other programs changed -- Windows line
endings, byte-order marks, UTF-16 -- read as they were written."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from journals import T0, entry, header_of, write_session

from assistant.journal import Journal, Note, crypto
from assistant.journal.crypto import Cipher
from assistant.journal.header import front_matter, split_front_matter

ANSWERS = [entry(0, "Two lines\nof an answer."), entry(1, "One line.")]


@pytest.mark.parametrize("sealed", [False, True])
def test_front_matter_is_yaml_other_tools_can_read(tmp_path: Path, sealed: bool) -> None:
    import yaml

    journal = Journal(tmp_path / "journal", Cipher.create("pw") if sealed else None)
    with journal.start('a "quoted": guide', started=T0) as w:
        w.answer(entry(0))
    front = yaml.safe_load(w.path.read_text().split("---\n")[1])
    assert front["session"] == w.id and front["guide"] == 'a "quoted": guide'
    assert front["started"] == T0 and front["model"] is None
    assert journal.read(w.id).guide == 'a "quoted": guide'


def test_the_sealing_fields_are_the_ones_crypto_names(tmp_path: Path) -> None:
    """The header reader knows crypto's fields only from crypto.HEADER_KEYS, in the order
    crypto writes them; a line of the user's with any other key stays theirs."""
    cipher = Cipher.create("pw")
    assert tuple(cipher.header()) == crypto.HEADER_KEYS
    path = write_session(Journal(tmp_path / "journal", cipher), [entry(0)])
    header = header_of(path)
    assert tuple(header)[4:] == crypto.HEADER_KEYS and crypto.is_sealed(header)
    data = front_matter({**header, "guide": "g"}, other=["kdf-notes: mine", "mood: calm"])
    fields, other, _ = split_front_matter(data)
    assert fields == {**header, "guide": "g"} and other == ["kdf-notes: mine", "mood: calm"]
    record = Journal(path.parent, cipher).read(path.stem)
    assert not [b for b in record.blocks if isinstance(b, Note)]  # no field read as a note


# --- files other programs changed -------------------------------------------------------


def test_windows_line_endings_read_as_written_and_resume_in_place(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    path = write_session(journal, ANSWERS, end=True)
    expected = journal.read(path.stem)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # an editor or a sync tool
    record = journal.read(path.stem)
    assert record.entries == ANSWERS and record.set_aside == [] and record.finished
    assert record.blocks == expected.blocks
    with journal.reopen(path.stem) as w:
        assert w.answer(entry(2)) is None  # appended to the same file
    assert w.path == path and journal.read(path.stem).entries == [*ANSWERS, entry(2)]


def test_a_carriage_return_typed_in_an_answer_is_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    typed = entry(0, "line one\r\nline two\rthree")
    assert journal.read(write_session(journal, [typed]).stem).entries == [typed]


@pytest.mark.parametrize("bom", ["utf-16-le", "utf-16-be", "utf-8-sig"])
def test_files_saved_with_a_byte_order_mark_read_as_written(tmp_path: Path, bom: str) -> None:
    journal = Journal(tmp_path / "journal")
    path = write_session(journal, ANSWERS, end=True)
    text = path.read_text(encoding="utf-8")
    mark = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(bom, b"")
    path.write_bytes(mark + text.encode(bom))
    record = journal.read(path.stem)
    assert record.entries == ANSWERS and record.set_aside == [] and record.finished
