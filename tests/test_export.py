"""What people and other tools get from a session: `journal show`, list and search lines,
and md, json and txt files -- above all, an answer given again after going back reads as
the answer, and the one it replaced is kept but never passes for current."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, read_copy, write_session

from assistant.journal import Journal, Note, Record
from assistant.journal.export import as_json, jrnl, list_line, markdown, readable, search_results

AGAIN = entry(0, "Said again after going back.", at=T0 + timedelta(minutes=9), seconds=4.0)
# jrnl's own entry splitter (jrnl/journals/Journal.py `_parse`): a line starting `[date] `
JRNL_ENTRY_START = re.compile(r"(?:^|\n)\[([^\]]+)\] ")


@pytest.fixture
def again(tmp_path: Path) -> Record:
    """Question 0 answered, then 1, then (after going back) 0 again."""
    journal = Journal(tmp_path / "journal")
    return journal.read(write_session(journal, [entry(0), entry(1), AGAIN], end=True).stem)


def test_show_gives_each_question_once_with_its_answer_then_the_one_replaced(
        again: Record) -> None:
    shown = readable(again)
    assert shown.count("Step 0 — Question 0?") == 1
    assert ("Step 0 — Question 0?\n(22:04, 4 seconds)\nSaid again after going back.\n"
            "Earlier answer (replaced), 21:55, 12 seconds:\nAnswer number 0.\n\n"
            "Step 0 — Question 1?\n") in shown


def test_json_keeps_every_entry_and_flags_the_replaced_one(again: Record) -> None:
    data = json.loads(as_json(again))
    assert [(e["text"], e["replaced"]) for e in data["entries"]] == [
        ("Answer number 0.", True), ("Answer number 1.", False),
        ("Said again after going back.", False)]


def test_md_says_which_entry_was_replaced_and_reads_back_the_same(again: Record,
                                                                  tmp_path: Path) -> None:
    text = markdown(again)
    label = "*Earlier answer (replaced): this question is answered again further down.*"
    assert text.count(label) == 1
    assert text.index(label) < text.index("Answer number 0.") < text.index("Question 1?")
    back = read_copy(tmp_path, text.encode(), again.id)
    assert back.entries == again.entries and back.marks == again.marks
    assert [b for b in back.blocks if isinstance(b, Note)] == [Note(label)]


def test_md_of_a_session_without_answers_given_again_is_the_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "plain")
    path = write_session(journal, [entry(0), entry(1)], end=True)
    assert markdown(journal.read(path.stem)) == path.read_text()


def test_txt_holds_only_the_answers(again: Record) -> None:
    assert jrnl(again) == ("[2026-11-23 22:04] Step 0 — Question 0?\nSaid again after going "
                           "back.\n\n[2026-11-23 21:56] Step 0 — Question 1?\n"
                           "Answer number 1.\n")


def test_txt_answer_lines_never_start_a_jrnl_entry(tmp_path: Path) -> None:
    """jrnl starts an entry at any line `[something it reads as a date] `, and its fallback
    date parser reads plain words too; so every answer line starting `[` is escaped, in a
    way jrnl's stripping of the body on saving keeps (checked with jrnl 4.6 itself)."""
    text = ("[2026-11-23 21:55] a line that looks like an entry\n[today] so does this\n"
            "[ ] and a box\n  [indented] stays as it was\nin [the middle] too")
    journal = Journal(tmp_path / "journal")
    record = journal.read(write_session(journal, [entry(0, text), entry(1)]).stem)
    out = jrnl(record)
    assert [m.group(1) for m in JRNL_ENTRY_START.finditer(out)] == [
        "2026-11-23 21:55", "2026-11-23 21:56"]
    assert ("\\[2026-11-23 21:55] a line that looks like an entry\n\\[today] so does this\n"
            "\\[ ] and a box\n  [indented] stays as it was\nin [the middle] too\n") in out


def test_list_line_counts_answers_not_entries(again: Record) -> None:
    assert list_line(again) == (f"{again.id}  rebuilding-trust  2026-11-23 21:55  2 answers  "
                                "finished")


def test_search_marks_an_answer_that_was_replaced(again: Record) -> None:
    hits = [(again, e) for e in again.entries if "ANSWER".casefold() in e.text.casefold()]
    assert search_results(hits, "ANSWER") == (
        f"{again.id}  Question 0? (earlier answer, replaced)\n    Answer number 0.\n"
        f"{again.id}  Question 1?\n    Answer number 1.\n")
    assert search_results([], "zebra") == 'No answer contains "zebra".\n'
