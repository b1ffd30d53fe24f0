"""Appending a session (writer.py): every answer written whole and fsynced before the
session goes on, nothing acknowledged lost to a kill, a disk that says no shown with the
answer -- and a session whose file is deleted, renamed away, replaced or whose folder is
removed while it runs keeps every answer in a file the journal lists (the continuation),
saying where in one sentence before it goes on."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, header_of
from sessions import QUESTIONS, REPO, SAVED, Live, answered_up_to, typed

from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal, Mark, Record
from assistant.journal.blocks import entry_block
from assistant.journal.crypto import Cipher
from assistant.messages import Msg

# --- durability ----------------------------------------------------------------------


def test_every_append_is_written_whole_and_fsynced_before_it_returns(
        journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []
    real_write, real_fsync = os.write, os.fsync
    monkeypatch.setattr(os, "write", lambda fd, b: calls.append(("write", len(b)))
                        or real_write(fd, b))
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(("fsync", fd)) or real_fsync(fd))
    writer = journal.start("g", started=T0)
    assert [c[0] for c in calls] == ["write", "fsync", "fsync"]  # header, file, directory
    for n in range(5):
        calls.clear()
        writer.answer(entry(n))
        assert [c[0] for c in calls] == ["write", "fsync"]
        assert calls[0][1] == len(entry_block(entry(n)))  # whole, one write
        fresh = Journal(journal.directory).read(writer.id)  # a new reader sees it at once
        assert fresh.entries == [entry(i) for i in range(n + 1)]
    writer.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from assistant.journal import Entry, Journal
    w = Journal(Path(sys.argv[1])).start("kill-test")
    print(w.id, flush=True)
    n = 0
    while True:
        w.answer(Entry("s", n, "T", "Q?", f"answer {n} " + "x" * (n * 37 % 3000),
                       datetime.now(timezone.utc), 1.0, "typed"))
        print(n, flush=True)
        n += 1
""")


@pytest.mark.parametrize("after", [1, 40, 333])
def test_sigkill_while_writing_loses_nothing_that_was_acknowledged(
        tmp_path: Path, after: int) -> None:
    folder = tmp_path / "journal"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    session = proc.stdout.readline().strip()
    acknowledged = -1
    while acknowledged < after:
        acknowledged = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    record = Journal(folder).read(session)
    numbers = [e.prompt for e in record.entries]
    assert numbers == list(range(len(numbers)))  # in order, none merged, none missing
    assert len(numbers) >= acknowledged + 1
    assert len(record.set_aside) <= 1


# --- the disk says no ----------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("sealed", [False, True])
def test_a_failed_write_shows_the_answer_keeps_earlier_entries_and_recovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, sealed: bool) -> None:
    journal = Journal(tmp_path / "journal", Cipher.create("pw") if sealed else None)
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    real = os.write

    def half_then_refuse(fd: int, data: bytes) -> int:  # a partial write, then the error
        monkeypatch.setattr(os, "write", refuse)
        return real(fd, data[:len(data) // 2])

    def refuse(fd: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", half_then_refuse)
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, "The answer that could not be saved."))
    assert err.value.msg is Msg.SAVE_FAILED
    assert "The answer that could not be saved." in str(err.value)
    monkeypatch.undo()
    record = journal.read(writer.id)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    writer.answer(entry(2))  # space again: the torn half stays aside, nothing is merged
    again = journal.read(writer.id)
    assert again.entries == [entry(0), entry(2)] and len(again.set_aside) == 1


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB tmpfs: fills up for real and can be made read-only for real (root is
    not stopped by chmod, so permissions alone cannot test this here)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64,mode=0700",
                           "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"cannot mount a tiny tmpfs for the full-disk test ({done.stderr.strip()})"
                    ": these tests need root (or CAP_SYS_ADMIN)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(fs: Path) -> None:
    """Fill the small file system up, to the last byte."""
    fd = os.open(fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_shows_the_answer_and_keeps_earlier_entries(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    fill(tiny_fs)
    long_answer = "I kept talking for a long time. " * 400
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, long_answer))
    assert err.value.msg is Msg.SAVE_FAILED and "the disk is full" in str(err.value)
    assert long_answer in str(err.value)
    record = journal.read(writer.id)
    assert record.entries == [entry(0)]
    assert all("I kept talking" in s for s in record.set_aside)  # a partial write, set aside
    (tiny_fs / "filler").unlink()  # space again: saving goes on after what was set aside
    writer.answer(entry(2))
    assert journal.read(writer.id).entries == [entry(0), entry(2)]


def test_a_read_only_journal_shows_the_answer_and_keeps_earlier_entries(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    writer.close()
    writer = journal.reopen(writer.id)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, "Said while the disk was read-only."))
    assert "Said while the disk was read-only." in str(err.value)
    assert "cannot be written to" in str(err.value)
    with pytest.raises(ReflectError) as err:
        Journal(tiny_fs / "journal").start("g")
    assert err.value.msg is Msg.JOURNAL_DIR_UNUSABLE
    assert Journal(tiny_fs / "journal").read(writer.id).entries == [entry(0)]


def test_a_session_that_cannot_start_on_a_full_disk_leaves_no_file(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    fill(tiny_fs)
    with pytest.raises(ReflectError) as err:
        journal.start("g", started=T0)
    assert err.value.msg is Msg.JOURNAL_DIR_UNUSABLE and "the disk is full" in str(err.value)
    assert list(journal.directory.iterdir()) == []  # no empty session, no temporary file


# --- the file lost while the session runs -------------------------------------------


def deleted(path: Path) -> None:
    path.unlink()


def renamed_away(path: Path) -> None:
    path.rename(path.parent.parent / "moved-by-a-sync-tool.md")


def replaced(path: Path) -> None:
    """As a sync tool puts back the copy it had: another file, renamed over this one."""
    copy = path.parent / ".sync-copy"
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)


def folder_removed(path: Path) -> None:
    shutil.rmtree(path.parent)


LOSSES = [deleted, renamed_away, replaced, folder_removed]


Lose = Callable[[Path], None]


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
def test_a_lost_file_carries_on_in_a_continuation(tmp_path: Path, lose: Lose,
                                                  sealed: bool) -> None:
    cipher = Cipher.create("pw") if sealed else None
    journal = Journal(tmp_path / "journal", cipher)
    writer = journal.start("g", model="m", started=T0, guide_file=tmp_path / "g.yaml",
                           guide_digest="sha256:abc")
    assert writer.mark(Mark("role", T0, value="hurt")) is None
    assert writer.answer(entry(0)) is None
    first = writer.path
    lose(first)
    notice = writer.answer(entry(1))
    assert writer.path != first and writer.path.parent == journal.directory
    assert notice == Msg.SESSION_FILE_MOVED.format(old=first, path=writer.path)
    assert writer.answer(entry(2)) is None  # goes on there, without another word
    writer.mark(Mark("end", T0 + timedelta(hours=1)))
    assert writer.close() is None

    reader = Journal(journal.directory, cipher)
    record = reader.read(writer.id)
    assert record.entries == [entry(0), entry(1), entry(2)]
    assert record.role == "hurt" and record.finished and record.set_aside == []
    assert record.continues == first.stem and record.encrypted == sealed
    assert (record.guide, record.model, record.started) == ("g", "m", T0)
    assert (record.guide_file, record.guide_digest) == (str(tmp_path / "g.yaml"), "sha256:abc")
    assert writer.id in [r.id for r in reader.sessions()]
    assert writer.path.stat().st_mode & 0o777 == 0o600
    assert journal.directory.stat().st_mode & 0o777 == 0o700
    if lose is replaced:  # the file put in its place is left as it is
        assert reader.read(first.stem).entries == [entry(0)]
    if sealed:
        assert b"Answer number" not in writer.path.read_bytes()


def test_a_file_lost_after_the_last_answer_is_caught_at_close(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    first = writer.path
    deleted(first)
    notice = writer.close()
    assert notice == Msg.SESSION_FILE_MOVED.format(old=first, path=writer.path)
    assert journal.read(writer.id).entries == [entry(0)]
    assert writer.close() is None  # closed once


def test_when_no_continuation_can_be_made_the_user_is_told_and_given_the_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    deleted(writer.path)

    def disk_full(*args: object) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(journal, "continuation", disk_full)
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, "Copy me somewhere."))
    assert err.value.msg is Msg.SAVE_FAILED and "Copy me somewhere." in str(err.value)
    assert "the disk is full" in str(err.value)
    with pytest.raises(ReflectError) as err:
        writer.close()
    assert err.value.msg is Msg.SESSION_MOVED_NOT_KEPT and "the disk is full" in str(err.value)
    monkeypatch.undo()
    assert journal.sessions() == []  # nothing claims to hold the answers


def test_a_utf16_file_is_never_appended_to(tmp_path: Path) -> None:
    """Another program saved the session as UTF-16: it reads as it was, and resuming it
    goes on in a UTF-8 continuation instead of mixing two encodings in one file."""
    journal = Journal(tmp_path / "journal")
    with journal.start("g", started=T0) as w:
        w.answer(entry(0, "Ünïcode — kept"))
    utf16 = w.path.read_text(encoding="utf-8").encode("utf-16")
    w.path.write_bytes(utf16)
    assert journal.read(w.id).entries == [entry(0, "Ünïcode — kept")]
    with journal.reopen(w.id) as writer:
        notice = writer.answer(entry(1))
        assert writer.answer(entry(2)) is None
    assert notice == Msg.SESSION_FILE_RECODED.format(old=w.path, path=writer.path)
    assert w.path.read_bytes() == utf16  # left as it was
    record = journal.read(writer.id)
    assert record.entries == [entry(0, "Ünïcode — kept"), entry(1), entry(2)]
    assert record.continues == w.id
    writer.path.read_bytes().decode("utf-8")  # one encoding


def the_sessions() -> list:
    return Journal(paths().journal_dir).sessions()


def holding(text: str) -> list[str]:
    """The ids of the sessions the journal lists that hold an answer `text`."""
    return [r.id for r in the_sessions() if text in [e.text for e in r.entries]]


def lost_after_the_first_answer(session: Live, lose: Lose) -> Record:
    """Answer the first question of a live session, then lose its file (as `lose` does);
    the session's record as it was, once the next question is asked."""
    answered_up_to(1)(session)
    (first,) = the_sessions()
    lose(first.path)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    return first


@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
def test_a_live_session_keeps_every_answer_when_its_file_is_lost(small_guide: str, cli,
                                                                 lose: Lose) -> None:
    """The issue's repro: after the file is lost, every "Saved." is true, the session says
    where the answers went, and its closing line names the file that holds them."""
    session = Live("run", "--text", small_guide)
    try:
        first = lost_after_the_first_answer(session, lose)
        session.type(typed("answer 1"))
        session.wait_for(SAVED)
        (continuation,) = [r for r in the_sessions() if r.continues == first.id]
        session.wait_for(Msg.SESSION_FILE_MOVED.format(old=first.path,
                                                       path=continuation.path))
        assert sorted(holding("answer 0")) == sorted([continuation.id] + (
            [first.id] if lose is replaced else []))  # whichever second each began in
        assert continuation.id in holding("answer 1")
        for n in (2, 3):
            session.wait_for(f"Question: {QUESTIONS[n]}")
            session.type(typed(f"answer {n}"))
            session.wait_for(SAVED)
            assert holding(f"answer {n}") == [continuation.id]  # Saved. is true
        session.wait_for(Msg.SAVED_IN.format(path=continuation.path))
        status, stderr = session.exit()
    finally:
        session.end()
    assert status == 0, stderr
    shown = cli("journal", "show", continuation.id)
    assert shown.returncode == 0, shown.stderr
    assert all(f"answer {n}" in shown.stdout for n in range(4))
    record = Journal(paths().journal_dir).read(continuation.id)
    assert record.finished and [e.text for e in record.entries] == [
        f"answer {n}" for n in range(4)]
    assert continuation.id in cli("journal", "list").stdout


# --- the copy left behind: superseded by its continuation ----------------------------


def test_a_session_carried_on_is_superseded_by_the_last_file_that_carries_it(
        tmp_path: Path) -> None:
    """A copy put back at the old path (a sync tool) stays as it was, but the journal
    names the continuation as where the session goes on -- through a continuation of a
    continuation too -- and never offers the copy for resume."""
    journal = Journal(tmp_path / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    first = writer.path
    replaced(first)
    writer.answer(entry(1))
    second = writer.path
    replaced(second)
    writer.answer(entry(2))
    writer.close()
    assert journal.read(first.stem).continued_in == writer.id
    assert journal.read(second.stem).continued_in == writer.id
    assert journal.read(writer.id).continued_in is None
    listed = {r.id: r for r in journal.sessions()}
    assert {i: r.superseded for i, r in listed.items()} == {
        first.stem: True, second.stem: True, writer.id: False}
    assert journal.latest_unfinished().id == writer.id  # never a copy left behind
    with journal.reopen(writer.id) as again:
        again.mark(Mark("end", T0))
    assert journal.latest_unfinished() is None  # the copies are not finished, yet done
    assert journal.read(first.stem).entries == [entry(0)]  # left as it was


def test_a_copy_put_back_is_never_resumed_in_place_of_its_continuation(small_guide: str,
                                                                      cli) -> None:
    """The audit's repro: the copy stays "not finished" beside its continuation; `resume`
    goes on in the continuation (named), `list` and `show` say where the session went."""
    session = Live("run", "--text", small_guide)
    try:
        first = lost_after_the_first_answer(session, replaced)
        session.type(typed("answer 1") + "stop\n")
        session.wait_for(Msg.STOPPED.format())
        status, stderr = session.exit()
    finally:
        session.end()
    assert status == 0, stderr
    copy = first.path.read_bytes()
    (continuation,) = [r for r in the_sessions() if r.continues == first.id]

    listed = cli("journal", "list").stdout.splitlines()
    (line,) = [line for line in listed if line.startswith(first.id + " ")]
    assert line.endswith(Msg.STATE_CONTINUED_IN.format(session=continuation.id))
    shown = cli("journal", "show", first.id).stdout
    assert Msg.SHOW_STATUS.format(status=Msg.SHOW_CONTINUED_IN.format(
        session=continuation.id)) in shown.splitlines()

    resumed = cli("resume", "--text", first.id, input=typed("answer 2") + "stop\n")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.strip() == Msg.RESUMING_CONTINUATION.format(
        old=first.id, session=continuation.id)
    assert [line for line in resumed.stdout.splitlines() if line.startswith("Question:")] == [
        f"Question: {QUESTIONS[2]}", f"Question: {QUESTIONS[3]}"]
    latest = cli("resume", "--text", input=typed("answer 3"))  # the continuation, not the copy
    assert latest.returncode == 0, latest.stderr
    assert Msg.SAVED_IN.format(path=continuation.path) in latest.stdout
    nothing = cli("resume", "--text", input=typed("dup"))
    assert nothing.stderr.strip() == Msg.NOTHING_TO_RESUME.format()
    assert first.path.read_bytes() == copy  # nothing asked again, nothing written there
    record = Journal(paths().journal_dir).read(continuation.id)
    assert record.finished and [e.text for e in record.entries] == [
        f"answer {n}" for n in range(4)]


# --- the speech model the front matter names ----------------------------------------


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_the_model_is_settled_before_the_first_block_and_never_after(tmp_path: Path,
                                                                     sealed: bool) -> None:
    """A model that loads in the background and turns out unusable (the answers are then
    typed) is named in no front matter; asked once, before the first block."""
    cipher = Cipher.create("pw") if sealed else None
    journal = Journal(tmp_path / "journal", cipher)
    usable = [True]
    writer = journal.start("g", model=lambda: "vosk-model-x" if usable[0] else None,
                           started=T0)
    assert header_of(writer.path)["model"] == "vosk-model-x"  # as it is set up
    usable[0] = False  # the load failed while the introduction was spoken
    writer.mark(Mark("role", T0, value="hurt"))
    writer.answer(entry(0))
    usable[0] = True
    writer.answer(entry(1))
    writer.close()
    assert header_of(writer.path)["model"] is None
    record = Journal(journal.directory, cipher).read(writer.id)
    assert record.model is None and record.role == "hurt"
    assert record.entries == [entry(0), entry(1)] and record.set_aside == []
    assert record.encrypted == sealed
    assert [p.name for p in journal.directory.iterdir()] == [writer.path.name]  # no temp
    assert writer.path.stat().st_mode & 0o777 == 0o600
    kept = journal.start("g", model=lambda: "vosk-model-x", started=T0.replace(day=24))
    kept.answer(entry(0))
    kept.close()
    assert Journal(journal.directory, cipher).read(kept.id).model == "vosk-model-x"
