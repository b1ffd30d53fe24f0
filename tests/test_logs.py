"""Where logging goes: a small private file, and nothing on the user's screen unless
--debug asks for it. The stderr checks run in a subprocess, where no pytest handler
hides what Python's logging would do on its own."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.terminal import logs

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def restore_logging():
    """Put the root logger back as pytest had it after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_info_and_up_go_to_a_private_file(reflect_home: Path) -> None:
    logs.setup(debug=False)
    log = logging.getLogger("assistant.test")
    log.debug("a debug note")
    log.info("an info note")
    log.warning("a warning")
    path = reflect_home / "cache" / "reflect.log"
    assert logs.log_file() == path
    text = path.read_text(encoding="utf-8")
    assert "an info note" in text and "a warning" in text and "debug note" not in text
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_the_log_stays_small_and_private_when_it_rotates(reflect_home: Path) -> None:
    logs.setup(debug=False)
    log = logging.getLogger("assistant.test")
    for n in range(8000):  # about 1 MiB
        log.info("line %05d %s", n, "x" * 100)
    files = sorted((reflect_home / "cache").glob("reflect.log*"))
    assert [f.name for f in files] == ["reflect.log", "reflect.log.1"]
    for file in files:
        assert file.stat().st_size <= logs.LOG_BYTES and mode(file) == 0o600
    assert "line 07999" in files[0].read_text(encoding="utf-8")


def test_a_second_setup_replaces_the_first(reflect_home: Path) -> None:
    logs.setup(debug=True)
    logs.setup(debug=False)
    ours = [h for h in logging.getLogger().handlers if h.__module__ != "_pytest.logging"]
    assert sorted(type(h).__name__ for h in ours) == ["NullHandler", "PrivateLog"]
    assert logging.getLogger().level == logging.INFO


def test_an_unwritable_home_means_no_log_file_and_no_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    in_the_way = tmp_path / "home-is-a-file"  # root may write anywhere; this fails for all
    in_the_way.write_text("")
    monkeypatch.setenv("REFLECT_HOME", str(in_the_way))
    logs.setup(debug=False)
    logging.getLogger("assistant.test").warning("nowhere to go")
    assert capfd.readouterr().err == ""


# pyttsx3's espeak driver logs "Attempting to set voice to: ..." with logging.debug(),
# which, with no handler on the root logger, would install one printing to stderr.
LOGGING_RUN = """
import logging, sys
from assistant.terminal import logs
logs.setup(debug=sys.argv[1] == "debug")
import pyttsx3
engine = pyttsx3.init()
engine.setProperty("voice", engine.getProperty("voice"))
logging.getLogger("assistant.speech.listening.ear").warning("a warning for the file")
logging.getLogger("assistant.speech.audio.wavfiles").debug("a debug note")
"""


def run_logging(how: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LOGGING_RUN, how], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REFLECT_HOME": str(home)})


@pytest.mark.tts
def test_without_debug_nothing_from_logging_reaches_stderr(tmp_path: Path) -> None:
    done = run_logging("plain", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = (tmp_path / "cache" / "reflect.log").read_text(encoding="utf-8")
    assert "a warning for the file" in text
    assert "debug note" not in text and "pyttsx3" not in text


@pytest.mark.tts
def test_with_debug_everything_goes_to_stderr_too(tmp_path: Path) -> None:
    done = run_logging("debug", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "assistant.speech.audio.wavfiles: a debug note" in done.stderr
    assert "DEBUG pyttsx3: Attempting to set voice" in done.stderr
    assert "a warning for the file" in (tmp_path / "cache" / "reflect.log").read_text(
        encoding="utf-8")


def test_a_link_planted_in_place_of_the_log_is_never_followed(reflect_home: Path,
                                                              tmp_path: Path) -> None:
    target = tmp_path / "someone-elses-file"
    target.write_text("theirs\n")
    (reflect_home / "cache").mkdir(parents=True)
    (reflect_home / "cache" / "reflect.log").symlink_to(target)
    logs.setup(debug=False)
    logging.getLogger("assistant.test").warning("not for that file")
    assert target.read_text() == "theirs\n"
