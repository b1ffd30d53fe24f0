"""The whole-journal rewrites (rewrite.py, sealed.py): `journal encrypt` seals every
plaintext session whole, without a plaintext byte written and without losing anything,
a torn tail included; sessions sealed with different passphrases in one journal (one
copied in from another home) each open with their own, the others are named and the rest
goes on; `journal passphrase` gives them one, crash-safely, even when killed half-way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, header_of, on_tty, write_session
from sessions import QUESTIONS, REPO, SAVED, Live, answered_up_to, typed

from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal, Mark, open_journal, render_markdown
from assistant.journal.crypto import Cipher, Keyring
from assistant.messages import Msg

SECRET = "Unmistakable-secret-words"
OLD, NEW = "the passphrase of long ago", "a better passphrase now"


@pytest.fixture(scope="module")
def cipher() -> Cipher:
    return Cipher.create("correct horse battery staple")


# --- journal encrypt -----------------------------------------------------------------


def test_nothing_in_plain_text_is_ever_written(cipher: Cipher, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = Journal(tmp_path / "journal", cipher)
    """Spy on every write of the process: the plaintext never reaches a file, not even a
    temporary one -- for a sealed session and for converting a plaintext one."""
    plain = Journal(tmp_path / "plain")
    write_session(plain, [entry(0, f"{SECRET} converted")])
    written: list[bytes] = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, b: written.append(bytes(b)) or real(fd, b))
    write_session(sealed, [entry(1, f"{SECRET} sealed")])
    plain.cipher = sealed.cipher
    assert plain.encrypt_all() == (1, 0)
    assert written and not any(SECRET.encode() in w for w in written)
    assert sorted(p.name for p in plain.directory.iterdir()) == [
        "2026-11-23T21-55-00-rebuilding-trust.md"]  # no temporary file left behind


def test_converting_keeps_everything_and_reads_back_identically(
        tmp_path: Path, cipher: Cipher) -> None:
    plain = Journal(tmp_path / "journal")
    path = write_session(plain, [entry(0), entry(1, f"{SECRET}\nwith lines")], end=True)
    original = path.read_bytes()
    other = write_session(plain, [entry(5)])
    noted = other.read_bytes().replace(b"\n## Step 1", b"\nMy note.\n\n## Step 1") + b"\n## Tor"
    other.write_bytes(noted.replace(b"model: vosk", b"mood: calm\nmodel: vosk"))
    before = {p: plain.read(p.stem) for p in (path, other)}
    plain.cipher = cipher
    assert plain.encrypt_all() == (2, 0)
    assert plain.encrypt_all() == (0, 2)  # running it again changes nothing
    assert SECRET.encode() not in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    after = plain.read(path.stem)
    assert render_markdown(after) == original
    converted = plain.read(other.stem)
    assert converted.blocks == before[other].blocks and converted.set_aside == ["## Tor"]
    with plain.reopen(path.stem) as w:  # a converted session can be appended to
        w.mark(Mark("skip", T0 + timedelta(hours=2), step="s", prompt=0))
    assert ("s", 0) in plain.read(path.stem).done


def test_a_session_cut_short_is_sealed_still_cut_short(journal: Journal,
                                                         cipher: Cipher) -> None:
    """A sealed block reads as complete, so the last block of a plaintext session cut
    short by a crash is sealed with the torn mark that says it was: set aside before,
    set aside after, and an answer appended later is not glued to it."""
    path = write_session(journal, [entry(0), entry(1, "Cut short by a power loss")])
    path.write_bytes(path.read_bytes()[:-8])
    before = journal.read(path.stem)
    assert before.entries == [entry(0)] and len(before.set_aside) == 1
    journal.cipher = cipher
    assert journal.encrypt_all() == (1, 0)
    after = journal.read(path.stem)
    assert after.encrypted and after.blocks == before.blocks
    with journal.reopen(path.stem) as w:
        w.answer(entry(2))
    assert journal.read(path.stem).entries == [entry(0), entry(2)]


# --- sessions of several passphrases, and journal passphrase --------------------------


def sealed_sessions(folder: Path, passphrase: str, days: list[int]) -> list[Path]:
    """Sessions sealed with `passphrase`, one per day after T0, each with two answers."""
    journal = Journal(folder, Cipher.create(passphrase))
    made = []
    for day in days:
        with journal.start("g", started=T0 + timedelta(days=day)) as w:
            w.answer(entry(0, f"Day {day}, first."))
            w.answer(entry(1, f"Day {day}, second."))
        made.append(w.path)
    return made


@pytest.fixture
def two_homes(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """The user's journal (OLD: days 0 and 2) with a session copied in from another home,
    sealed with NEW (day 1)."""
    mine = sealed_sessions(paths().journal_dir, OLD, [0, 2])
    (theirs,) = sealed_sessions(tmp_path / "other-home", NEW, [1])
    shutil.copy2(theirs, paths().journal_dir / theirs.name)
    return mine, [paths().journal_dir / theirs.name]


def opened_with(path: Path) -> str | None:
    """Which of OLD and NEW opens the file (from its header), or None."""
    header = header_of(path)
    found = [p for p in (OLD, NEW) if Keyring(p).opens(header)]
    assert len(found) <= 1
    return found[0] if found else None


def test_each_session_opens_with_its_own_passphrase(two_homes) -> None:
    mine, theirs = two_homes
    asked: list[bool] = []
    journal = open_journal(ask=lambda new: asked.append(new) or OLD)
    assert asked == [False]  # the journal asks nothing itself: the caller's function does
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [p.stem for p in mine]
    assert [str(e) for e in skipped] == [Msg.OTHER_PASSPHRASE_LEFT_OUT.format(path=theirs[0])]
    found: list[ReflectError] = []
    assert [r.id for r, _ in journal.search("first", found)] == [p.stem for p in mine]
    assert [e.msg for e in found] == [Msg.OTHER_PASSPHRASE_LEFT_OUT]
    with pytest.raises(ReflectError) as err:
        journal.read(theirs[0].stem)
    assert err.value.msg is Msg.PASSPHRASE_NOT_THIS_SESSION and err.value.exit_code == 2
    with journal.start("g") as w:  # a new session is sealed with the passphrase given
        w.answer(entry(3))
    assert opened_with(w.path) == OLD
    other = open_journal(ask=lambda new: NEW)
    assert [r.id for r in other.sessions()] == [theirs[0].stem]
    assert [e.text for e in other.read(theirs[0].stem).entries] == ["Day 1, first.",
                                                                    "Day 1, second."]
    with pytest.raises(ReflectError) as err:
        open_journal(ask=lambda new: "neither")
    assert err.value.msg is Msg.PASSPHRASE_WRONG


def test_list_search_and_show_go_on_past_sessions_of_another_passphrase(cli, two_homes) -> None:
    mine, theirs = two_homes
    for passphrase, readable, other in ((OLD, mine, theirs), (NEW, theirs, mine)):
        env = {"REFLECT_PASSPHRASE": passphrase}
        listed = cli("journal", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        assert [line.split()[0] for line in listed.stdout.splitlines()] == [
            p.stem for p in readable]
        assert listed.stderr.splitlines() == [
            Msg.OTHER_PASSPHRASE_LEFT_OUT.format(path=p) for p in other]
        searched = cli("journal", "search", "second", env=env)
        assert searched.returncode == 0 and searched.stdout.count("second") == len(readable)
        assert len(searched.stderr.splitlines()) == len(other)
        shown = cli("journal", "show", other[0].stem, env=env)
        assert shown.returncode == 2 and shown.stdout == ""
        assert shown.stderr.strip() == Msg.PASSPHRASE_NOT_THIS_SESSION.format(
            session=other[0].stem)
    wrong = cli("journal", "list", env={"REFLECT_PASSPHRASE": "neither"})
    assert wrong.returncode == 2 and wrong.stderr.strip() == Msg.PASSPHRASE_WRONG.format()


def test_passphrase_gives_every_session_the_new_one(cli, two_homes) -> None:
    mine, theirs = two_homes
    before = {p.stem: open_journal(ask=lambda new: OLD).read(p.stem).entries for p in mine}
    done = cli("journal", "passphrase",
               env={"REFLECT_PASSPHRASE": OLD, "REFLECT_NEW_PASSPHRASE": NEW})
    assert done.returncode == 0, done.stderr
    assert Msg.PASSPHRASE_CHANGED.format(count=2, already=1) in done.stdout
    assert done.stderr == ""
    assert [opened_with(p) for p in [*mine, *theirs]] == [NEW] * 3
    journal = open_journal(ask=lambda new: NEW)
    skipped: list[ReflectError] = []
    assert len(journal.sessions(skipped)) == 3 and skipped == []
    assert {p.stem: journal.read(p.stem).entries for p in mine} == before
    assert not list(paths().journal_dir.glob(".*"))  # no temporary copy left
    wrong = cli("journal", "passphrase",
                env={"REFLECT_PASSPHRASE": "neither", "REFLECT_NEW_PASSPHRASE": "nor"})
    assert wrong.returncode == 2 and wrong.stderr.strip() == Msg.PASSPHRASE_WRONG.format()
    same = cli("journal", "passphrase",
               env={"REFLECT_PASSPHRASE": NEW, "REFLECT_NEW_PASSPHRASE": NEW})
    assert same.returncode == 2 and same.stderr.strip() == Msg.PASSPHRASE_SAME.format()


def test_passphrase_of_a_plaintext_journal_says_there_is_none(cli) -> None:
    with Journal(paths().journal_dir).start("g") as w:
        w.answer(entry(0))
    done = cli("journal", "passphrase",
               env={"REFLECT_PASSPHRASE": OLD, "REFLECT_NEW_PASSPHRASE": NEW})
    assert done.returncode == 2 and done.stderr.strip() == Msg.NOTHING_ENCRYPTED.format()


def test_passphrase_on_a_terminal_asks_the_new_one_twice(two_homes) -> None:
    mine, _ = two_homes
    code, out = on_tty(["journal", "passphrase"], [
        ("Passphrase for your journal", OLD), ("Choose a new passphrase", NEW),
        ("same passphrase again", NEW)])
    assert code == 0 and Msg.PASSPHRASE_CHANGED.format(count=2, already=1) in out, out
    assert OLD not in out and NEW not in out.replace("<asked>", "")  # typed without echo
    assert [opened_with(p) for p in mine] == [NEW, NEW]


KILLED = textwrap.dedent("""
    import os, signal, sys
    from assistant.cli import main
    after, when = int(sys.argv[1]), sys.argv[2]
    real, renamed = os.replace, []

    def replace(src, dst, *args, **kw):  # SIGKILL around the rename of session number `after`
        if str(dst).endswith(".md"):
            if len(renamed) == after and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            real(src, dst, *args, **kw)
            renamed.append(dst)
            if len(renamed) == after and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return
        real(src, dst, *args, **kw)

    os.replace = replace
    sys.exit(main(["journal", "passphrase"]))
""")


@pytest.mark.parametrize(("after", "when"), [(2, "before"), (3, "after"), (0, "before")])
def test_a_passphrase_change_killed_half_way_is_finished_by_the_next_run(
        cli, after: int, when: str) -> None:
    paths_ = sealed_sessions(paths().journal_dir, OLD, list(range(6)))
    before = {p.stem: open_journal(ask=lambda new: OLD).read(p.stem).entries for p in paths_}
    env = {"REFLECT_PASSPHRASE": OLD, "REFLECT_NEW_PASSPHRASE": NEW}
    killed = subprocess.run([sys.executable, "-c", KILLED, str(after), when], cwd=REPO,
                            env={**os.environ, **env}, capture_output=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    states = [opened_with(p) for p in paths_]  # each file whole: old or new, never mixed
    changed = after  # renamed before the kill
    assert states == [NEW] * changed + [OLD] * (len(paths_) - changed)
    assert bool(list(paths().journal_dir.glob(".*.tmp"))) == (when == "before")
    for passphrase in set(states):  # and each reads whole with its own passphrase
        journal = open_journal(ask=lambda new, p=passphrase: p)
        for record in journal.sessions():
            assert record.entries == before[record.id] and record.set_aside == []

    again = cli("journal", "passphrase", env=env)
    assert again.returncode == 0, again.stderr
    assert Msg.PASSPHRASE_CHANGED.format(count=len(paths_) - changed,
                                         already=changed) in again.stdout
    assert [opened_with(p) for p in paths_] == [NEW] * len(paths_)
    assert not list(paths().journal_dir.glob(".*"))  # the stale copy is gone too
    journal = open_journal(ask=lambda new: NEW)
    assert {r.id: r.entries for r in journal.sessions()} == before
    headers = [header_of(p) for p in paths_]
    assert len({h["salt"] for h in headers}) == 1  # the second run used the same new key


def test_passphrase_leaves_a_live_session_alone(cli, small_guide: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    closed = sealed_sessions(paths().journal_dir, OLD, [0])
    monkeypatch.setenv("REFLECT_PASSPHRASE", OLD)
    live = Live("run", "--text", small_guide)
    try:
        answered_up_to(1)(live)
        (path,) = [p for p in paths().journal_dir.glob("*.md") if p not in closed]
        done = cli("journal", "passphrase", env={"REFLECT_NEW_PASSPHRASE": NEW})
        assert done.returncode == 0, done.stderr
        assert Msg.PASSPHRASE_CHANGED.format(count=1, already=0) in done.stdout
        assert done.stderr.strip() == Msg.SESSION_OPEN_LEFT_OUT.format(session=path.stem)
        assert opened_with(closed[0]) == NEW and opened_with(path) == OLD
        for n in (1, 2, 3):
            live.wait_for(f"Question: {QUESTIONS[n]}")
            live.type(typed(f"answer {n}"))
            live.wait_for(SAVED)
        status, stderr = live.exit()
    finally:
        live.end()
    assert status == 0, stderr
    record = open_journal(ask=lambda new: OLD).read(path.stem)
    assert record.finished and [e.text for e in record.entries] == [
        f"answer {n}" for n in range(4)]
    again = cli("journal", "passphrase", env={"REFLECT_NEW_PASSPHRASE": NEW})
    assert Msg.PASSPHRASE_CHANGED.format(count=1, already=1) in again.stdout
    assert opened_with(path) == NEW
