"""`journal export -o FILE`: never overwrites a file without --force, never follows a link
(a link there is refused, or with --force replaced itself), always leaves a 0600 file, and
a folder that is missing or cannot be written is one sentence -- with nothing written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from journals import entry, write_session
from sessions import REPO

from assistant.journal import Journal

EXPORTED = "[2026-11-23 21:55] Step 0 — Question 0?\nAnswer number 0.\n"


@pytest.fixture
def session(journal: Journal) -> str:
    return write_session(journal, [entry(0)], end=True).stem


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Someone else's file, readable by all, that a link may point to."""
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_text("not yours to change")
    target.chmod(0o644)
    return target


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def export(cli, session: str, out: Path, *more: str):
    return cli("journal", "export", session, "--format", "txt", "-o", str(out), *more)


def assert_refused(done, sentence: str) -> None:
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == sentence


def test_a_new_file_is_written_private(cli, session: str, tmp_path: Path) -> None:
    out = tmp_path / "new.txt"
    done = export(cli, session, out)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == EXPORTED and mode(out) == 0o600
    assert done.stdout == f"Wrote session {session} to {out}.\n"


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(
        cli, session: str, tmp_path: Path) -> None:
    out = tmp_path / "old.txt"
    out.write_text("old")
    out.chmod(0o644)
    assert_refused(export(cli, session, out),
                   f"{out} already exists, so nothing was written; choose another file "
                   "with -o, or add --force to replace it.")
    assert out.read_text() == "old" and mode(out) == 0o644
    assert export(cli, session, out, "--force").returncode == 0
    assert out.read_text() == EXPORTED and mode(out) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt", "reflect-home"]


def test_a_link_is_never_followed(cli, session: str, tmp_path: Path, outside: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    assert_refused(export(cli, session, link),
                   f"{link} already exists, so nothing was written; choose another file "
                   "with -o, or add --force to replace it.")
    assert link.is_symlink()
    assert export(cli, session, link, "--force").returncode == 0
    assert not link.is_symlink() and link.read_text() == EXPORTED and mode(link) == 0o600
    assert outside.read_text() == "not yours to change" and mode(outside) == 0o644


def test_a_dangling_link_is_refused_too_and_nothing_is_made_where_it_points(
        cli, session: str, tmp_path: Path) -> None:
    link, target = tmp_path / "dangling.txt", tmp_path / "would-be-made.txt"
    link.symlink_to(target)
    assert export(cli, session, link).returncode == 2
    assert link.is_symlink() and not target.exists()
    assert export(cli, session, link, "--force").returncode == 0
    assert not link.is_symlink() and link.read_text() == EXPORTED and not target.exists()


def test_a_missing_folder_is_one_sentence(cli, session: str, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "x.txt"
    assert_refused(export(cli, session, out),
                   f"Could not write {out} because the folder {out.parent} does not exist; "
                   "choose another file with -o.")
    assert not (tmp_path / "no").exists()


def test_a_folder_that_cannot_be_written_is_one_sentence(session: str, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    out = folder / "x.txt"
    # root writes anywhere; without these capabilities the folder's mode decides, as for users
    drop = ["setpriv", "--bounding-set", "-dac_override", "--inh-caps", "-dac_override"]
    done = subprocess.run([*(drop if os.geteuid() == 0 else []), sys.executable, "-m",
                           "assistant", "journal", "export", session, "-o", str(out)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert_refused(done, f"Could not write {out} because the folder {folder} cannot be "
                         "written to; choose another file with -o.")
    assert list(folder.iterdir()) == []


def test_a_folder_in_the_files_place_is_one_sentence(cli, session: str, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert export(cli, session, folder).returncode == 2
    assert_refused(export(cli, session, folder, "--force"),
                   f"Could not write {folder} because it is a folder; choose another file "
                   "with -o.")
    assert list(folder.iterdir()) == []
