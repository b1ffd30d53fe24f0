"""`reflect devices` and `reflect voices` on the real PortAudio and espeak-ng."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


@pytest.mark.audio
def test_devices_lists_the_virtual_card_with_defaults(cli, virtual_audio) -> None:
    done = cli("devices")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "Input devices (microphones):"
    inputs = out[1:out.index("Output devices (speakers):")]
    line = re.compile(r"^  \d+: .+, \d+ channels, \d+ Hz(, the default)?$")
    assert inputs and all(line.match(x) for x in inputs), inputs
    assert sum(x.endswith(", the default") for x in inputs) == 1
    outputs = out[out.index("Output devices (speakers):") + 1:-1]
    assert outputs and all(line.match(x) for x in outputs), outputs
    assert sum(x.endswith(", the default") for x in outputs) == 1


@pytest.mark.audio
def test_devices_without_a_sound_server_says_none_found(cli, tmp_path: Path) -> None:
    done = cli("devices", env={"PULSE_SERVER": f"unix:{tmp_path}/no-such-socket"})
    assert done.returncode == 0
    assert done.stdout.splitlines()[:4] == [
        "Input devices (microphones):", "  none found",
        "Output devices (speakers):", "  none found"]


@pytest.mark.tts
def test_voices_by_language(cli) -> None:
    done = cli("voices")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert "en:" in out and "ko:" in out
    english = out[out.index("en:") + 1]
    assert english.startswith("  ") and "(id " in english
    assert out[-1] == "Choose one with `reflect config set voice ID`."
