"""A Piper voice run in stages (tts/vits.py) on the real joe voice and real onnxruntime: the
pieces it plays one after the other are the sentence the whole model makes.

With the model's two noise scales at 0 it makes the same sound at every run, so the
pieces can be compared with the whole graph run by onnxruntime itself, as Piper runs it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from piper import PiperVoice

from assistant.assets import voices
from assistant.speech.tts import vits

SENTENCE = ("Picture the next time the two of you meet, and what you hope will be "
            "different about the way you talk.")


@pytest.fixture(scope="module")
def feed(joe: voices.InstalledVoice) -> dict[str, np.ndarray]:
    """The sentence as Piper feeds its model, with no noise: the same sound every time."""
    voice = PiperVoice.load(joe.model, joe.config)
    ids = np.array([voice.phonemes_to_ids(voice.phonemize(SENTENCE)[0])], np.int64)
    return {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64),
            "scales": np.array([0.0, 1.0, 0.0], np.float32)}


def whole(model: Path, feed: dict[str, np.ndarray]) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return session.run(None, feed)[0].squeeze()


def test_the_pieces_joined_are_the_sentence_the_whole_model_makes(
        joe: voices.InstalledVoice, feed: dict[str, np.ndarray]) -> None:
    pieces = list(vits.Model(joe.model, onnxruntime.SessionOptions()).sound(feed))
    expected = whole(joe.model, feed)
    joined = np.concatenate(pieces)
    assert len(pieces) >= 3  # the sentence is about 4 s: 24, 48, 96 ... frames
    assert len(pieces[0]) == vits.FIRST * 256  # the first piece is short: it comes soon
    assert [len(p) for p in pieces[:3]] == [vits.FIRST * 256 * 2 ** n for n in range(3)]
    assert len(joined) == len(expected)
    # float32 arithmetic in another order: differences far below one int16 step (3e-5)
    assert np.abs(joined - expected).max() < 3e-5


def test_a_graph_without_the_parts_it_cuts_at_is_run_whole(
        joe: voices.InstalledVoice, feed: dict[str, np.ndarray], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    graph = onnx.load(str(joe.model))
    for node in graph.graph.node:
        node.name = node.name.replace("/dec/", "/decoder/")  # exported by some other tool
    renamed = tmp_path / "renamed.onnx"
    onnx.save(graph, str(renamed))
    with caplog.at_level(logging.INFO, logger=vits.__name__):
        pieces = list(vits.Model(renamed, onnxruntime.SessionOptions()).sound(feed))
    assert len(pieces) == 1
    assert np.abs(pieces[0] - whole(joe.model, feed)).max() < 3e-5
    assert "made a sentence at a time: it has no part /dec/" in caplog.text


def test_a_damaged_voice_file_is_said_plainly(joe: voices.InstalledVoice,
                                              tmp_path: Path) -> None:
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(joe.model.read_bytes()[:200_000])
    with pytest.raises(ValueError, match=r"^its file is damaged or incomplete$"):
        vits.Model(cut, onnxruntime.SessionOptions())
