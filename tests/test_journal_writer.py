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
from journals import T0, entry
from sessions import QUESTIONS, REPO, SAVED, Live, answered_up_to, typed

from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal, Mark
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


@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
def test_a_live_session_keeps_every_answer_when_its_file_is_lost(small_guide: str, cli,
                                                                 lose: Lose) -> None:
    """The issue's repro: after the file is lost, every "Saved." is true, the session says
    where the answers went, and its closing line names the file that holds them."""
    session = Live("run", "--text", small_guide)
    try:
        answered_up_to(1)(session)
        (first,) = the_sessions()
        lose(first.path)
        session.wait_for(f"Question: {QUESTIONS[1]}")
        session.type(typed("answer 1"))
        session.wait_for(SAVED)
        (continuation,) = [r for r in the_sessions() if r.continues == first.id]
        session.wait_for(Msg.SESSION_FILE_MOVED.format(old=first.path,
                                                       path=continuation.path))
        assert holding("answer 0") == [continuation.id] + (
            [first.id] if lose is replaced else [])
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
