"""Driving the real CLI as a user would, for the tests: a process started as a shell starts
it, its output read line by line, typed answers, and the one session in the journal.

Shared by every test that runs `reflect` in a subprocess and reads what it says.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import platform
import queue
import re
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.config import paths
from assistant.journal import Journal, Record
from assistant.messages import Msg
from assistant.terminal.interrupts import SIGNALS

REPO = Path(__file__).resolve().parent.parent
SAVED = Msg.TYPED_SAVED.format()

SMALL_GUIDE = """\
id: small-test
title: A small test guide
language: en
intro: Welcome to a short test session.
choose:
  id: role
  ask: Were you the one who was hurt, or the one who broke the trust?
  options: {hurt: [hurt, me], broke: [broke, i did]}
steps:
  - id: first
    title: First part
    say: Some words before the first questions.
    prompts:
      - ask: What happened?
      - ask: How did it feel to be hurt?
        for: [hurt]
      - ask: What made you break it?
        for: [broke]
  - id: second
    title: Second part
    say: Some words before the second part.
    prompts:
      - ask: What do you need now?
      - ask: What could help tomorrow?
  - id: closing
    title: Closing
    say: A last word, with no question.
outro: That is all for today.
"""
# The questions of SMALL_GUIDE asked of the role "hurt", in order.
QUESTIONS = ["What happened?", "How did it feel to be hurt?", "What do you need now?",
             "What could help tomorrow?"]


def typed(*answers: str) -> str:
    """What a user types: each answer, then an empty line that ends it."""
    return "".join(f"{a}\n\n" for a in answers)


def only_session() -> Record:
    """The one session in the journal (failing, with their ids, when there are others)."""
    sessions = Journal(paths().journal_dir).sessions()
    assert len(sessions) == 1, [s.id for s in sessions]
    return sessions[0]


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """`python -m assistant ARGS` as a user's shell starts it: with the default handler of
    every signal a session ends on, even when the tests run as a background job (whose
    children ignore SIGINT) or under nohup (SIGHUP ignored) -- Reflect leaves an ignored
    signal ignored."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env,
                            preexec_fn=_default_signals, **kwargs)


def _default_signals() -> None:
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


# read(2)'s number in /proc/PID/syscall, by machine.
READ = {"x86_64": "0", "aarch64": "63"}[platform.machine()]


def reading_stdin(pid: int) -> bool:
    """Whether a thread of process `pid` waits in read(2) on its stdin (fd 0)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            if (task / "syscall").read_text().split()[:2] == [READ, "0x0"]:
                return True
    return False


class Lines:
    """A process's stdout, line by line, waited on with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: list[str] = []
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, pattern: str, timeout: float = 60.0) -> str:
        """The next line matching the regular expression `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {timeout} s; "
                            f"saw {self.seen[-8:]}")
            if line is None:
                errors = self.proc.stderr.read() if self.proc.stderr else ""
                pytest.fail(f"the process ended before {pattern!r}; saw {self.seen[-8:]}; "
                            f"stderr: {errors}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def wait_for(self, line: str, timeout: float = 30.0) -> None:
        """Read on until `line` appears as a whole line."""
        self.expect(f"^{re.escape(line)}$", timeout)


class Live(Lines):
    """A `reflect` process with stdin a pipe we type into, its stdout read line by line."""

    def __init__(self, *args: str) -> None:
        super().__init__(spawn(list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True))

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def read_by_it(self, timeout: float = 10) -> None:
        """Wait until the process has read everything typed so far (the pipe is empty) and
        dealt with it: it is back waiting in a read of its stdin."""
        assert self.proc.stdin is not None
        deadline = time.monotonic() + timeout
        unread = array.array("i", [1])
        while unread[0] or not reading_stdin(self.proc.pid):
            if time.monotonic() > deadline:
                pytest.fail(f"the process did not read its input within {timeout}s")
            time.sleep(0.01)
            fcntl.ioctl(self.proc.stdin.fileno(), termios.FIONREAD, unread)

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

    def end(self) -> None:
        """Kill it if it is still running (a test that failed half way)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def answered_up_to(n: int) -> Callable[[Live], None]:
    """Choose the role "hurt" in a SMALL_GUIDE session, answer the first `n` questions, and
    wait until each is saved."""
    def steps(s: Live) -> None:
        s.type(typed("it was me"))
        for i in range(n):
            s.wait_for(f"Question: {QUESTIONS[i]}")
            s.type(typed(f"answer {i}"))
            s.wait_for(SAVED)
    return steps
