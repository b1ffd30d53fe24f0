"""Piper, a neural voice, as a Synthesizer (tts.py): a chunk of sound per sentence, handed
on the moment it is made, so playing starts with the first sentence (or the first clause
of a long one) and the rest follows while the speaker is busy.

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
from assistant.speech.tts import Sound

CALM_LENGTH = 1.25  # Piper's length scale when no rate is set: a little slower than its own
NATURAL_WPM = 200.0  # words a minute Piper's voices speak at length scale 1 (joe: ~220)
STRETCH = 1.28  # length scale = (NATURAL_WPM / rate) ** STRETCH: Piper stretches words
# less than the scale asks (x1.5 makes joe's speech x1.37 longer), measured on the guide
SENTENCE_PAUSE = 0.45  # seconds added after a sentence (Piper leaves about 0.2 of its own)
PARAGRAPH_PAUSE = 0.9  # seconds added after a paragraph
# onnxruntime's own log lines: "2026-12-01 10:00:00.000 [E:onnxruntime:, ...".
ONNX_LINE = re.compile(rb"[\d\- :.]*\[[EWIF]:onnxruntime:")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r".+?[.!?](?=\s|$)")
_CLAUSE = re.compile(r"[,;:](?=\s)")
LONG_FIRST = 10  # words: a first sentence this long is said in two parts (see synthesize)
MIN_CLAUSE = 4  # words the first part has at least
WARM_UP = "Hello."
RENDERING = 2  # how synthesize() shapes the sound (pauses, trims): part of the cache key
QUIET = 200  # int16: below this (-44 dBFS) a sample is the quiet before the first word
LEAD_IN = 0.01  # seconds kept before the first sound, so its onset is not cut


def length_scale(rate: int | None) -> float:
    """Piper's length scale for a rate in words a minute (None: the calm default)."""
    return CALM_LENGTH if rate is None else round((NATURAL_WPM / rate) ** STRETCH, 3)


class Piper:
    """A Synthesizer speaking with one Piper voice (`model` and its `config`), at `rate`
    words a minute (None: a calm pace) and `volume` (0 to 1)."""

    def __init__(self, name: str, model: Path, config: Path, rate: int | None = None,
                 volume: float = 1.0) -> None:
        self.name = name
        self._length = length_scale(rate)
        self._volume = volume
        try:
            os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before onnxruntime starts: see above
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig, SynthesisConfig

            onnxruntime.disable_telemetry_events()
            # onnxruntime's threads (one a core) spin while they wait for work: on a busy
            # machine that takes the CPU the speaker, the recognizer and the next sentence
            # need. Sleeping instead, a narration's first clause was made in 0.27 s, not
            # 0.42 s, on two cores shared with other programs. PiperVoice.load() takes no
            # options, hence the session made here.
            options = onnxruntime.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            with native_stderr_to_log("piper", ONNX_LINE):
                self._voice: Any = PiperVoice(
                    config=PiperConfig.from_dict(json.loads(config.read_text("utf-8"))),
                    session=onnxruntime.InferenceSession(
                        str(model), sess_options=options, providers=["CPUExecutionProvider"]))
        except Exception as err:  # no piper-tts, or a model file it cannot read
            raise NoSpeech(Msg.PIPER_UNAVAILABLE, voice=name, reason=_why(err)) from err
        self._config = SynthesisConfig(length_scale=self._length, volume=volume,
                                       normalize_audio=False)
        self._rate = int(self._voice.config.sample_rate)
        for _ in self._voice.synthesize(WARM_UP, self._config):
            pass  # onnxruntime's first run is slow: not with the first words said
        stat = model.stat()
        self._file = f"{model.name}:{stat.st_size}:{stat.st_mtime_ns}"

    @property
    def identity(self) -> str:
        """A replaced voice file (another size or time), and a change in how Reflect
        shapes the sound (RENDERING), render afresh."""
        return (f"piper {_version()} rendering={RENDERING} voice={self.name} "
                f"file={self._file} length={self._length} volume={self._volume}")

    def synthesize(self, text: str) -> Iterator[Sound]:
        """Sentence by sentence (Piper's own split), each the moment it is made, and the
        pause after it (not after the last) as silence of its own right behind it: the
        speaker has that pause to play, too, while the next sentence is made. A long first
        sentence is said in two parts, split where its first clause ends, so the first
        sound comes sooner (the comma's own pause joins them)."""
        first = True
        for part, pause in _parts(text):
            sentences = sum(1 for phonemes in self._voice.phonemize(part) if phonemes)
            for number, chunk in enumerate(self._voice.synthesize(part, self._config), 1):
                pcm = chunk.audio_int16_array
                yield Sound(_from_the_first_sound(pcm, self._rate) if first else pcm,
                            self._rate)
                first = False
                after = SENTENCE_PAUSE if number < sentences else pause
                if after:
                    yield Sound(np.zeros(int(after * self._rate), np.int16), self._rate)

    def close(self) -> None:
        """Nothing to let go: the voice is freed with this object."""


def _from_the_first_sound(pcm: np.ndarray, rate: int) -> np.ndarray:
    """A text's first sentence without the quiet Piper puts before it (50 ms and more):
    the voice starts the moment it is asked to."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > QUIET)
    start = max(0, int(loud[0]) - int(LEAD_IN * rate)) if len(loud) else 0
    return pcm[start:]


def _parts(text: str) -> list[tuple[str, float]]:
    """`text` as the parts Piper says one after the other, each with the pause after its
    last sentence: a paragraph each (none after the last), and a long first sentence's
    first clause on its own (no pause after it)."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPHS.split(text.strip()) if p.strip()]
    parts = [(p, PARAGRAPH_PAUSE) for p in paragraphs[:-1]] + [(p, 0.0) for p in paragraphs[-1:]]
    if parts:
        head, rest = _first_clause(parts[0][0])
        if rest:
            parts[0:1] = [(head, 0.0), (rest, parts[0][1])]
    return parts


def _first_clause(text: str) -> tuple[str, str]:
    """(the first clause, the rest) when the first sentence of `text` is long and has a
    clause boundary (a comma, a semicolon, a colon) after a few words; else (text, "")."""
    sentence = _SENTENCE.match(text)
    first = sentence.group() if sentence else text
    if len(first.split()) < LONG_FIRST:
        return text, ""
    for found in _CLAUSE.finditer(first):
        head = text[:found.end()].strip()
        if len(head.split()) >= MIN_CLAUSE:
            return head, text[found.end():].strip()
    return text, ""


def _version() -> str:
    try:
        return version("piper-tts")
    except PackageNotFoundError:
        return "?"


def _why(err: Exception) -> str:
    """onnxruntime's long error text cut to its point ("Protobuf parsing failed")."""
    text = str(err).strip() or type(err).__name__
    return text.rsplit("failed:", 1)[-1].strip().rstrip(".") if "failed:" in text else text
