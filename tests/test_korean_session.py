"""A Korean session end to end on the real parts: a Korean guide, espeak-ng's Korean
answers (and, from a recording, its commands) as the microphone -- a recording, and the
virtual sound card -- vosk with the Korean test model, and what Reflect said checked
twice: printed, and its speaker file recognized back with the Korean model.

The small Korean model hears espeak-ng's short commands as other words, which the test
guide adds as its own phrases (tests/data/three-questions-ko.yaml); that Reflect's Korean
phrases themselves are words the model knows is test_vosk.py's to check.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sessions import Lines, only_session, spawn
from spoken import KOREAN, RATE, one_after_another, quiet, run_args, said, trimmed

from assistant.messages import Msg
from assistant.speech.audio import wavfiles
from assistant.speech.stt.vosk import SpeechModel
from assistant.text.spoken import spoken

GUIDE = Path(__file__).parent / "data" / "three-questions-ko.yaml"
PAUSE = 1.1  # inside the first answer: a sentence's end, not the answer's (spoken.SILENCE)
SENTENCE_PAUSE = "0.8"  # longer than any gap between the words of one espeak-ng sentence


@pytest.fixture(scope="module")
def voiced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """The first answer (two sentences and a pause), the skip and the stop, as said."""
    tmp = tmp_path_factory.mktemp("korean")
    return {"answer": np.concatenate([trimmed(said(tmp, KOREAN[0])), quiet(PAUSE),
                                      trimmed(said(tmp, KOREAN[1]))]),
            "skip": said(tmp, "넘어가"), "stop": said(tmp, "멈춰")}


def heard_back(wav: Path, model: Path) -> list[str]:
    """The words the Korean model hears in a speaker file."""
    pcm, rate = wavfiles.read_wav(wav)
    rec = SpeechModel(model).recognizer()
    words = []
    pcm = wavfiles.resample(pcm, rate, RATE)
    for start in range(0, len(pcm), RATE // 10):
        words += [w.text for w in rec.feed(pcm[start:start + RATE // 10].tobytes()) or []]
    return words + [w.text for w in rec.flush()]


def assert_two_sentences(text: str, words) -> None:
    """The first answer: two sentences, each ended with its mark at the pause; only the
    marks were added (no capitals, the words as the model wrote them)."""
    assert re.fullmatch(r"[^.?\s][^.?]*[.?] [^.?]+[.?]", text), text
    assert re.sub(r"[.?]", "", text) == " ".join(w.text for w in words)


def test_a_korean_session_from_a_recording(cli, ko_model: Path, tmp_path: Path,
                                           voiced: dict[str, np.ndarray]) -> None:
    """An answer of two sentences, a skipped question, then stop -- all in Korean, and
    Reflect's Korean "we'll stop here" heard back in its speaker file."""
    mic = tmp_path / "mic.wav"
    wavfiles.write_wav(mic, one_after_another([voiced["answer"], voiced["skip"],
                                               voiced["stop"]]), RATE)
    out = tmp_path / "out.wav"
    done = cli(*run_args(ko_model, "--mic-file", str(mic), "--speaker-file", str(out),
                         "--fast", "--sentence-pause", SENTENCE_PAUSE, guide=GUIDE))
    assert done.returncode == 0, done.stderr
    record = only_session()
    (first,) = record.entries
    assert first.step == "morning" and first.ended == "silence"
    assert_two_sentences(first.text, first.words)
    assert [(m.kind, m.step) for m in record.marks if m.kind == "skip"] == [("skip", "friend")]
    assert not record.finished
    for line in (spoken(Msg.HELP_HINT, "ko", help="도움말"), spoken(Msg.SKIPPED, "ko"),
                 spoken(Msg.STOPPED, "ko")):
        assert line in done.stdout, line
    assert Msg.STOPPED.format() not in done.stdout
    words = heard_back(out, ko_model)
    assert "여기서" in words, words  # Reflect's Korean "we'll stop here", heard back


@pytest.mark.audio
def test_a_korean_session_on_the_virtual_microphone(ko_model: Path, tmp_path: Path,
                                                    virtual_audio,
                                                    voiced: dict[str, np.ndarray]) -> None:
    """Three Korean answers on the default devices, each played into the microphone once
    Reflect listens: the first has its two sentences, Reflect's lines are Korean. (Its
    commands are tested from a recording: through the sound card the model hears
    espeak-ng's "멈춰" as another word each run, "넘치 과" or "과".)"""
    files = []
    for n, pcm in enumerate((voiced["answer"], said(tmp_path, KOREAN[2]),
                             said(tmp_path, KOREAN[0]))):
        files.append(tmp_path / f"answer{n}.wav")
        wavfiles.write_wav(files[-1], np.concatenate([quiet(0.3), pcm, quiet(0.3)]), RATE)
    proc = spawn(run_args(ko_model, "--sentence-pause", SENTENCE_PAUSE, guide=GUIDE),
                 text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    try:
        lines = Lines(proc)
        lines.expect(re.escape(spoken(Msg.HELP_HINT, "ko", help="도움말")))
        for wav in files:
            lines.expect(f"^{re.escape(Msg.LISTENING.format())}$")
            assert virtual_audio.play_into_mic(wav).wait(timeout=30) == 0
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    record = only_session()
    assert [e.step for e in record.entries] == ["morning", "friend", "evening"]
    assert_two_sentences(record.entries[0].text, record.entries[0].words)
    assert all(e.text.endswith((".", "?")) for e in record.entries)
    assert record.finished
