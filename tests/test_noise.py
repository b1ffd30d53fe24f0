"""Endpointing in a noisy room, on the real parts: espeak-ng's Korean answers with a pause
inside each that is shorter than answer_silence, under steady noise made in the test (pink
and brown noise, a 50 Hz and a 100 Hz hum, a noise whose level changes) at several
signal-to-noise ratios, heard by the real SpokenEar with Vosk's Korean test model and
Silero VAD. Each answer ends answer_silence after its last word, within half a second and
never before, and none of its words starts inside the noise before, within or after it.

How the loudness rule does on the same recordings is measured, not tested:
`scripts/bench listen --only noise`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from noisy import NOISES, hear, in_noise
from spoken import KOREAN, RATE, said

from assistant.speech.listening.silero import Silero
from assistant.speech.stt.vosk import SpeechModel, VoskRecognizer

SILENCE = 3.0  # the default answer_silence
CASES = [(kind, snr) for kind in NOISES for snr in (20, 10, 5)]


@pytest.fixture(scope="module")
def sentences(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    tmp = tmp_path_factory.mktemp("noisy")
    return [said(tmp, text) for text in KOREAN]


@pytest.fixture(scope="module")
def recognizer(ko_model: Path) -> VoskRecognizer:
    return SpeechModel(ko_model).recognizer()


@pytest.mark.stt
@pytest.mark.parametrize(("kind", "snr"), CASES, ids=[f"{k}-{s}dB" for k, s in CASES])
def test_an_answer_in_noise_ends_on_the_silence_after_its_last_word(
        kind: str, snr: float, sentences: list[np.ndarray], recognizer: VoskRecognizer,
        tmp_path: Path) -> None:
    """Each answer is two sentences with a pause of 1, 1.5 or 2 s between them."""
    n = CASES.index((kind, snr)) % 3
    recording = in_noise([sentences[n], sentences[(n + 1) % 3]], 1.0 + 0.5 * n, kind, snr,
                         seed=n)
    ending = hear(recording, recognizer, Silero(RATE), SILENCE, tmp_path)
    assert ending.ended == "silence" and ending.text
    assert SILENCE <= ending.delay(recording) <= SILENCE + 0.5, ending
    assert not any(recording.inside_noise(at) for at in ending.starts), ending
