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

Whisper is asked two ways (Engine). An utterance's words are transcribed as faster-whisper
does, in the 30 s window Whisper was trained on, beam searched, with word times: ~0.3 s
of both cores however short the clip, paid once per utterance. A glimpse -- the live
line's transcript of the open utterance every PARTIAL_EVERY seconds, and a command said
over Reflect's voice (whispercommands.py) -- is encoded in a window only as long as the
clip (at least GLIMPSE_WINDOW; CTranslate2 takes any length) and decoded greedily: "Stop."
in 50 ms instead of 300. Whisper loops more often in a short window ("Done. Done. Done."),
so a glimpse is cut at its repeats.

The weights' md5 is checked before they load (whispers.py); the model is loaded from its
package's folder with the Hugging Face hub off, so nothing is ever fetched.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.speech import guards
from assistant.speech.detect import SpeechDetector
from assistant.turns import Word
from assistant.whispers import Packaged, problem

if TYPE_CHECKING:
    from assistant.speech.whispercommands import CommandRecognizer

RATE = 16000  # what Whisper hears
PAUSE = 0.6  # seconds of no speech that close an utterance
PAD = 0.25  # seconds of audio kept on each side of the speech
LONGEST = 25.0  # seconds: an utterance this long is closed without a pause
PARTIAL_EVERY = 1.0  # seconds of new audio between two live transcripts
GLIMPSE_WINDOW = 5.0  # seconds: the shortest window a glimpse is encoded in
GLIMPSE_TAIL = 1.0  # seconds of silence after a glimpse's clip: a window ends in quiet
GLIMPSE_TOKENS = 96  # the live line shows the last few words of an utterance
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
                os.environ["HF_HUB_OFFLINE"] = "1"  # a folder, never the hub
                os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
                from faster_whisper import WhisperModel as FasterWhisper

                try:
                    self._model = Engine(FasterWhisper(
                        str(self.path), device="cpu", compute_type="int8",
                        cpu_threads=THREADS, local_files_only=True))
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
            from assistant.speech.whispercommands import CommandRecognizer

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


def clip_of(chunks: Sequence[np.ndarray], spoke: int) -> np.ndarray:
    """The chunks as the float audio Whisper takes, up to PAD after sample `spoke`."""
    audio = np.concatenate(chunks)
    return audio[:min(len(audio), spoke + int(PAD * RATE))].astype(np.float32) / 32768.0


@dataclass
class Glimpsed:
    """What guards.trusted judges of a glimpse (a guards.Segment without word times)."""

    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float
    words: None = None


class Engine:
    """faster-whisper's model, asked the two ways of the module's docstring."""

    def __init__(self, model: Any) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self._tokens = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                 task="transcribe", language="en")
        self._start = [*self._tokens.sot_sequence, self._tokens.no_timestamps]
        self._suppress = list(get_suppressed_tokens(self._tokens, [-1]))

    def words(self, clip: np.ndarray, at: float, prompt: str = "") -> list[Word]:
        """Whisper's trusted words of `clip` with their times, placed on the clock from
        `at`, with `prompt` (what was said before) as context."""
        segments, _ = self.model.transcribe(
            clip, language="en", beam_size=BEAM, word_timestamps=True,
            condition_on_previous_text=False, initial_prompt=prompt or None,
            vad_filter=False, temperature=(0.0, 0.4, 0.8))
        length = len(clip) / RATE
        return guards.unrepeated([
            Word(w.word.strip(), at + min(max(w.start, 0.0), length),
                 at + min(max(w.end, 0.0), length), round(float(w.probability), 3))
            for segment in segments if guards.trusted(segment)
            for w in segment.words or () if _spoken(w.word)])

    def glimpse(self, clip: np.ndarray, at: float, tokens: int = GLIMPSE_TOKENS
                ) -> list[Word]:
        """A quick transcript of `clip` in a window of its own length: at most `tokens`,
        greedy, no word times (each word is placed at `at`)."""
        from ctranslate2 import StorageView
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_compression_ratio

        features = self.model.feature_extractor(clip)
        frames = int(max(GLIMPSE_WINDOW * 100, features.shape[-1] + GLIMPSE_TAIL * 100))
        features = pad_or_trim(features, min(frames, 3000))  # 100 frames a second
        encoded = self.model.model.encode(
            StorageView.from_array(np.ascontiguousarray(features[None])), to_cpu=False)
        result = self.model.model.generate(
            encoded, [self._start], beam_size=1, max_length=len(self._start) + tokens,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=self._suppress)[0]
        text = self._tokens.decode([t for t in result.sequences_ids[0]
                                    if t < self._tokens.eot])
        if not guards.trusted(Glimpsed(result.no_speech_prob, result.scores[0],
                                       get_compression_ratio(text))):
            return []
        return guards.unrepeated([Word(t, at, at) for t in text.split() if _spoken(t)])


def _spoken(token: str) -> bool:
    """A word, not a lone mark ("-", "...")."""
    return any(c.isalnum() for c in token)

