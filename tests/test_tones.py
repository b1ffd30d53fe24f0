"""tts/tones.py: the earcons."""

from __future__ import annotations

import numpy as np
import pytest
from soundcheck import peak_freq

from assistant.speech.tts import tones


def test_tones_are_short_soft_and_fade_in_and_out():
    for name in tones.TONES:
        pcm = tones.tone(name, 22050)
        assert 0.1 < len(pcm) / 22050 < 0.4
        assert np.abs(pcm).max() <= tones.TONE_LEVEL * 32767
        assert abs(int(pcm[0])) < 300 and abs(int(pcm[-1])) < 300


def test_listening_rises_and_saved_is_two_notes():
    rate = 22050
    listening = tones.tone("listening", rate)
    half = len(listening) // 2
    assert peak_freq(listening[half:], rate) > peak_freq(listening[:half], rate) + 100
    saved = tones.tone("saved", rate)
    loud = np.abs(saved) > 200
    gaps = np.flatnonzero(np.convolve(~loud, np.ones(int(0.03 * rate)), "valid")
                          >= int(0.03 * rate))
    assert len(gaps)  # a quiet gap between the two notes
    first, second = saved[: gaps[0]], saved[gaps[-1] + int(0.03 * rate):]
    assert peak_freq(second, rate) > peak_freq(first, rate)
    assert not np.array_equal(listening[: len(saved)], saved[: len(listening)])


def test_unknown_tone_is_an_error():
    with pytest.raises(KeyError):
        tones.tone("fanfare", 16000)
