"""One Reflect process per session file: a second `resume`, `journal encrypt` and `journal
delete` leave a session that is open elsewhere alone, and say so in one sentence."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

import pytest
from journals import PASS, T0, entry, let_through, waiting_at, write_session
from sessions import (
    QUESTIONS,
    SAVED,
    Lines,
    Live,
    answered_up_to,
    only_session,
    spawn,
    typed,
)

from assistant import files
from assistant.config import paths
from assistant.errors import ReflectError
from assistant.journal import Journal
from assistant.journal import lock as journal_lock
from assistant.journal.crypto import Cipher
from assistant.messages import Msg


def test_a_session_open_in_a_writer_is_refused_to_a_second(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    writer = journal.start("g", started=T0)
    with pytest.raises(ReflectError) as err:
        journal.reopen(writer.id)
    assert err.value.msg is Msg.SESSION_OPEN_ELSEWHERE and writer.id in str(err.value)
    writer.answer(entry(0))
    writer.close()
    with journal.reopen(writer.id) as again:  # released when the first one is done
        again.answer(entry(1))
    assert journal.read(writer.id).entries == [entry(0), entry(1)]


def test_rewrites_and_delete_leave_an_open_session_alone(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    closed = write_session(journal, [entry(0)], end=True)
    writer = journal.start("g", started=T0.replace(day=24))
    writer.answer(entry(1, "Still being written."))
    before = writer.path.read_bytes()
    journal.cipher = Cipher.create("pw")
    skipped: list[ReflectError] = []
    assert journal.encrypt_all(skipped) == (1, 0)
    assert [str(e) for e in skipped] == [Msg.SESSION_OPEN_LEFT_OUT.format(session=writer.id)]
    assert writer.path.read_bytes() == before and b"Answer number" not in closed.read_bytes()
    with pytest.raises(ReflectError) as err:
        journal.delete(writer.id)
    assert err.value.msg is Msg.SESSION_OPEN_ELSEWHERE and writer.path.exists()
    assert writer.answer(entry(2)) is None  # the session never noticed
    writer.close()
    assert journal.encrypt_all() == (1, 1)
    assert journal.read(writer.id).entries == [entry(1, "Still being written."), entry(2)]


def test_a_path_replaced_between_opening_and_locking_is_locked_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.md"
    path.write_bytes(b"old")
    real = fcntl.flock
    calls: list[int] = []

    def replace_first(fd: int, op: int) -> None:
        calls.append(fd)
        if len(calls) == 1:  # another program puts a new file in its place right now
            (tmp_path / "new").write_bytes(b"new")
            os.replace(tmp_path / "new", path)
        real(fd, op)

    monkeypatch.setattr(fcntl, "flock", replace_first)
    with journal_lock.held(path) as fd:
        assert len(calls) == 2 and journal_lock.same_file(fd, path)
        assert journal_lock.read_all(fd) == b"new"


def test_two_resumes_of_one_session_never_both_write(small_guide: str, cli) -> None:
    started = cli("run", "--text", small_guide, input=typed("hurt", "answer 0") + "stop\n")
    assert started.returncode == 0, started.stderr
    path = only_session().path
    first = Live("resume", "--text")
    try:
        first.wait_for(f"Question: {QUESTIONS[1]}")
        before = path.read_bytes()
        second = cli("resume", "--text", input=typed("dup 1", "dup 2", "dup 3"))
        assert second.returncode != 0
        assert second.stderr.strip() == Msg.SESSION_OPEN_ELSEWHERE.format(session=path.stem)
        assert "Question:" not in second.stdout and path.read_bytes() == before
        for n in (1, 2, 3):
            first.type(typed(f"answer {n}"))
            first.wait_for(SAVED)
        first.wait_for(Msg.SAVED_IN.format(path=path))
        status, stderr = first.exit()
    finally:
        first.end()
    assert status == 0, stderr
    record = Journal(paths().journal_dir).read(path.stem)
    assert [e.text for e in record.entries] == [f"answer {n}" for n in range(4)]
    assert [m.kind for m in record.marks] == ["role", "end"]


def test_encrypt_and_delete_leave_a_live_session_alone(small_guide: str, cli,
                                                      journal: Journal) -> None:
    closed = write_session(journal, [entry(0, "A closed session.")], end=True)
    live = Live("run", "--text", small_guide)
    try:
        answered_up_to(1)(live)
        (path,) = [p for p in paths().journal_dir.glob("*.md") if p != closed]
        before = path.read_bytes()
        encrypted = cli("journal", "encrypt", env=PASS)
        assert encrypted.returncode == 0, encrypted.stderr
        assert Msg.ENCRYPTED_SESSIONS.format(count=1, already=0) in encrypted.stdout
        assert encrypted.stderr.strip() == Msg.SESSION_OPEN_LEFT_OUT.format(session=path.stem)
        assert b"A closed session." not in closed.read_bytes()
        assert path.read_bytes() == before
        deleted = cli("journal", "delete", "--yes", path.stem, env=PASS)
        assert deleted.returncode == 1 and path.exists()
        assert deleted.stderr.strip() == Msg.SESSION_OPEN_ELSEWHERE.format(session=path.stem)
        for n in (1, 2, 3):
            live.wait_for(f"Question: {QUESTIONS[n]}")
            live.type(typed(f"answer {n}"))
            live.wait_for(SAVED)
        live.wait_for(Msg.SAVED_IN.format(path=path))
        status, stderr = live.exit()
    finally:
        live.end()
    assert status == 0, stderr
    assert sorted(paths().journal_dir.glob("*.md")) == sorted([closed, path])
    record = Journal(paths().journal_dir).read(path.stem)
    assert record.finished and [e.text for e in record.entries] == [
        f"answer {n}" for n in range(4)]
    again = cli("journal", "encrypt", env=PASS)  # now that it is finished
    assert Msg.ENCRYPTED_SESSIONS.format(count=1, already=1) in again.stdout
    assert b"answer 1" not in path.read_bytes()


@pytest.mark.parametrize("new_file", ["session", "continuation"])
def test_a_new_session_file_is_locked_before_it_appears(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_file: str) -> None:
    """`journal encrypt` run the moment a new session file (or a continuation) appears
    in the journal finds it already locked, and leaves it alone: the writer never appends
    plaintext to a file sealed under it."""
    journal = Journal(tmp_path / "journal")
    sealer = Journal(journal.directory, Cipher.create("pw"))
    skipped: list[ReflectError] = []
    real = files.fsync_dir

    def encrypt_then(directory: Path) -> None:  # right after the link, in another terminal
        monkeypatch.setattr(files, "fsync_dir", real)
        sealer.encrypt_all(skipped)
        real(directory)

    if new_file == "session":
        monkeypatch.setattr(files, "fsync_dir", encrypt_then)
        writer = journal.start("g", started=T0)
        assert writer.answer(entry(0, "My secret answer.")) is None
    else:
        writer = journal.start("g", started=T0)
        lost = writer.path
        lost.unlink()
        monkeypatch.setattr(files, "fsync_dir", encrypt_then)
        assert writer.answer(entry(0, "My secret answer.")) == Msg.SESSION_FILE_MOVED.format(
            old=lost, path=writer.path)
    writer.close()
    assert [str(e) for e in skipped] == [Msg.SESSION_OPEN_LEFT_OUT.format(session=writer.id)]
    record = journal.read(writer.id)
    assert record.entries == [entry(0, "My secret answer.")] and record.set_aside == []
    assert not record.encrypted


def test_a_resume_goes_on_from_the_session_as_it_is_once_locked(
        small_guide: str, ko_model: Path, tmp_path: Path) -> None:
    """The audit's race: a spoken `resume` reads the journal, then sets up (a model loads
    for seconds) while the session it resumes is finished in another terminal. It then
    goes on from what the file holds under its lock: nothing asked again, one end mark.
    The microphone file is a FIFO: the resume waits at it, in the middle of its set-up,
    for as long as the test needs."""
    first = Live("run", "--text", small_guide)
    mic = tmp_path / "mic.wav"
    os.mkfifo(mic)
    second = None
    try:
        answered_up_to(3)(first)
        first.wait_for(f"Question: {QUESTIONS[3]}")
        second = Lines(spawn(["resume", "--model", str(ko_model), "--mic-file", str(mic),
                              "--speaker-file", str(tmp_path / "out.wav"), "--no-tones"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True))
        mic_open = waiting_at(mic, second.proc)  # it has read the journal by now
        first.type(typed("answer 3"))
        first.wait_for(SAVED)
        status, stderr = first.exit()
        assert status == 0, stderr
        let_through(mic_open)
        second.wait_for(Msg.ALREADY_FINISHED.format())
        assert second.proc.wait(timeout=60) == 0
    finally:
        first.end()
        if second is not None and second.proc.poll() is None:
            second.proc.kill()
            second.proc.wait()
    record = only_session()
    assert [e.text for e in record.entries] == [f"answer {n}" for n in range(4)]
    assert [m.kind for m in record.marks] == ["role", "end"]

