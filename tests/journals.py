"""Journal test data, for the tests: entries and sessions written through the real Writer,
a file read as a session of a journal of its own, the passphrase scripts give, the CLI
run on a real pseudo-terminal where it asks a question, and a spoken run held in the
middle of its set-up (its microphone file a FIFO) for as long as a test needs.

Shared by every journal, crypto and export test (the `journal` fixture is conftest's).
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import random
import select
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sessions import REPO

from assistant.journal import Entry, Journal, Mark, Record
from assistant.journal.header import Header, split_front_matter
from assistant.speech.audio.wavfiles import wav_bytes

T0 = datetime(2026, 11, 23, 21, 55, 0, tzinfo=timezone(timedelta(hours=1)))
PASS = {"REFLECT_PASSPHRASE": "a long passphrase"}  # the environment scripts give


def entry(n: int, text: str | None = None, **kw: object) -> Entry:
    """Answer number `n`: three per step, a minute apart from T0."""
    fields: dict = dict(step=f"step-{n // 3}", prompt=n % 3, title=f"Step {n // 3}",
                        question=f"Question {n}?",
                        text=f"Answer number {n}." if text is None else text,
                        at=T0 + timedelta(minutes=n), seconds=12.5 + n, ended="silence",
                        confidence=0.87)
    fields.update(kw)
    return Entry(**fields)


def write_session(journal: Journal, entries: list[Entry], end: bool = False) -> Path:
    """A rebuilding-trust session started at T0: the role "hurt", then `entries`."""
    with journal.start("rebuilding-trust", model="vosk-model-small-en-us-0.15",
                       started=T0) as writer:
        writer.mark(Mark("role", T0, value="hurt"))
        for e in entries:
            writer.answer(e)
        if end:
            writer.mark(Mark("end", T0 + timedelta(hours=1)))
        return writer.path


def read_copy(tmp_path: Path, data: bytes, name: str = "2026-11-23T21-55-00-x") -> Record:
    """Read `data` as a session file of a journal of its own."""
    folder = tmp_path / f"copy-{random.randrange(10**9)}"
    folder.mkdir()
    (folder / f"{name}.md").write_bytes(data)
    return Journal(folder).read(name)


def header_of(path: Path) -> Header:
    """The front-matter fields of a session file, as the journal reads them."""
    return split_front_matter(path.read_bytes())[0]


def on_tty(args: list[str], replies: list[tuple[str, str]],
           env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run reflect with a pseudo-terminal as its controlling terminal; answer each prompt
    (text to wait for, reply) in turn. Returns (exit code, everything it printed)."""
    master, slave = pty.openpty()

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "assistant", *args], stdin=slave,
                            stdout=slave, stderr=slave, cwd=REPO, start_new_session=True,
                            preexec_fn=controlling_tty, env={**os.environ, **(env or {})})
    os.close(slave)
    output = b""

    def read_until(done: Callable[[bytes], bool]) -> None:
        nonlocal output
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done(output):
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    output += os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    return

    for prompt, reply in replies:
        read_until(lambda out, p=prompt: p.encode() in out)
        assert prompt.encode() in output, output
        output = output.replace(prompt.encode(), b"<asked>", 1)
        os.write(master, reply.encode() + b"\n")
    read_until(lambda out: proc.poll() is not None)
    read_until(lambda out: not select.select([master], [], [], 0.1)[0])
    os.close(master)
    return proc.wait(timeout=30), output.decode("utf-8", "replace").replace("\r\n", "\n")


def waiting_at(fifo: Path, reader: subprocess.Popen[str]) -> int:
    """The FIFO opened for writing, once `reader` -- a spoken run given it as
    `--mic-file` -- has opened it to read: the run has read the journal and loaded the
    speech model it was given, has opened no session file yet, and waits there until
    `let_through`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and reader.poll() is None:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as err:  # no reader yet
            assert err.errno == errno.ENXIO, err
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        return fd
    pytest.fail(f"the run never opened its microphone file (exit status {reader.poll()})")


def let_through(fd: int) -> None:
    """Give the run waiting at a FIFO (`waiting_at`) a second of silence to go on with."""
    with os.fdopen(fd, "wb") as f:
        f.write(wav_bytes(np.zeros(16000, np.int16), 16000))
