"""Whisper (faster-whisper on CTranslate2), as a Recognizer (stt/recognizer.py): English answers
written with Whisper's own case and punctuation.

Whisper is not a streaming engine: it transcribes a clip. The recognizer makes utterances
of the audio it is fed with a speech detector of its own (listening/vad.py): an utterance opens
at speech (with PAD of audio before it) and closes after PAUSE of no speech, and only then
is it transcribed -- so a command said on its own is heard at the pause after it, an
answer is transcribed utterance by utterance while it is spoken (the end of a long answer
waits for its last utterance only), and silence and noise are never transcribed at all.
Each utterance is prompted with the text of the ones before it in the same answer, so
Whisper carries a sentence on across a pause. An utterance that runs past LONGEST without
a pause is closed anyway: Whisper reads 30 s at a time.

Whisper itself is asked through an Engine (stt/whisperengine.py): the words of an
utterance with their times, or a quick glimpse of it for the live line.

The weights' md5 is checked before they load (assets/whispers.py); the model is loaded from its
package's folder with the Hugging Face hub off (stt/whisperengine.py), so nothing is ever
fetched.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.assets.whispers import Packaged, problem
from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.speech.listening.vad import SpeechDetector
from assistant.speech.stt.whisperengine import PAD, RATE, Engine, clip_of
from assistant.turns import Word

if TYPE_CHECKING:
    from assistant.speech.stt.whispercommands import CommandRecognizer

PAUSE = 0.6  # seconds of no speech that close an utterance
LONGEST = 25.0  # seconds: an utterance this long is closed without a pause
PARTIAL_EVERY = 1.0  # seconds of new audio between two live transcripts
PROMPT_CHARS = 200  # of the answer so far, given to Whisper as context


class WhisperModel:
    """A packaged Whisper model; `.recognizer()` loads it (once) and makes a recognizer."""

    sample_rate = RATE

    def __init__(self, packaged: Packaged, detector: Callable[[], SpeechDetector]) -> None:
        self.packaged = packaged
        self.path = packaged.path
        self.name = packaged.name
        self._detector = detector
        self._model: Engine | None = None
        self._lock = threading.Lock()

    def load(self) -> Engine:
        """The engine, loaded on first use once its weights are shown
        whole; BadInput (exit 2) with one sentence when they are not."""
        with self._lock:
            if self._model is None:
                wrong = problem(self.packaged)
                if wrong:
                    raise BadInput(Msg.WHISPER_DAMAGED, name=self.packaged.info.spec,
                                   problem=wrong, requirement=self.packaged.info.requirement)
                try:
                    self._model = Engine.open(self.path)
                except Exception as err:  # CTranslate2 raises RuntimeError on a bad folder
                    raise BadInput(Msg.WHISPER_DAMAGED, name=self.packaged.info.spec,
                                   problem=str(err), requirement=self.packaged.info.requirement
                                   ) from err
            return self._model

    def recognizer(self, warm: bool = True, grammar: Sequence[str] | None = None
                   ) -> WhisperRecognizer | CommandRecognizer:
        """A recognizer for answers; with `grammar` (the command phrases, which Whisper
        cannot be held to) one for commands said over Reflect's voice."""
        if grammar is not None:
            from assistant.speech.stt.whispercommands import CommandRecognizer

            return CommandRecognizer(self.load())
        rec = WhisperRecognizer(self.load(), self._detector())
        if warm:
            rec.engine.glimpse(np.random.default_rng(0).normal(
                0.0, 0.01, RATE).astype(np.float32), 0.0)  # the first is slow
        return rec


class WhisperRecognizer:
    """Implements stt.Recognizer with Whisper for answers (see the module's docstring)."""

    def __init__(self, engine: Engine, detector: SpeechDetector) -> None:
        self.engine = engine
        self._detector = detector
        self._samples = 0  # fed since it was made: the clock words are placed on
        self._before: deque[np.ndarray] = deque()  # the last PAD of audio, while closed
        self._open: list[np.ndarray] = []  # the open utterance's audio
        self._began = 0  # sample where the open utterance's audio begins
        self._spoke = 0  # sample where its speech was last heard
        self._shown_at = 0  # sample of the last live transcript
        self._shown: list[str] = []
        self._prompt = ""

    @property
    def elapsed(self) -> float:
        return self._samples / RATE

    def feed(self, pcm: bytes) -> list[Word] | None:
        chunk = np.frombuffer(pcm, np.int16)
        start, self._samples = self._samples, self._samples + len(chunk)
        speech = self._detector.speech(pcm)
        if not self._open:
            if not speech:
                self._before.append(chunk)
                while sum(map(len, self._before)) - len(self._before[0]) > PAD * RATE:
                    self._before.popleft()
                return None
            self._open = [*self._before, chunk]
            self._before.clear()
            self._began = start - sum(len(c) for c in self._open[:-1])
            self._shown_at = start
        else:
            self._open.append(chunk)
        if speech:
            self._spoke = self._samples
        if (self._samples - self._spoke >= PAUSE * RATE
                or self._samples - self._began >= LONGEST * RATE):
            return self._close()
        if self._samples - self._shown_at >= PARTIAL_EVERY * RATE:
            self._shown_at = self._samples
            clip, _ = self._clip()
            self._shown = [w.text for w in self.engine.glimpse(clip, 0.0)]
        return None

    def partial(self) -> list[str]:
        return list(self._shown)

    def flush(self) -> list[Word]:
        return self._close() if self._open else []

    def reset(self) -> None:
        self._open, self._shown, self._prompt = [], [], ""
        self._before.clear()
        self._detector.reset()

    def _clip(self) -> tuple[np.ndarray, float]:
        """The open utterance's audio up to PAD after its last speech, and where it begins
        on the clock."""
        return clip_of(self._open, self._spoke - self._began), self._began / RATE

    def _close(self) -> list[Word]:
        clip, at = self._clip()
        self._open, self._shown = [], []
        words = self.engine.words(clip, at, self._prompt[-PROMPT_CHARS:])
        if words:
            self._prompt = (self._prompt + " " + " ".join(w.text for w in words)).strip()
        return words
