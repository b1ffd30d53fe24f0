"""Answers in a noisy room, for the endpointing tests (test_noise.py) and `scripts/bench
listen --only noise`: steady noises made here -- pink and brown noise, a mains hum at 50
and at 100 Hz, and a noise whose level keeps changing -- put under spoken answers at a
chosen signal-to-noise ratio, and one answer heard through the real SpokenEar from such a
recording (a MicFile read as fast as it goes), to see where the answer ended against where
its last word did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from spoken import RATE, trimmed

from assistant.config import Settings
from assistant.speech.audio import wavfiles
from assistant.speech.listening.ear import SpokenEar
from assistant.speech.listening.take import MARGIN
from assistant.speech.listening.vad import SpeechDetector
from assistant.speech.stt.recognizer import Recognizer
from assistant.text.commands import Commands
from assistant.turns import Answer

NOISES = ("pink", "brown", "hum50", "hum100", "changing")
LEAD = 1.0  # noise before the answer begins
TAIL = 6.0  # noise after its last word: longer than any answer_silence tried here
EDGE = 2 * MARGIN  # the slack of the speech detector's edges and of Vosk's word times


def noise(kind: str, samples: int, seed: int = 0) -> np.ndarray:
    """`samples` of the noise `kind` (one of NOISES) at an RMS of 1."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / RATE
    if kind.startswith("hum"):  # the mains hum and its odd harmonics, slightly unsteady
        base = float(kind[3:])
        out = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi)) / k
                  for k in (1, 3, 5)) + 0.05 * rng.normal(size=samples)
    else:  # noise with a 1/f^alpha power spectrum: pink 1, brown 2
        alpha = 2.0 if kind == "brown" else 1.0
        spectrum = np.fft.rfft(rng.normal(size=samples))
        freqs = np.fft.rfftfreq(samples, 1 / RATE)
        spectrum[1:] /= freqs[1:] ** (alpha / 2)
        spectrum[0] = 0
        out = np.fft.irfft(spectrum, samples)
        if kind == "changing":  # pink noise whose level swells and falls by 12 dB
            out *= 10 ** (-0.6 + 0.6 * np.sin(2 * np.pi * t / 4.0 + rng.uniform(0, 6)))
    return out / np.sqrt(np.mean(out ** 2))


def speech_level(pcm: np.ndarray) -> float:
    """The RMS of `pcm` where it is speech (the 20 ms frames within 30 dB of the loudest)."""
    frames = pcm[:len(pcm) // 320 * 320].astype(np.float64).reshape(-1, 320)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    return float(np.sqrt(np.mean(rms[rms > rms.max() / 30] ** 2)))


@dataclass(frozen=True)
class Recording:
    """An answer under noise: the samples, when its last word ends, and the stretches
    (start, end) that hold only noise (seconds)."""

    pcm: np.ndarray
    last_word: float
    noise_only: tuple[tuple[float, float], ...]

    def inside_noise(self, at: float) -> bool:
        """Whether `at` lies in a noise-only stretch, more than EDGE from its ends: a word
        that starts there is made of the noise."""
        return any(start + EDGE < at < end - EDGE for start, end in self.noise_only)


def in_noise(parts: Sequence[np.ndarray], pause: float, kind: str, snr: float,
             seed: int = 0) -> Recording:
    """One answer -- the parts, their quiet edges cut off, `pause` seconds apart -- after
    LEAD and before TAIL seconds, with the noise `kind` under all of it, `snr` dB below
    the speech."""
    pieces: list[np.ndarray] = []
    quiet: list[tuple[float, float]] = []
    for gap, part in zip([LEAD] + [pause] * (len(parts) - 1), parts, strict=True):
        at = sum(map(len, pieces)) / RATE
        quiet.append((at, at + gap))
        pieces += [np.zeros(int(RATE * gap)), trimmed(part)]
    speech = np.concatenate(pieces)
    last_word = len(speech) / RATE
    quiet.append((last_word, last_word + TAIL))
    speech = np.concatenate([speech, np.zeros(int(RATE * TAIL))])
    level = speech_level(speech) / 10 ** (snr / 20)
    pcm = np.clip(speech + level * noise(kind, len(speech), seed), -32768, 32767)
    return Recording(pcm.astype(np.int16), last_word, tuple(quiet))


@dataclass(frozen=True)
class Ending:
    """How an answer ended: why, the audio time it was decided at, its text, and where
    its saved words start (seconds into the recording)."""

    ended: str
    at: float
    text: str
    starts: tuple[float, ...]

    def delay(self, recording: Recording) -> float:
        """Seconds from the end of the last word to the decision."""
        return self.at - recording.last_word


def hear(recording: Recording, rec: Recognizer, detector: SpeechDetector, silence: float,
         tmp: Path) -> Ending:
    """One answer heard from `recording` by the real SpokenEar with `rec` and `detector`."""
    wav = tmp / "noisy.wav"
    wavfiles.write_wav(wav, recording.pcm, RATE)
    source = wavfiles.MicFile(wav, RATE, realtime=False)
    source.start()
    ear = SpokenEar(source, lambda: rec, Settings(answer_silence=silence, max_answer=120.0),
                    Commands("en").match, remind_after=None, detector=detector)
    began = rec.elapsed  # the recording starts here on the recognizer's clock
    heard = ear.listen()
    ear.close()
    if not isinstance(heard, Answer):
        return Ending(type(heard).__name__, source.position / RATE, "", ())
    return Ending(heard.ended, source.position / RATE, heard.text,
                  tuple(w.start - began for w in heard.words))
