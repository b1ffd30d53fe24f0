"""How a spoken answer ends, on the real parts (Vosk with the Korean test model, the
virtual sound card, real files): on silence even when Vosk keeps its utterance open, and
on Ctrl-C, SIGTERM or SIGHUP with the words on the live line saved.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sessions import only_session, spawn
from spoken import (
    KOREAN,
    RATE,
    SILENCE,
    Terminal,
    answer_on_the_sound_card,
    one_after_another,
    questions,
    quiet,
    run_args,
    run_on_recording,
    said,
    speech_seconds,
)

from assistant.messages import Msg
from assistant.speech.audio import wavfiles

# Vosk most often holds its utterance open for 10-19 s of silence after the one word 여기,
# when it follows a warm-up or another answer (found by trying: most phrases close within
# a second); so two of the three answers are that word.
ANSWERS = ("여기", "친구와 전화로 이야기를 나눴어요", "여기")


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    tmp = tmp_path_factory.mktemp("endings")
    return [said(tmp, text) for text in ANSWERS]


def assert_each_answer_under_its_question(answers: list[np.ndarray]) -> None:
    record = only_session()
    assert [(e.step, e.question) for e in record.entries] == questions()
    assert [e.ended for e in record.entries] == ["silence"] * 3
    for entry, pcm in zip(record.entries, answers, strict=True):
        assert entry.text.strip()
        assert entry.seconds <= speech_seconds(pcm) + 0.5, (entry.text, entry.seconds)
    assert record.finished


def test_a_word_vosk_holds_open_ends_on_silence_from_a_recording(
        cli, ko_model: Path, tmp_path: Path, answers: list[np.ndarray]) -> None:
    run_on_recording(cli, ko_model, tmp_path, one_after_another(answers), "--fast")
    assert_each_answer_under_its_question(answers)


def test_a_word_vosk_holds_open_ends_on_silence_on_the_sound_card(
        ko_model: Path, tmp_path: Path, virtual_audio, answers: list[np.ndarray]) -> None:
    # Waiting for Vosk to close the utterance took 19 s here; the silence rule ends the
    # answer SILENCE after the word (plus the speaker's and Vosk's lag).
    answer_on_the_sound_card(ko_model, tmp_path, virtual_audio, answers,
                             heard_within=SILENCE + 3)
    assert_each_answer_under_its_question(answers)


# --- Ctrl-C, SIGTERM, SIGHUP mid-answer --------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_mid_answer_saves_the_words_on_the_live_line(
        ko_model: Path, tmp_path: Path, virtual_audio, signum: int) -> None:
    long_answer = np.concatenate([quiet(0.3), *(said(tmp_path, text) for text in KOREAN)])
    wav = tmp_path / "long-answer.wav"
    wavfiles.write_wav(wav, long_answer, RATE)
    terminal = Terminal()
    # A long answer_silence: only the signal can end this answer.
    args = run_args(ko_model)
    args[args.index("--answer-silence") + 1] = "20"
    proc = spawn(args, stdin=subprocess.DEVNULL, stdout=terminal.slave,
                 stderr=subprocess.PIPE, env={"COLUMNS": "400"})
    player = None
    try:
        terminal.wait_for(re.escape(questions()[0][1]), timeout=60)
        terminal.wait_for(Msg.LISTENING.format(), timeout=30)
        player = virtual_audio.play_into_mic(wav)
        terminal.wait_for_words(6, timeout=30)  # words from two sentences
        player.kill()  # the user stops mid-answer: the live line settles, then the signal
        shown = terminal.settled_words(still=1.5, timeout=15)
        if signum == signal.SIGHUP:  # the terminal window is closed
            terminal.hang_up()
        proc.send_signal(signum)
        status = proc.wait(timeout=30)
        if signum != signal.SIGHUP:
            terminal.read(0.5)
            # what the live line showed last, just before the closing sentences
            before = terminal.text().split(Msg.INTERRUPTED_SAVED.format())[0]
            shown = before.rstrip().split("\n")[-1].split("\r")[-1].split()
    finally:
        if proc.poll() is None:
            proc.kill()
        if player is not None:
            player.kill()
            player.wait()
        terminal.close()
    errors = proc.stderr.read().decode() if proc.stderr else ""
    assert status == 128 + signum, errors
    assert "Traceback" not in errors and not errors.strip(), errors
    record = only_session()
    (entry,) = record.entries
    assert entry.ended == "interrupted" and entry.question == questions()[0][1]
    saved = [w.text for w in entry.words]  # as heard (the text is them made readable)
    assert entry.text.split() == saved  # Korean has no letter case: kept as heard
    assert all(saved.count(w) >= shown.count(w) for w in shown), (shown, saved)
    assert not record.finished
    if signum != signal.SIGHUP:
        said_after = terminal.text().split(shown[-1])[-1]
        assert Msg.INTERRUPTED_SAVED.format() in said_after
        assert Msg.RESUME_HOW.format(session=record.id) in said_after
