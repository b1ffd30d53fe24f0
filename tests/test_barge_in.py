"""Commands heard while Reflect speaks, on the real parts: the virtual sound card with an
echo path (Reflect's voice comes back into its microphone, echoroom.py), real Piper or
espeak-ng narration, Silero, and a grammar-restricted Vosk recognizer of the test model.
The Korean test model knows no English command word, so Korean words are added as
commands the way the `commands` setting adds them (echoroom.KOREAN_COMMANDS)."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from echoroom import (
    KOREAN_COMMANDS,
    LONG,
    EchoRoom,
    command_said,
    cut_short,
    echo_path,
    guide_texts,
    overheard,
)
from english import Joe, quiet, write
from sessions import Lines, spawn
from spoken import run_args

from assistant.messages import Msg

RATE = 16000

STOPS_WITHIN = 0.3  # seconds from the end of a command to the end of Reflect's voice
SLACK = 0.3  # more on a loaded two-core CI machine; the bench reports the real figures
# Whisper hears a command in a glimpse of 50-100 ms (a window as long as the clip);
# measured with headphones (scripts/bench whisper --only barge-in): median 165 ms, p95 201
# ms; the goal is a p95 of 0.6 s
WHISPER_STOPS_WITHIN = 0.6


@pytest.fixture
def echo_room(virtual_audio, ko_model: Path):
    with echo_path(virtual_audio.pactl):
        room = EchoRoom(ko_model)
        try:
            yield room
        finally:
            room.close()


@pytest.mark.parametrize("canceller", ["none", "module-echo-cancel"])
def test_a_command_over_the_narration_cuts_it_short(virtual_audio, ko_model: Path,
                                                     tmp_path: Path, canceller: str) -> None:
    wav, pcm = command_said("멈춰", tmp_path)
    with contextlib.ExitStack() as stack:
        stack.enter_context(echo_path(virtual_audio.pactl))
        if canceller != "none":
            stack.enter_context(virtual_audio.echo_cancelled())
        room = EchoRoom(ko_model)
        stack.callback(room.close)
        narrated, stopped = cut_short(room, virtual_audio, [LONG], wav, pcm, 4.0, tmp_path)
    assert narrated.hushed and narrated.command == "stop"
    assert stopped < STOPS_WITHIN + SLACK, stopped
    assert narrated.seconds < 10  # LONG takes over 20 s to say


@pytest.fixture(scope="module")
def joe_says(joe, tmp_path_factory: pytest.TempPathFactory):
    """An English command said by the Piper joe voice, as command_said makes one."""
    say = Joe(joe)

    def make(text: str) -> tuple[Path, np.ndarray]:
        pcm = say.says(text)
        wav = write(tmp_path_factory.mktemp("joe") / "command.wav", [quiet(0.2), pcm, quiet(0.2)])
        return wav, pcm
    return make


@pytest.fixture(scope="module")
def whisper_model():
    from assistant.assets import whispers
    from assistant.speech.engines import open_model

    model = open_model(whispers.find(whispers.CATALOGUE[0]))
    model.recognizer()  # loaded and warmed, as the ear does while the introduction plays
    return model


@pytest.mark.parametrize("said,command", [("Stop.", "stop"), ("Help.", "help"),
                                          ("Repeat that.", "repeat")])
def test_an_english_command_over_the_narration_cuts_it_short_with_whisper(
        virtual_audio, joe_says, whisper_model, tmp_path: Path, said: str,
        command: str) -> None:
    """Whisper, which no grammar holds to the command phrases, in its command mode, with
    headphones (no echo path): the command is transcribed at its first pause and matched
    whole. Through an echo without a canceller Whisper often hears the echo's words with
    the command's, and `scripts/bench whisper` measures how often. tiny.en hears Piper's
    "Skip." through the sound card as "Let's get." (and "Skip this one." as "Let's get
    this one."): a known miss, in the note, not tested here."""
    wav, pcm = joe_says(said)
    with overheard(virtual_audio.pactl) as device:
        room = EchoRoom(whisper_model)
        try:
            narrated, stopped = cut_short(room, virtual_audio, [LONG], wav, pcm, 5.0, tmp_path,
                                          device)
        finally:
            room.close()
    assert narrated.hushed and narrated.command == command
    assert stopped < WHISPER_STOPS_WITHIN + SLACK, stopped
    assert narrated.seconds < 12  # LONG takes over 20 s to say


def test_the_guide_over_its_echo_makes_no_whisper_command(virtual_audio,
                                                          whisper_model) -> None:
    """Reflect's own voice, heard back at -10 dB, is not a command to Whisper either (it
    writes the echo's words, which are not one): the first three minutes of the guide."""
    with echo_path(virtual_audio.pactl):
        room = EchoRoom(whisper_model)
        try:
            narrated = room.narrate(guide_texts(minutes=3))
        finally:
            room.close()
    assert not narrated.hushed and narrated.command is None
    assert narrated.seconds > 120, narrated.seconds


def test_a_whole_guide_narrated_over_its_echo_hears_no_command(echo_room: EchoRoom) -> None:
    """Twelve minutes of the bundled guide, every word heard back at -10 dB: its own voice
    never cuts Reflect short."""
    narrated = echo_room.narrate(guide_texts())
    assert not narrated.hushed and narrated.command is None
    assert narrated.seconds > 300, narrated.seconds  # it was all said, in real time


# --- the whole session, as a user starts it --------------------------------------------


def session(tmp_path: Path, barge_in: str, ko_model: Path) -> subprocess.Popen[str]:
    guide = tmp_path / "long.yaml"
    guide.write_text(
        "id: long-test\ntitle: A long part\nlanguage: en\nintro: One long part.\n"
        f"steps:\n  - id: one\n    title: One\n    say: {json.dumps(LONG)}\n"
        "    prompts:\n      - ask: What did you notice?\n", encoding="utf-8")
    commands = "; ".join(f"{name}={', '.join(words)}"
                         for name, words in KOREAN_COMMANDS.items())
    return spawn([*run_args(ko_model, guide=guide), "--debug"], text=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 env={"REFLECT_COMMANDS": commands, "REFLECT_BARGE_IN": barge_in})


@pytest.mark.parametrize("barge_in", ["on", "off"])
def test_stop_said_during_the_narration(virtual_audio, ko_model: Path, tmp_path: Path,
                                        reflect_home: Path, barge_in: str) -> None:
    """On: the narration stops, the question is never asked aloud, the session stops and
    keeps nothing (what was said over Reflect's voice is never an answer). Off: as before
    barge-in, nothing is heard until the question has been asked (then Ctrl-C ends it)."""
    wav, _ = command_said("멈춰", tmp_path)
    with echo_path(virtual_audio.pactl):
        proc = session(tmp_path, barge_in, ko_model)
        try:
            lines = Lines(proc)
            lines.expect(re.escape(LONG[:40]), timeout=60)
            time.sleep(3.0)
            assert virtual_audio.play_into_mic(wav).wait(timeout=30) == 0
            if barge_in == "on":
                lines.expect(re.escape(Msg.STOPPED.format()), timeout=60)
                assert proc.wait(timeout=60) == 0
            else:
                lines.expect(f"^{Msg.LISTENING.format()}$", timeout=60)
                proc.send_signal(signal.SIGINT)
                assert proc.wait(timeout=60) == 128 + signal.SIGINT
        finally:
            if proc.poll() is None:
                proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    heard = re.findall(r"heard while speaking: '[^']*' \((\w+)\)", err)
    assert heard == (["stop"] if barge_in == "on" else []), err[-3000:]
    journal = next((reflect_home / "data" / "journal").glob("*.md")).read_text("utf-8")
    assert not any(word in journal for words in KOREAN_COMMANDS.values() for word in words)
