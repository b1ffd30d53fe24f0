"""`reflect journal ...` end to end, as a user runs it: real subprocesses, real files, and a
real pseudo-terminal where the command asks a question."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from journals import PASS, T0, entry, on_tty, write_session
from sessions import REPO

from assistant.config import paths
from assistant.journal import Journal, Mark


@pytest.fixture
def two(journal: Journal) -> tuple[Path, Path]:
    """A finished session with a note, and an unfinished one with a torn last block."""
    first = write_session(journal, [entry(0, "The Silence hurt.\nIt still does."), entry(1)],
                          end=True)
    first.write_text(first.read_text().replace("\n## Step 0 — Question 1?",
                                               "\nMy own note.\n\n## Step 0 — Question 1?"))
    with journal.start("other-guide", started=T0.replace(day=24)) as w:
        w.answer(entry(2, "Nothing about that word."))
        w.answer(entry(3, "Cut short by a power loss"))
    second = w.path
    second.write_bytes(second.read_bytes()[:-10])
    return first, second


def snapshot() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(paths().journal_dir.glob("*"))}


# --- list, show, search ---------------------------------------------------------------


def test_list_on_an_empty_journal_says_so(cli) -> None:
    done = cli("journal", "list")
    assert done.returncode == 0 and "no sessions" in done.stdout


def test_list_shows_id_guide_date_answers_and_state(cli, two) -> None:
    done = cli("journal", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{two[0].stem}  rebuilding-trust  2026-11-23 21:55  2 answers  finished",
        f"{two[1].stem}  other-guide  2026-11-24 21:55  1 answer  not finished, "
        "1 part(s) set aside",
    ]


def test_show_prints_plain_readable_text_with_notes_and_what_was_set_aside(cli, two) -> None:
    done = cli("journal", "show", "2026-11-23")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"Session {two[0].stem}\nGuide: rebuilding-trust\n")
    assert "Step 0 — Question 0?\n(21:55, 12 seconds)\nThe Silence hurt.\nIt still does.\n" in out
    assert "Your note:\nMy own note.\n" in out and "(Role chosen: hurt)" in out
    assert "<!--" not in out  # no machine metadata in what people read
    torn = cli("journal", "show", "latest")
    assert "Nothing about that word." in torn.stdout
    assert "Set aside" in torn.stdout and "Cut short by a p\n" in torn.stdout
    assert "not finished (reflect resume" in torn.stdout


def test_show_unknown_or_ambiguous_session_is_one_sentence(cli, two) -> None:
    for spec, words in (("nope", "no session called"), ("2026-11-2", "could mean")):
        done = cli("journal", "show", spec)
        assert done.returncode == 2 and words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_search_ignores_case_and_prints_session_question_and_line(cli, two) -> None:
    done = cli("journal", "search", "silence")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{two[0].stem}  Question 0?\n    The Silence hurt.\n"
    none = cli("journal", "search", "zebra")
    assert none.returncode == 0 and none.stdout.strip() == 'No answer contains "zebra".'



def test_an_unreadable_session_stops_nothing_else(cli, two) -> None:
    """As after `sudo reflect run`: a session file another user owns. Root reads any file,
    so the commands run here without the capabilities that let it."""
    if os.geteuid() != 0:
        pytest.fail("this test gives a file to another user, which needs root")
    os.chown(two[1], 65534, 65534)  # nobody's, private
    no_override = "-dac_override,-dac_read_search"

    def unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["setpriv", "--bounding-set", no_override, "--inh-caps",
                               no_override, sys.executable, "-m", "assistant", *args],
                              capture_output=True, text=True, cwd=REPO, timeout=120)

    listed = unprivileged("journal", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{two[0].stem}  rebuilding-trust  2026-11-23 21:55  2 answers  finished"]
    assert listed.stderr.startswith(f"Left out {two[1]}, which cannot be read")
    assert two[0].stem in unprivileged("journal", "search", "silence").stdout
    shown = unprivileged("journal", "show", two[1].stem)
    assert shown.returncode == 1 and shown.stdout == ""
    assert shown.stderr.strip() == (
        f"Cannot read the session file {two[1]} (permission denied); if another user owns "
        f"it (after running Reflect with sudo, say), give it back with `sudo chown $USER "
        f"{two[1]}`.")


# --- export -----------------------------------------------------------------------------


def test_export_md_is_the_session_file(cli, two) -> None:
    done = cli("journal", "export", two[0].stem, "--format", "md")
    assert done.stdout == two[0].read_text()


def test_export_json_holds_every_field(cli, two) -> None:
    data = json.loads(cli("journal", "export", two[0].stem, "--format", "json").stdout)
    assert data["session"] == two[0].stem and data["finished"] and data["role"] == "hurt"
    assert data["entries"][0] == {
        "step": "step-0", "prompt": 0, "title": "Step 0", "question": "Question 0?",
        "text": "The Silence hurt.\nIt still does.", "at": "2026-11-23T21:55:00+01:00",
        "seconds": 12.5, "ended": "silence", "confidence": 0.87, "edited": False,
        "replaced": False, "words": []}
    assert data["notes"] == ["My own note."]


def test_export_txt_follows_jrnl_and_files_are_private(cli, two, tmp_path: Path) -> None:
    out = tmp_path / "export.txt"
    out.write_text("old")
    out.chmod(0o644)
    done = cli("journal", "export", two[0].stem, "--format", "txt", "-o", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert out.read_text() == ("[2026-11-23 21:55] Step 0 — Question 0?\nThe Silence hurt.\n"
                               "It still does.\n\n[2026-11-23 21:56] Step 0 — Question 1?\n"
                               "Answer number 1.\n")
    assert out.stat().st_mode & 0o777 == 0o600
    bad = cli("journal", "export", two[0].stem, "-o", str(tmp_path / "no" / "dir" / "x.md"))
    assert bad.returncode == 2 and "Could not write" in bad.stderr


# --- delete -----------------------------------------------------------------------------


def test_delete_with_yes(cli, two) -> None:
    done = cli("journal", "delete", two[0].stem, "--yes")
    assert done.returncode == 0 and not two[0].exists() and two[1].exists()


def test_delete_without_a_terminal_refuses(cli, two) -> None:
    done = cli("journal", "delete", "latest")
    assert done.returncode == 2 and "--yes" in done.stderr and two[1].exists()


def test_delete_asks_on_a_terminal(two) -> None:
    code, out = on_tty(["journal", "delete", "2026-11-23"],
                       [(f"Delete session {two[0].stem} with 2 answers? [y/N]", "n")])
    assert code == 1 and "Nothing was deleted." in out and two[0].exists()
    code, out = on_tty(["journal", "delete", "2026-11-23"], [("[y/N]", "y")])
    assert code == 0 and f"Deleted session {two[0].stem}." in out and not two[0].exists()


# --- encryption -------------------------------------------------------------------------


def test_encrypt_then_every_command_needs_the_passphrase(cli, two) -> None:
    done = cli("journal", "encrypt", env=PASS)
    assert done.returncode == 0, done.stderr
    assert "Encrypted 2 session(s)" in done.stdout
    assert all(b"Silence" not in data for data in snapshot().values())
    listed = cli("journal", "list", env=PASS)
    assert "2 answers  finished, encrypted" in listed.stdout
    out = paths().data_dir / "plain-copy.md"
    exported = cli("journal", "export", "2026-11-23", "-o", str(out), env=PASS)
    assert "is not encrypted" in exported.stdout and "The Silence hurt." in out.read_text()
    out.unlink()
    assert "The Silence hurt." in cli("journal", "show", "2026-11-23", env=PASS).stdout
    assert two[0].stem in cli("journal", "search", "SILENCE", env=PASS).stdout
    before = snapshot()
    for args in (["list"], ["show", "latest"], ["search", "x"], ["encrypt"],
                 ["delete", "latest", "--yes"]):
        wrong = cli("journal", *args, env={"REFLECT_PASSPHRASE": "not it"})
        assert wrong.returncode == 2, args
        assert wrong.stderr.strip() == ("That passphrase does not open your journal, so "
                                        "nothing was read or changed; try again with the "
                                        "passphrase you chose when you turned encryption on.")
        missing = cli("journal", *args)
        assert missing.returncode == 2 and "REFLECT_PASSPHRASE" in missing.stderr
        assert snapshot() == before  # byte for byte


def test_new_sessions_in_an_encrypted_journal_stay_encrypted(cli, journal: Journal) -> None:
    write_session(journal, [entry(0)])
    assert cli("journal", "encrypt", env=PASS).returncode == 0
    from assistant.journal import open_journal

    os.environ.update(PASS)
    try:
        unlocked = open_journal()
    finally:
        del os.environ["REFLECT_PASSPHRASE"]
    with unlocked.start("g") as w:
        w.answer(entry(1, "Sealed-too"))
        w.mark(Mark("end", T0))
    assert b"Sealed-too" not in w.path.read_bytes()
    assert "Sealed-too" in cli("journal", "show", "latest", env=PASS).stdout


def test_encrypt_on_a_terminal_asks_twice(two) -> None:
    before = snapshot()
    code, out = on_tty(["journal", "encrypt"], [("Choose a passphrase", "one"),
                                                ("same passphrase again", "two")])
    assert code == 2 and "The two passphrases differ" in out and snapshot() == before
    code, out = on_tty(["journal", "encrypt"], [("Choose a passphrase", "same"),
                                                ("same passphrase again", "same")])
    assert code == 0 and "Encrypted 2 session(s)" in out, out
    assert "same" not in out.replace("<asked>", "")  # typed without echo
    code, out = on_tty(["journal", "show", "2026-11-23"], [("Passphrase for your journal", "same")])
    assert code == 0 and "The Silence hurt." in out


def test_permissions_are_repaired_with_a_notice(cli, two) -> None:
    two[0].chmod(0o644)
    done = cli("journal", "list")
    assert "private again" in done.stderr and two[0].stat().st_mode & 0o777 == 0o600


def test_a_damaged_encrypted_header_locks_out_nothing_else(cli, two) -> None:
    assert cli("journal", "encrypt", env=PASS).returncode == 0
    newest = two[1]
    text = newest.read_text()
    newest.write_text(text.replace("\nsalt: ", "\nsalt: broken", 1))
    listed = cli("journal", "list", env=PASS)
    assert listed.returncode == 0, listed.stderr
    assert f"{newest.stem}  other-guide  2026-11-24 21:55  0 answers  not finished, " \
           "encrypted, 1 part(s) set aside" in listed.stdout
    assert "The Silence hurt." in cli("journal", "show", "2026-11-23", env=PASS).stdout
    shown = cli("journal", "show", newest.stem, env=PASS)
    assert "encryption header of session" in shown.stdout and "broken" in shown.stdout
