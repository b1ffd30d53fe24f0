"""faster-whisper (Whisper on CTranslate2), asked the two ways Reflect asks it.

An utterance's words are transcribed as faster-whisper does, in the 30 s window Whisper
was trained on, beam searched, with word times: ~0.3 s of both cores however short the
clip, paid once per utterance. A glimpse -- the live line's transcript of an open
utterance, and a command said over Reflect's voice (stt/whispercommands.py) -- is encoded
in a window only as long as the clip (at least GLIMPSE_WINDOW; CTranslate2 takes any
length) and decoded greedily: "Stop." in 50 ms instead of 300. Whisper loops more often
in a short window ("Done. Done. Done."), so a glimpse is cut at its repeats.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.speech.stt import guards
from assistant.turns import Word

RATE = 16000  # what Whisper hears
PAD = 0.25  # seconds of audio kept on each side of the speech
GLIMPSE_WINDOW = 5.0  # seconds: the shortest window a glimpse is encoded in
GLIMPSE_TAIL = 1.0  # seconds of silence after a glimpse's clip: a window ends in quiet
GLIMPSE_TOKENS = 96  # the live line shows the last few words of an utterance
BEAM = 5
THREADS = 2


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

    @classmethod
    def open(cls, folder: Path) -> Engine:
        """The model in `folder`, loaded with the Hugging Face hub off: never fetched."""
        os.environ["HF_HUB_OFFLINE"] = "1"  # a folder, never the hub
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        from faster_whisper import WhisperModel as FasterWhisper

        return cls(FasterWhisper(str(folder), device="cpu", compute_type="int8",
                                 cpu_threads=THREADS, local_files_only=True))

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

        extractor = self.model.feature_extractor
        per_second = extractor.nb_max_frames / extractor.chunk_length
        features = extractor(clip)
        frames = max(GLIMPSE_WINDOW * per_second, features.shape[-1] + GLIMPSE_TAIL * per_second)
        features = pad_or_trim(features, int(min(frames, extractor.nb_max_frames)))
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

