"""Vosk, as a Recognizer (stt/recognizer.py): load a model once and make its recognizer.

One `SpeechModel` and one recognizer serve a whole run (a recognizer is reset between
answers, not rebuilt). Loading a model takes seconds, so the folder is checked at once
but loaded by the first `recognizer()` call -- which the ear makes in the background
while Reflect speaks the introduction -- or by `load()`, called up front when a broken
model must stop the run before it starts. A fresh recognizer also stalls on its first
audio while Kaldi fills its caches, so `recognizer()` warms it up with a little noise.

Kaldi and OpenFst write their errors from C++ straight to file descriptor 2 (Vosk's log
level cannot silence ERROR lines, and they can quote raw bytes of a broken model file),
so while a model loads that descriptor goes to a private temporary file: their lines go
to the log, anything else written meanwhile goes on to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.assets.models import layout_problem
from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.speech.nativelog import native_stderr_to_log
from assistant.speech.stt.recognizer import Word

log = logging.getLogger(__name__)

DEFAULT_RATE = 16000
WARM_UP_SECONDS = 1.5
# How Kaldi ("ERROR (VoskAPI:Read():kaldi-matrix.cc:1620) ...") and OpenFst ("ERROR:
# FstHeader::Read: ...") start their lines.
NATIVE_LINE = re.compile(
    rb"(?:(?:LOG|WARNING|ERROR|ASSERTION_FAILED|VLOG\[\d+\]) \(|(?:INFO|WARNING|ERROR|FATAL): )")


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
            raise BadInput(Msg.NOT_A_MODEL, path=self.path,
                           reason=Msg.NOT_A_MODEL_LACKS.format(missing=missing))
        self.sample_rate = model_rate(self.path)
        self.name = self.path.name if self.path.name != "model" else self.path.parent.name
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The vosk.Model, loaded on first use (from any thread; later calls return it);
        BadInput (exit 2) with one sentence if Vosk cannot load it."""
        with self._lock:
            if self._model is None:
                import vosk

                vosk.SetLogLevel(-1)  # otherwise Kaldi writes its log over the user's screen
                with native_stderr_to_log("vosk", NATIVE_LINE):
                    try:
                        self._model = vosk.Model(str(self.path))
                    except Exception as err:  # vosk raises a bare Exception("Failed to ...")
                        raise BadInput(Msg.NOT_A_MODEL, path=self.path,
                                       reason=Msg.NOT_A_MODEL_DAMAGED.format()) from err
            return self._model

    def recognizer(self, warm: bool = True,
                   grammar: Sequence[str] | None = None) -> VoskRecognizer:
        """A recognizer of this model, warmed up unless `warm` is False; with `grammar`,
        one that hears only those phrases (listening/bargein.py)."""
        rec = VoskRecognizer(self.load(), self.sample_rate, grammar)
        if warm:
            rec.warm_up()
        return rec


class VoskRecognizer:
    """Implements stt.Recognizer with a vosk.KaldiRecognizer, with word timings and
    confidences."""

    def __init__(self, model: Any, rate: int, grammar: Sequence[str] | None = None) -> None:
        import vosk

        self.rate = rate
        # With a grammar, "[unk]" (anything outside it) is kept as a word: an utterance
        # holding one is more than a command ("I want to stop feeling this way" is not
        # "stop"), which the command matcher then sees.
        self._kept = is_word if grammar is None else _word_or_unknown
        if grammar is None:
            self._rec = vosk.KaldiRecognizer(model, rate)
        else:
            # Vosk reads the phrases as UTF-8 text (it does not undo JSON's \u escapes),
            # and warns on fd 2 about each word its model lacks.
            with native_stderr_to_log("vosk", NATIVE_LINE):
                self._rec = vosk.KaldiRecognizer(
                    model, rate, json.dumps([*grammar, "[unk]"], ensure_ascii=False))
        # A grammar only ever at birth (SetGrammar): on a recognizer that has taken audio
        # it aborts vosk 0.3.45, and this one takes audio from its warm-up on.
        self._rec.SetWords(True)
        self._samples = 0  # fed since it was made: Vosk's word times count from there too

    @property
    def elapsed(self) -> float:
        return self._samples / self.rate

    def feed(self, pcm: bytes) -> list[Word] | None:
        self._samples += len(pcm) // 2
        if self._rec.AcceptWaveform(pcm):
            return parse(self._rec.Result(), self._kept)
        return None

    def partial(self) -> list[str]:
        found = str(json.loads(self._rec.PartialResult() or "{}").get("partial", ""))
        return [w for w in found.split() if self._kept(w)]

    def flush(self) -> list[Word]:
        return parse(self._rec.FinalResult(), self._kept)

    def reset(self) -> None:
        self._rec.Reset()

    def warm_up(self, seconds: float = WARM_UP_SECONDS) -> None:
        """Feed quiet noise and then bursts of louder noise, then reset: the first real
        speech is then decoded without the start-up stall (the clock keeps the time fed)."""
        import numpy as np

        rng = np.random.default_rng(0)
        n = int(self.rate * seconds)
        noise = rng.normal(0.0, 30.0, n)
        t = np.arange(n) / self.rate
        bursts = rng.normal(0.0, 3000.0, n) * (np.sin(2 * np.pi * 4 * t) > 0)
        pcm = np.concatenate([noise, bursts]).astype(np.int16).tobytes()
        step = self.rate // 5 * 2  # 0.2 s of int16 samples
        for i in range(0, len(pcm), step):
            self.feed(pcm[i:i + step])
        self.flush()
        self.reset()


def is_word(word: str) -> bool:
    """False for the recognizer's non-speech tokens ("[noise]", "<unk>", "~", "[2]")."""
    w = word.strip()
    return bool(w) and w[0] not in "[<" and any(c.isalpha() for c in w)


def _word_or_unknown(word: str) -> bool:
    return is_word(word) or word.strip() == "[unk]"


def parse(result: str, kept: Callable[[str], bool] = is_word) -> list[Word]:
    """The words of a final vosk JSON result (each with `word`, `conf`, `start`, `end`)."""
    return [Word(w["word"], float(w["start"]), float(w["end"]),
                 float(w["conf"]) if "conf" in w else None)
            for w in json.loads(result or "{}").get("result", []) if kept(w["word"])]
