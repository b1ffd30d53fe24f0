"""Files other programs left in the journal: Windows line endings, UTF-16, empty files and
files that are no session at all -- read as well as can be, or left out and named, and
never in the way of the user's real sessions. Also: an empty id names nothing, and the
folders Reflect makes are private whatever the umask."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from test_journal import T0, entry, write_session

from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal
from assistant.messages import Msg

REPO = Path(__file__).resolve().parent.parent
ANSWERS = [entry(0, "Two lines\nof an answer."), entry(1, "One line.")]


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


NOT_SESSIONS = {"empty": b"", "plain-notes": b"Some notes of mine.\n",
                "no-guide": b"---\nmood: calm\n---\nText.\n"}


def damaged_newer_files(journal: Journal) -> list[Path]:
    """Files newer than every real session that are not sessions."""
    made = []
    for n, data in enumerate(NOT_SESSIONS.values()):
        made.append(journal.directory / f"2026-12-0{n + 1}T10-00-00-{n}.md")
        made[-1].write_bytes(data)
        made[-1].chmod(0o600)
    return made


def test_files_that_are_not_sessions_are_left_out_and_named(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    real = write_session(journal, [entry(0, "Findable words.")])
    others = damaged_newer_files(journal)
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [real.stem]
    assert [str(e) for e in skipped] == [Msg.NOT_A_SESSION_LEFT_OUT.format(path=p)
                                         for p in others]
    latest = journal.latest_unfinished()
    assert latest is not None and latest.id == real.stem
    found: list[ReflectError] = []
    assert [r.id for r, _ in journal.search("findable", found)] == [real.stem]
    assert len(found) == len(others)
    assert journal.read("latest").id == real.stem
    for path in others:
        with pytest.raises(ReflectError) as err:
            journal.read(path.stem)
        assert str(err.value) == Msg.NOT_A_SESSION.format(path=path)
        with pytest.raises(ReflectError):
            journal.reopen(path.stem)
    assert [p.read_bytes() for p in others] == list(NOT_SESSIONS.values())  # left as they are


def test_resume_reaches_the_real_session_past_damaged_newer_files(cli, small_guide: str) -> None:
    started = cli("run", "--text", small_guide, input=typed_answers("hurt", "one") + "stop\n")
    assert started.returncode == 0, started.stderr
    journal = Journal(paths().journal_dir)
    (real,) = journal.sessions()
    others = damaged_newer_files(journal)
    done = cli("resume", "--text", input=typed_answers("two", "three", "four"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [Msg.NOT_A_SESSION_LEFT_OUT.format(path=p)
                                        for p in others]
    record = journal.read(real.id)
    assert record.finished and [e.text for e in record.entries] == ["one", "two", "three",
                                                                    "four"]
    listed = cli("journal", "list")
    assert listed.returncode == 0 and real.id in listed.stdout
    assert len(listed.stderr.splitlines()) == len(others)


def typed_answers(*answers: str) -> str:
    return "".join(f"{a}\n\n" for a in answers)


# --- an empty session id -------------------------------------------------------------


def test_an_empty_id_names_no_session(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    path = write_session(journal, [entry(0)])
    for spec in ("", " ", "\t\n"):
        for act in (journal.read, journal.delete, journal.reopen, journal.resolve):
            with pytest.raises(ReflectError) as err:
                act(spec)
            assert err.value.msg is Msg.SESSION_ID_EMPTY and err.value.exit_code == 2
    assert path.exists()


@pytest.mark.parametrize("args", [["journal", "delete", "--yes", ""],
                                  ["journal", "show", ""], ["journal", "export", " "],
                                  ["journal", "delete", "--yes", "  "],
                                  ["resume", "--text", " "]])
def test_an_empty_id_does_nothing_and_says_so(cli, args: list[str]) -> None:
    journal = Journal(paths().journal_dir)
    write_session(journal, [entry(0)])
    with journal.start("g", started=T0 + timedelta(days=1)) as w:
        w.answer(entry(1))
    before = {p.name: p.read_bytes() for p in journal.directory.iterdir()}
    done = cli(*args, input="")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == Msg.SESSION_ID_EMPTY.format()
    assert {p.name: p.read_bytes() for p in journal.directory.iterdir()} == before


# --- private folders -----------------------------------------------------------------


def test_the_journal_folders_are_private_with_umask_000(reflect_home: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "assistant", "journal", "list"], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    for folder in (reflect_home / "data", reflect_home / "data" / "journal"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
