"""Nothing lost: a typed session killed with SIGKILL at several points, and a journal that
cannot be written to, with the real CLI process, real files and `reflect resume`.

The test types into the process's stdin step by step and reads its stdout to know where
the session is -- the same plain lines a user (or a screen reader) sees."""

from __future__ import annotations

import array
import fcntl
import os
import queue
import resource
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import paths
from assistant.journal import Journal, Record
from assistant.messages import Msg

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = ["What happened?", "How did it feel to be hurt?", "What do you need now?",
             "What could help tomorrow?"]  # small_guide for the role "hurt"
SAVED = Msg.TYPED_SAVED.format()


def typed(*answers: str) -> str:
    return "".join(f"{a}\n\n" for a in answers)


class Live:
    """A `reflect run --text` process with stdin a pipe we type into, read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
            env=dict(os.environ),  # and Ctrl-C as a shell gives it, even to a background job:
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, line: str, timeout: float = 30) -> None:
        """Read output until `line` appears (a whole line), failing with what was seen."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {line!r} within {timeout}s; saw: {self.seen[-8:]}")
            if got is None:
                pytest.fail(f"the process ended before {line!r}; saw: {self.seen[-8:]}; "
                            f"stderr: {self.proc.stderr.read() if self.proc.stderr else ''}")
            self.seen.append(got)
            if got == line:
                return

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def read_by_it(self, timeout: float = 10) -> None:
        """Wait until the process has read everything typed so far (the pipe is empty)."""
        assert self.proc.stdin is not None
        deadline = time.monotonic() + timeout
        unread = array.array("i", [1])
        while unread[0]:
            if time.monotonic() > deadline:
                pytest.fail(f"the process did not read its input within {timeout}s")
            time.sleep(0.01)
            fcntl.ioctl(self.proc.stdin.fileno(), termios.FIONREAD, unread)
        time.sleep(0.1)  # and is back waiting for the next line (nothing timed is asserted)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL

    def exit(self, timeout: float = 30) -> tuple[int, str]:
        """Wait for the process to end by itself: (exit status, stderr)."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=timeout)
        return self.proc.returncode, self.proc.stderr.read()


@pytest.fixture
def live(small_guide: str):
    started: list[Live] = []

    def start() -> Live:
        session = Live("run", "--text", small_guide)
        started.append(session)
        return session

    yield start
    for session in started:  # only our own processes, by their handle
        if session.proc.poll() is None:
            session.proc.kill()
            session.proc.wait()


def the_record() -> Record:
    (record,) = Journal(paths().journal_dir).sessions()
    return record


def answered_up_to(n: int) -> Callable[[Live], None]:
    """Choose the role, answer the first `n` questions, and wait until each is saved."""
    def steps(s: Live) -> None:
        s.type(typed("it was me"))
        for i in range(n):
            s.wait_for(f"Question: {QUESTIONS[i]}")
            s.type(typed(f"answer {i}"))
            s.wait_for(SAVED)
    return steps


def mid_answer(s: Live) -> None:
    answered_up_to(1)(s)
    s.wait_for(f"Question: {QUESTIONS[1]}")
    s.type("the first line of an answer\nand a second, not ended yet\n")
    s.read_by_it()


def right_after_an_answer(s: Live) -> None:
    answered_up_to(2)(s)  # killed the moment "Saved." shows


def during_narration(s: Live) -> None:
    answered_up_to(2)(s)
    s.wait_for(Msg.PART.format(number=2, total=3, title="Second part"))


def right_after_the_role(s: Live) -> None:
    s.type(typed("hurt"))
    s.wait_for(Msg.ROLE_THANKS.format())


@pytest.mark.parametrize(("before_kill", "kept"), [
    (right_after_the_role, 0),
    (mid_answer, 1),
    (right_after_an_answer, 2),
    (during_narration, 2),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_sigkill_loses_nothing_saved_and_resume_goes_on(
        live, cli, before_kill: Callable[[Live], None], kept: int) -> None:
    session = live()
    before_kill(session)
    session.kill()

    record = the_record()  # the journal parses after the kill
    assert not record.finished and record.set_aside == []
    assert record.role == "hurt"
    assert [(e.question, e.text) for e in record.entries] == [
        (QUESTIONS[i], f"answer {i}") for i in range(kept)]

    rest = [f"later {i}" for i in range(kept, len(QUESTIONS))]
    resumed = cli("resume", "--text", input=typed(*rest))
    assert resumed.returncode == 0, resumed.stderr
    asked = [line.removeprefix("Question: ") for line in resumed.stdout.splitlines()
             if line.startswith("Question: ")]
    assert asked == QUESTIONS[kept:]  # from the right question, the role not asked again
    record = the_record()
    assert record.finished
    assert [e.text for e in record.entries] == [
        *(f"answer {i}" for i in range(kept)), *rest]
    assert [e.question for e in record.entries] == QUESTIONS


def test_full_disk_shows_the_unsaved_answer_and_keeps_earlier_ones(live, cli) -> None:
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    path = the_record().path
    before = path.read_bytes()
    limit = len(before) + 40  # room for part of the next block only: a write fails midway
    resource.prlimit(session.proc.pid, resource.RLIMIT_FSIZE, (limit, limit))
    session.type(typed("words that do not fit on the disk"))
    status, stderr = session.exit()

    assert status != 0
    assert "words that do not fit on the disk" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert path.read_bytes().startswith(before)  # earlier blocks untouched
    record = the_record()
    assert [e.text for e in record.entries] == ["answer 0"]
    (torn,) = record.set_aside  # the part of the block that fitted: kept aside, not merged
    assert QUESTIONS[1].startswith(torn.split(" \u2014 ")[1])

    resumed = cli("resume", "--text", input=typed("fits now", "c", "d"))
    assert resumed.returncode == 0, resumed.stderr
    record = the_record()
    assert record.finished and record.set_aside == [torn]
    assert [e.text for e in record.entries] == ["answer 0", "fits now", "c", "d"]


def test_read_only_journal_shows_the_unsaved_answer(live) -> None:
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    path = the_record().path
    before = path.read_bytes()
    # root ignores file modes, so the file is made immutable (ext4's attribute) instead
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode:
        pytest.fail(f"cannot make the journal file read-only here: {made.stderr.strip()}")
    try:
        session.type(typed("an answer with nowhere to go"))
        status, stderr = session.exit()
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)

    assert status != 0
    assert "an answer with nowhere to go" in stderr
    assert "cannot be written" in stderr and "Traceback" not in stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_while_typing_saves_the_lines_and_says_how_to_go_on(live, signum: int
                                                                     ) -> None:
    """Ctrl-C, SIGTERM (logout, shutdown) and SIGHUP (the terminal closed) end a typed
    session one way: the lines typed so far are saved, and the user is told so."""
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    session.type("typed before the signal\nand a second line\n")
    session.read_by_it()
    session.proc.send_signal(signum)
    session.wait_for(Msg.INTERRUPTED_SAVED.format())
    record = the_record()
    session.wait_for(Msg.SAVED_IN.format(path=record.path))
    session.wait_for(Msg.RESUME_HOW.format(session=record.id))
    status, stderr = session.exit()
    assert status == 128 + signum, stderr
    assert stderr == ""
    record = the_record()
    assert [e.text for e in record.entries] == [
        "answer 0", "typed before the signal\nand a second line"]
    assert record.entries[1].ended == "interrupted"
    assert not record.finished


def test_a_signal_between_answers_says_every_answer_is_saved(live) -> None:
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    session.read_by_it()
    session.proc.send_signal(signal.SIGTERM)
    session.wait_for(Msg.INTERRUPTED_ALL_SAVED.format())
    status, _ = session.exit()
    assert status == 128 + signal.SIGTERM
    assert [e.text for e in the_record().entries] == ["answer 0"]
