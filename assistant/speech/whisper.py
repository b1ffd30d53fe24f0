"""Whisper (faster-whisper on CTranslate2), as a Recognizer (stt.py): English answers
written with Whisper's own case and punctuation.

Whisper is not a streaming engine: it transcribes a clip. The recognizer makes utterances
of the audio it is fed with a speech detector of its own (detect.py): an utterance opens
at speech (with PAD of audio before it) and closes after PAUSE of no speech, and only then
is it transcribed -- so a command said on its own is heard at the pause after it, an
answer is transcribed utterance by utterance while it is spoken (the end of a long answer
waits for its last utterance only), and silence and noise are never transcribed at all.
Each utterance is prompted with the text of the ones before it in the same answer, so
Whisper carries a sentence on across a pause. An utterance that runs past LONGEST without
a pause is closed anyway: Whisper reads 30 s at a time.

Every transcription costs at least ~0.3 s of both cores, however short the clip: the
engine always encodes a 30 s window. So while an utterance is open the live line gets a
quick transcript of it (greedy, no word times) only every PARTIAL_EVERY seconds of audio.
A recognizer made for commands (`for_commands`, barge-in) has no detector of its own --
its caller feeds it only what the user said and asks for `partial()` at each pause -- so
it transcribes what it holds when asked, once at least AGAIN_AFTER more audio came, and
never more than COMMAND_LONGEST of it (no command is that long).

The weights' md5 is checked before they load (whispers.py); the model is loaded from its
package's folder with the Hugging Face hub off, so nothing is ever fetched.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.speech import guards
from assistant.speech.detect import SpeechDetector
from assistant.turns import Word
from assistant.whispers import Packaged, problem

RATE = 16000  # what Whisper hears
PAUSE = 0.6  # seconds of no speech that close an utterance
PAD = 0.25  # seconds of audio kept on each side of the speech
LONGEST = 25.0  # seconds: an utterance this long is closed without a pause
PARTIAL_EVERY = 1.5  # seconds of new audio between two live transcripts
AGAIN_AFTER = 0.2  # seconds of new audio before a command recognizer transcribes again
COMMAND_LONGEST = 4.0  # seconds: a command recognizer holding more transcribes nothing
PROMPT_CHARS = 200  # of the answer so far, given to Whisper as context
BEAM = 5
THREADS = 2


class WhisperModel:
    """A packaged Whisper model; `.recognizer()` loads it (once) and makes a recognizer."""

    sample_rate = RATE

    def __init__(self, packaged: Packaged, detector: Callable[[], SpeechDetector]) -> None:
        self.packaged = packaged
        self.path = packaged.path
        self.name = packaged.name
        self._detector = detector
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The faster_whisper.WhisperModel, loaded on first use once its weights are shown
        whole; BadInput (exit 2) with one sentence when they are not."""
        with self._lock:
            if self._model is None:
                wrong = problem(self.packaged)
                if wrong:
                    raise BadInput(Msg.WHISPER_DAMAGED, name=self.packaged.info.spec,
                                   problem=wrong, requirement=self.packaged.info.requirement)
                os.environ["HF_HUB_OFFLINE"] = "1"  # a folder, never the hub
                os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
                from faster_whisper import WhisperModel as Engine

                try:
                    self._model = Engine(str(self.path), device="cpu", compute_type="int8",
                                         cpu_threads=THREADS, local_files_only=True)
                except Exception as err:  # CTranslate2 raises RuntimeError on a bad folder
                    raise BadInput(Msg.WHISPER_DAMAGED, name=self.packaged.info.spec,
                                   problem=str(err), requirement=self.packaged.info.requirement
                                   ) from err
            return self._model

    def recognizer(self, warm: bool = True, grammar: object = None) -> WhisperRecognizer:
        """A recognizer for answers; with `grammar` (the command phrases, which Whisper
        cannot be held to) one for commands only, as `for_commands`."""
        rec = WhisperRecognizer(self.load(), None if grammar is not None else self._detector())
        if warm:
            rec.warm_up()
        return rec


class WhisperRecognizer:
    """Implements stt.Recognizer with Whisper (see the module's docstring)."""

    def __init__(self, model: Any, detector: SpeechDetector | None) -> None:
        self._model = model
        self._detector = detector
        self._samples = 0  # fed since it was made: the clock words are placed on
        self._before: deque[np.ndarray] = deque()  # the last PAD of audio, while closed
        self._open: list[np.ndarray] = []  # the open utterance's audio
        self._began = 0  # sample where the open utterance's audio begins
        self._spoke = 0  # sample where its speech was last heard
        self._shown_at = 0  # sample of the last live transcript
        self._shown: list[str] = []
        self._prompt = ""
        self._done: tuple[int, list[Word]] = (-1, [])  # samples held, and their words

    @property
    def elapsed(self) -> float:
        return self._samples / RATE

    @property
    def for_commands(self) -> bool:
        return self._detector is None

    def feed(self, pcm: bytes) -> list[Word] | None:
        chunk = np.frombuffer(pcm, np.int16)
        start, self._samples = self._samples, self._samples + len(chunk)
        if self._detector is None:
            if not self._open:
                self._began = start
            self._open.append(chunk)
            self._spoke = self._samples
            return None
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
            self._shown = self._live()
        return None

    def partial(self) -> list[str]:
        if self._detector is None and self._open and (
                self._samples - self._began - self._done[0] >= AGAIN_AFTER * RATE):
            return [w.text for w in self._command()]
        return list(self._shown)

    def flush(self) -> list[Word]:
        if self._detector is None:
            words = self._command() if self._open else []
            self.reset()
            return words
        return self._close() if self._open else []

    def reset(self) -> None:
        self._open, self._shown, self._prompt, self._done = [], [], "", (-1, [])
        self._before.clear()
        if self._detector is not None:
            self._detector.reset()

    def warm_up(self) -> None:
        """One transcription of quiet noise: CTranslate2's first call is several times
        slower than the next ones."""
        noise = np.random.default_rng(0).normal(0.0, 0.01, RATE).astype(np.float32)
        self._transcribe(noise, 0.0, quick=True)

    # --- transcribing ----------------------------------------------------------------

    def _clip(self) -> tuple[np.ndarray, float]:
        """The open utterance's audio up to PAD after its last speech, as Whisper takes
        it, and where it begins on the clock."""
        audio = np.concatenate(self._open)
        end = min(len(audio), self._spoke - self._began + int(PAD * RATE))
        return audio[:end].astype(np.float32) / 32768.0, self._began / RATE

    def _close(self) -> list[Word]:
        clip, at = self._clip()
        self._open, self._shown = [], []
        words = self._transcribe(clip, at)
        if words:
            self._prompt = (self._prompt + " " + " ".join(w.text for w in words)).strip()
        return words

    def _command(self) -> list[Word]:
        """The words of what a command recognizer holds (again only when it grew)."""
        held = self._samples - self._began
        if held != self._done[0]:
            words = [] if held > COMMAND_LONGEST * RATE else self._transcribe(*self._clip())
            self._done = (held, words)
        return self._done[1]

    def _live(self) -> list[str]:
        clip, _ = self._clip()
        return [w.text for w in self._transcribe(clip, 0.0, quick=True)]

    def _transcribe(self, clip: np.ndarray, at: float, quick: bool = False) -> list[Word]:
        """Whisper's trusted words of `clip`, placed on the clock from `at` (quick: the
        greedy live transcript, without word times)."""
        segments, _ = self._model.transcribe(
            clip, language="en", beam_size=1 if quick else BEAM, word_timestamps=not quick,
            without_timestamps=quick, condition_on_previous_text=False,
            initial_prompt=self._prompt[-PROMPT_CHARS:] or None, vad_filter=False,
            temperature=(0.0,) if quick else (0.0, 0.4, 0.8))
        words: list[Word] = []
        length = len(clip) / RATE
        for segment in segments:
            if not guards.trusted(segment):
                continue
            if quick:
                words += [Word(t, at, at) for t in segment.text.split() if _spoken(t)]
                continue
            words += [Word(w.word.strip(), at + min(max(w.start, 0.0), length),
                           at + min(max(w.end, 0.0), length), round(float(w.probability), 3))
                      for w in segment.words or () if _spoken(w.word)]
        return guards.unrepeated(words)


def _spoken(token: str) -> bool:
    """A word, not a lone mark ("-", "...")."""
    return any(c.isalnum() for c in token)
