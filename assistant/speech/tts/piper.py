"""Piper, a neural voice, as a Synthesizer (tts/synthesizer.py): sound handed on a piece
at a time the moment it is made (tts/vits.py decodes each sentence in growing pieces), so
playing starts about 0.1 s after the request and the rest follows while the speaker is
busy.

Piper (piper-tts, GPL-3.0) phonemizes with its own copy of espeak-ng's data and runs the
voice -- an ONNX model with its .onnx.json, such as the official en_US-joe-medium -- with
onnxruntime on the CPU. Loading a voice takes most of a second; a sentence then takes a
small fraction of its own length to synthesize.

onnxruntime (1.32) has telemetry built in: left alone, it writes a device id into
~/.cache/Microsoft and looks up mobile.events.data.microsoft.com to send events there.
Nothing may leave this machine, so it is switched off (ORT_DISABLE_TELEMETRY, read when
onnxruntime starts, and its own switch) before Piper ever loads it.

The pace: a reflective guide is read slower than news. Unless `rate` is set, sentences
are drawn out a little (CALM_LENGTH) and each is followed by a pause a listener can
breathe in, longer between paragraphs -- about 160 words a minute in all for the joe
voice, where Piper's own pace is about 220.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from assistant.messages import Msg
from assistant.speech.errors import NoSpeech
from assistant.speech.nativelog import native_stderr_to_log
from assistant.speech.tts.synthesizer import Sound
from assistant.speech.tts.vits import Model

CALM_LENGTH = 1.25  # Piper's length scale when no rate is set: a little slower than its own
NATURAL_WPM = 200.0  # words a minute Piper's voices speak at length scale 1 (joe: ~220)
STRETCH = 1.28  # length scale = (NATURAL_WPM / rate) ** STRETCH: Piper stretches words
# less than the scale asks (x1.5 makes joe's speech x1.37 longer), measured on the guide
SENTENCE_PAUSE = 0.45  # seconds added after a sentence (Piper leaves about 0.2 of its own)
PARAGRAPH_PAUSE = 0.9  # seconds added after a paragraph
# onnxruntime's own log lines: "2026-12-01 10:00:00.000 [E:onnxruntime:, ...".
ONNX_LINE = re.compile(rb"[\d\- :.]*\[[EWIF]:onnxruntime:")
_PARAGRAPHS = re.compile(r"\n\s*\n")
WARM_UP = "Hello. Take a moment."  # a first piece and a second, longer one
RENDERING = 3  # how synthesize() shapes the sound (pauses, trims): part of the cache key
QUIET = 200  # int16: below this (-44 dBFS) a sample is the quiet before the first word
LEAD_IN = 0.01  # seconds kept before the first sound, so its onset is not cut


def length_scale(rate: int | None) -> float:
    """Piper's length scale for a rate in words a minute (None: the calm default)."""
    return CALM_LENGTH if rate is None else round((NATURAL_WPM / rate) ** STRETCH, 3)


class Piper:
    """A Synthesizer speaking with one Piper voice (`model` and its `config`), at `rate`
    words a minute (None: a calm pace) and `volume` (0 to 1). VITS draws noise for the
    timing and the sound of each sentence, so no two sayings are the same; `steady` draws
    none, for tests and benchmarks whose figures must repeat from run to run."""

    def __init__(self, name: str, model: Path, config: Path, rate: int | None = None,
                 volume: float = 1.0, *, steady: bool = False) -> None:
        self.name = name
        self._length = length_scale(rate)
        self._steady = steady
        self._volume = volume
        try:
            os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before onnxruntime starts: see above
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            onnxruntime.disable_telemetry_events()
            # One thread: onnxruntime's own (one a core, spinning while they wait) would
            # take the CPU the speaker's callback and the barge-in listener need on a busy
            # machine. Run in the calling thread, the synthesis made ahead has that
            # thread's low priority (tts/renderahead.py); a first piece takes ~95 ms instead of
            # ~60 ms (2 cores, idle).
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            with native_stderr_to_log("piper", ONNX_LINE):
                # Piper's own voice object phonemizes; the model runs in halves (tts/vits.py).
                self._voice: Any = PiperVoice(
                    config=PiperConfig.from_dict(json.loads(config.read_text("utf-8"))),
                    session=None)
                self._model = Model(model, options)
        except Exception as err:  # no piper-tts, or a model file it cannot read
            raise NoSpeech(Msg.PIPER_UNAVAILABLE, voice=name, reason=_why(err)) from err
        voice = self._voice.config
        self._rate = int(voice.sample_rate)
        noise = 0.0 if steady else 1.0
        self._scales = np.array([noise * voice.noise_scale, self._length,
                                 noise * voice.noise_w_scale], np.float32)
        self._speaker = ({"sid": np.array([voice.default_speaker_id], np.int64)}
                         if voice.num_speakers > 1 else {})  # as Piper picks a speaker
        for _ in self.synthesize(WARM_UP):
            pass  # onnxruntime's first run is slow: not with the first words said
        stat = model.stat()
        self._file = f"{model.name}:{stat.st_size}:{stat.st_mtime_ns}"

    @property
    def identity(self) -> str:
        """A replaced voice file (another size or time), and a change in how Reflect
        shapes the sound (RENDERING), render afresh."""
        return (f"piper {_version()} rendering={RENDERING} voice={self.name} "
                f"file={self._file} length={self._length} volume={self._volume}"
                + (" steady" if self._steady else ""))

    def synthesize(self, text: str) -> Iterator[Sound]:
        """The text's sound as it is made, without the quiet Piper puts before its first
        word (50 ms and more; now and then all but 20 ms of the first piece), and one
        chunk at least (an empty one for a text with nothing to say)."""
        quiet = True
        for pcm in self._made(text):
            if quiet:
                pcm = _from_the_first_sound(pcm, self._rate)
                quiet = not len(pcm)
                if quiet:
                    continue
            yield Sound(pcm, self._rate)
        if quiet:
            yield Sound(np.zeros(0, np.int16), self._rate)

    def _made(self, text: str) -> Iterator[np.ndarray]:
        """Each sentence (Piper's own split) in pieces, each the moment it is made, and
        the pause after it (not after the last) as silence of its own right behind it:
        the speaker has that pause to play, too, while the next sentence is made."""
        for paragraph, pause in _paragraphs(text):
            sentences = [phonemes for phonemes in self._voice.phonemize(paragraph) if phonemes]
            for number, phonemes in enumerate(sentences, 1):
                ids = np.array([self._voice.phonemes_to_ids(phonemes)], np.int64)
                for audio in self._model.sound({
                        "input": ids, "input_lengths": np.array([ids.shape[1]], np.int64),
                        "scales": self._scales, **self._speaker}):
                    yield _int16(audio * self._volume)
                after = SENTENCE_PAUSE if number < len(sentences) else pause
                if after:
                    yield np.zeros(int(after * self._rate), np.int16)

    def close(self) -> None:
        """Nothing to let go: the voice is freed with this object."""


def _int16(audio: np.ndarray) -> np.ndarray:
    """Piper's float sound (-1 to 1) as int16 samples, as Piper converts it."""
    return (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def _from_the_first_sound(pcm: np.ndarray, rate: int) -> np.ndarray:
    """`pcm` from just before its first sound (nothing when it is all quiet): the voice
    starts the moment it is asked to."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > QUIET)
    return pcm[max(0, int(loud[0]) - int(LEAD_IN * rate)):] if len(loud) else pcm[:0]


def _paragraphs(text: str) -> list[tuple[str, float]]:
    """`text`'s paragraphs, each with the pause after it (none after the last)."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPHS.split(text.strip()) if p.strip()]
    return [(p, PARAGRAPH_PAUSE) for p in paragraphs[:-1]] + [(p, 0.0) for p in paragraphs[-1:]]


def _version() -> str:
    try:
        return version("piper-tts")
    except PackageNotFoundError:
        return "?"


def _why(err: Exception) -> str:
    """An engine's long error text cut to its point (onnxruntime's ends "...failed: why")."""
    text = str(err).strip() or type(err).__name__
    return text.rsplit("failed:", 1)[-1].strip().rstrip(".") if "failed:" in text else text
