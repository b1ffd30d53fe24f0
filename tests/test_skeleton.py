"""The package's skeleton: version, help, light start-up, and the code's lint check (run
here so that `scripts/test` exits with pytest's status and a finding shows as a test)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from assistant import __version__

REPO = Path(__file__).resolve().parent.parent
SUBCOMMANDS = ("run", "resume", "guides", "journal", "models", "devices", "doctor")
HEAVY = ("vosk", "sounddevice", "pyttsx3", "numpy", "yaml", "cryptography")


def test_version_and_help_name_every_subcommand(cli) -> None:
    assert cli("--version").stdout.strip() == f"reflect {__version__}"
    shown = cli("--help")
    assert shown.returncode == 0
    listed = {line.split()[0] for line in shown.stdout.splitlines() if line.startswith("    ")}
    assert set(SUBCOMMANDS) <= listed, listed


def test_help_imports_none_of_the_heavy_modules(cli) -> None:
    """`reflect --help` stays fast because speech, audio and crypto load only on use."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "assistant", "--help"],
                          capture_output=True, text=True, cwd=REPO, check=True)
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "assistant" in imported
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_the_code_is_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is missing: run scripts/setup --test (the test extras install it)"
    done = subprocess.run([ruff, "check", "--quiet", "assistant", "tests", "scripts"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
