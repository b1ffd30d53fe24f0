"""Speech-to-text on the device: load a Vosk model once and make its recognizer.

One `SpeechModel` and one recognizer serve a whole run (a recognizer is reset between
answers, not rebuilt). Loading a model takes seconds, so the folder is checked at once
but loaded by the first `recognizer()` call -- which the ear makes in the background
while Reflect speaks the introduction. A fresh recognizer also stalls on its first audio
while Kaldi fills its caches, so `warm_up` feeds it a little noise first.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from assistant.messages import EXIT_BAD_INPUT, Msg, ReflectError
from assistant.models import layout_problem

DEFAULT_RATE = 16000
WARM_UP_SECONDS = 1.5


def model_rate(path: Path) -> int:
    """The rate the model was trained at (`--sample-frequency` in conf/mfcc.conf)."""
    conf = path / "conf" / "mfcc.conf"
    text = conf.read_text(encoding="utf-8", errors="replace") if conf.is_file() else ""
    found = re.search(r"^\s*--sample-frequency\s*=\s*([0-9.]+)", text, re.MULTILINE)
    return int(float(found.group(1))) if found else DEFAULT_RATE


class SpeechModel:
    """A Vosk model folder; `.recognizer()` loads it (once) and makes a recognizer."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        missing = layout_problem(self.path)
        if missing:
            raise ReflectError(Msg.NOT_A_MODEL, EXIT_BAD_INPUT, path=self.path,
                               reason=f"it has no {missing}")
        self.sample_rate = model_rate(self.path)
        self.name = self.path.name if self.path.name != "model" else self.path.parent.name
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The vosk.Model, loaded on first use; ReflectError if Vosk cannot load it."""
        with self._lock:
            if self._model is None:
                import vosk

                vosk.SetLogLevel(-1)  # otherwise Kaldi writes its log over the user's screen
                try:
                    self._model = vosk.Model(str(self.path))
                except Exception as err:  # vosk raises a bare Exception("Failed to ...")
                    raise ReflectError(Msg.NOT_A_MODEL, EXIT_BAD_INPUT, path=self.path,
                                       reason="Vosk could not load it") from err
            return self._model

    def recognizer(self) -> Any:
        """A recognizer with word timings and confidences (never given a grammar later:
        SetGrammar on a recognizer that has taken audio aborts vosk 0.3.45)."""
        import vosk

        rec = vosk.KaldiRecognizer(self.load(), self.sample_rate)
        rec.SetWords(True)
        return rec

    def warm_up(self, rec: Any, seconds: float = WARM_UP_SECONDS) -> float:
        """Feed quiet noise and then bursts of louder noise, then reset: the first real
        speech is then decoded without the start-up stall. Returns the seconds fed (the
        recognizer's clock keeps counting them after a Reset)."""
        import numpy as np

        rng = np.random.default_rng(0)
        n = int(self.sample_rate * seconds)
        noise = rng.normal(0.0, 30.0, n)
        t = np.arange(n) / self.sample_rate
        bursts = rng.normal(0.0, 3000.0, n) * (np.sin(2 * np.pi * 4 * t) > 0)
        pcm = np.concatenate([noise, bursts]).astype(np.int16).tobytes()
        step = self.sample_rate // 5 * 2  # 0.2 s of int16 samples
        for i in range(0, len(pcm), step):
            rec.AcceptWaveform(pcm[i:i + step])
        rec.FinalResult()
        rec.Reset()
        return len(pcm) / 2 / self.sample_rate


def parse(result: str) -> list[dict[str, Any]]:
    """The words (with `word`, `conf`, `start`, `end`) of a final vosk JSON result."""
    return list(json.loads(result or "{}").get("result", []))


def partial_words(result: str) -> list[str]:
    """The words of a vosk partial result (no timings: they lag the audio anyway)."""
    return str(json.loads(result or "{}").get("partial", "")).split()
