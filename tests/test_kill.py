"""Nothing lost: a typed session killed with SIGKILL at several points, and a journal that
cannot be written to, with the real CLI process, real files and `reflect resume`.

The test types into the process's stdin step by step and reads its stdout to know where
the session is -- the same plain lines a user (or a screen reader) sees."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sessions import QUESTIONS, Lines, Live, answered_up_to, only_session, spawn, typed

from assistant.config import paths
from assistant.journal import Journal
from assistant.messages import Msg
from assistant.speech.audio.wavfiles import write_wav


@pytest.fixture
def live(small_guide: str):
    started: list[Live] = []

    def start() -> Live:
        session = Live("run", "--text", small_guide)
        started.append(session)
        return session

    yield start
    for session in started:  # only our own processes, by their handle
        session.end()


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

    record = only_session()  # the journal parses after the kill
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
    record = only_session()
    assert record.finished
    assert [e.text for e in record.entries] == [
        *(f"answer {i}" for i in range(kept)), *rest]
    assert [e.question for e in record.entries] == QUESTIONS


def test_full_disk_shows_the_unsaved_answer_and_keeps_earlier_ones(live, cli) -> None:
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    path = only_session().path
    before = path.read_bytes()
    limit = len(before) + 40  # room for part of the next block only: a write fails midway
    resource.prlimit(session.proc.pid, resource.RLIMIT_FSIZE, (limit, limit))
    session.type(typed("words that do not fit on the disk"))
    status, stderr = session.exit()

    assert status != 0
    assert "words that do not fit on the disk" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert path.read_bytes().startswith(before)  # earlier blocks untouched
    record = only_session()
    assert [e.text for e in record.entries] == ["answer 0"]
    (torn,) = record.set_aside  # the part of the block that fitted: kept aside, not merged
    assert QUESTIONS[1].startswith(torn.split(" \u2014 ")[1])

    resumed = cli("resume", "--text", input=typed("fits now", "c", "d"))
    assert resumed.returncode == 0, resumed.stderr
    record = only_session()
    assert record.finished and record.set_aside == [torn]
    assert [e.text for e in record.entries] == ["answer 0", "fits now", "c", "d"]


def test_read_only_journal_shows_the_unsaved_answer(live) -> None:
    session = live()
    answered_up_to(1)(session)
    session.wait_for(f"Question: {QUESTIONS[1]}")
    path = only_session().path
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
    record = only_session()
    session.wait_for(Msg.SAVED_IN.format(path=record.path))
    session.wait_for(Msg.RESUME_HOW.format(session=record.id))
    status, stderr = session.exit()
    assert status == 128 + signum, stderr
    assert stderr == ""
    record = only_session()
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
    assert [e.text for e in only_session().entries] == ["answer 0"]


def opens_a_file_in(proc: subprocess.Popen[str], folder: Path) -> None:
    """Wait until `proc` has a file of `folder` open (a speech model being loaded)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError):  # a descriptor closed while we look
            if any(os.readlink(fd).startswith(f"{folder}/")
                   for fd in Path(f"/proc/{proc.pid}/fd").iterdir()):
                return
        time.sleep(0.01)
    pytest.fail(f"it never opened a file of {folder} (exit status {proc.poll()})")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_while_the_model_loads_ends_the_session_the_same_way(
        small_guide: str, ko_model: Path, tmp_path: Path, signum: int) -> None:
    """Ctrl-C, SIGTERM and SIGHUP while a spoken run is still setting up -- a chosen
    model loads for seconds -- end it as they do later: the one sentence, exit 128+signal,
    no traceback, no session file started."""
    mic = tmp_path / "silence.wav"
    write_wav(mic, np.zeros(16000, np.int16), 16000)
    run = Lines(spawn(["run", small_guide, "--model", str(ko_model), "--mic-file", str(mic),
                       "--speaker-file", str(tmp_path / "out.wav"), "--no-tones"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True))
    try:
        opens_a_file_in(run.proc, ko_model.resolve())
        run.proc.send_signal(signum)
        run.wait_for(Msg.INTERRUPTED_ALL_SAVED.format())
        assert run.proc.wait(timeout=60) == 128 + signum
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
    assert run.proc.stderr is not None and run.proc.stderr.read() == ""
    assert not any(line.startswith("Question:") for line in run.seen)
    assert Journal(paths().journal_dir).sessions() == []
