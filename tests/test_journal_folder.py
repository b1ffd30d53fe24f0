"""The journal folder (folder.py): which session an id names, private whatever the umask
and repaired when it is not -- by the one rule the doctor reports by too -- and symbolic
links inside never followed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, write_session
from sessions import REPO

from assistant.cli import doctor
from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal
from assistant.journal.folder import Loose, not_private
from assistant.messages import Msg


def test_session_lookup_by_prefix_and_latest(journal: Journal) -> None:
    a = journal.start("alpha", started=T0).id
    b = journal.start("beta", started=T0 + timedelta(hours=1)).id
    assert journal.read("latest").id == b
    assert journal.resolve("2026-11-23T21-55") == a
    with pytest.raises(ReflectError) as err:
        journal.read("2026-11-23T2")
    assert err.value.msg is Msg.SESSION_AMBIGUOUS and err.value.exit_code == 2
    with pytest.raises(ReflectError) as err:
        journal.read("nope")
    assert err.value.msg is Msg.SESSION_UNKNOWN


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


# --- privacy --------------------------------------------------------------------------


def test_permissions_are_private_whatever_the_umask_and_repaired_on_start(
        tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    old = os.umask(0)
    try:
        path = write_session(Journal(folder), [entry(0)])
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    folder.chmod(0o755)
    path.chmod(0o644)
    repaired = Journal(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(repaired.repaired) == {folder, path}
    assert Journal(folder).repaired == []


def test_the_journal_folders_are_private_with_umask_000(reflect_home: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "assistant", "journal", "list"], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    for folder in (reflect_home / "data", reflect_home / "data" / "journal"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_one_rule_finds_what_is_not_private_for_the_journal_and_the_doctor(
        journal: Journal, tmp_path: Path) -> None:
    """Folder 0700, every file in it 0600 (a session or a copy of one an editor left),
    links left alone: the journal repairs all of it, the doctor reports what others may
    use -- a file only its owner cannot write is the journal's to repair, not a problem."""
    session = write_session(journal, [entry(0)])
    backup = journal.directory / f"{session.name}~"
    backup.write_bytes(session.read_bytes())
    backup.chmod(0o600)
    outside = tmp_path / "elsewhere.md"
    outside.write_text("not the journal's")
    outside.chmod(0o644)
    (journal.directory / "2026-11-24T10-00-00-link.md").symlink_to(outside)
    (journal.directory / "dangling.md").symlink_to(tmp_path / "nothing")
    assert list(not_private(journal.directory)) == [] and doctor.check_journal().ok
    journal.directory.chmod(0o750)
    session.chmod(0o400)
    backup.chmod(0o644)
    assert list(not_private(journal.directory)) == [
        Loose(journal.directory, 0o750, 0o700), Loose(session, 0o400, 0o600),
        Loose(backup, 0o644, 0o600)]
    assert doctor.check_journal().line == Msg.DOCTOR_PROBLEM.format(
        what=Msg.DOCTOR_JOURNAL_OPEN.format(path=journal.directory, what="journal 0750"),
        fix=Msg.DOCTOR_JOURNAL_OPEN_FIX.format(path=journal.directory))
    journal.directory.chmod(0o700)
    assert str(backup.name) in doctor.check_journal().line
    backup.chmod(0o600)
    assert doctor.check_journal().ok  # a 0400 session keeps no one else out: not a problem
    assert Journal(journal.directory).repaired == [session]
    assert list(not_private(journal.directory)) == [] and outside.stat().st_mode & 0o777 == 0o644


def test_symbolic_links_in_the_journal_are_never_followed(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    kept = write_session(Journal(folder), [entry(0)])
    outside = tmp_path / "elsewhere.md"
    outside.write_bytes(kept.read_bytes().replace(b"Answer number 0.", b"Not in the journal"))
    outside.chmod(0o644)
    link = folder / "2026-11-24T10-00-00-link.md"
    link.symlink_to(outside)
    journal = Journal(folder)
    assert outside.stat().st_mode & 0o777 == 0o644 and journal.repaired == []
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [kept.stem]
    assert [e.msg for e in skipped] == [Msg.SESSION_LINK_LEFT_OUT]
    assert str(link) in str(skipped[0]) and "symbolic link" in str(skipped[0])
    assert journal.search("not in the journal") == []
    with pytest.raises(ReflectError) as err:
        journal.read(link.stem)
    assert err.value.msg is Msg.SESSION_UNKNOWN
    assert journal.read("latest").id == kept.stem
    writer = journal.reopen(kept.stem)  # a file swapped for a link meanwhile: not appended to
    kept.rename(tmp_path / "moved.md")
    kept.symlink_to(outside)
    before = outside.read_bytes()
    notice = writer.answer(entry(1))  # but kept in a continuation of the session
    writer.close()
    assert outside.read_bytes() == before and writer.path != kept and str(writer.path) in notice
    assert journal.read(writer.id).entries == [entry(0), entry(1)]
