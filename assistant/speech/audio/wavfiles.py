"""Sound as data: WAV files, sample-rate conversion, and the WAV files that stand in for the
microphone (--mic-file) and the speaker (--speaker-file).

None of it needs PortAudio: a run on files, the voice cache and the tests work without a
sound device (audio/microphone.py and audio/speaker.py have the real ones).
"""

from __future__ import annotations

import os
import struct
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant import files
from assistant.errors import reason
from assistant.messages import Msg
from assistant.speech.audio.streams import CHUNK_SECONDS, EndOfInput
from assistant.speech.errors import BadSoundFile

# --- WAV files ---------------------------------------------------------------------


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A WAV file as mono int16 samples and its rate (channels are averaged)."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as err:
        raise BadSoundFile(Msg.BAD_WAV, path=path, reason=str(err) or type(err).__name__) \
            from err
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.int32)
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.int32) >> 16
    else:
        raise BadSoundFile(Msg.BAD_WAV, path=path, reason=f"{8 * width}-bit samples")
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels).mean(axis=1)
    return data.astype(np.int16), rate


def _wav_header(rate: int, frames: int) -> bytes:
    size = frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", size))


def wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    """Mono int16 `pcm` as the bytes of a 16-bit WAV file."""
    data = np.asarray(pcm, dtype="<i2").tobytes()
    return _wav_header(rate, len(data) // 2) + data


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    """Write mono int16 `pcm` as a 16-bit WAV file, private and whole (files.py)."""
    files.replace_private(Path(path), wav_bytes(pcm, rate))


# --- sample rates ------------------------------------------------------------------


class Resampler:
    """Streaming sample-rate conversion: chunks in, chunks out, no seams between them.

    Linear interpolation, after a windowed-sinc low-pass when going down so that 48 kHz
    speech does not fold into the 16 kHz the recognizer hears.
    """

    def __init__(self, src: int, dst: int) -> None:
        self.src, self.dst = src, dst
        self.step = src / dst  # input samples per output sample
        self._taps = _lowpass(dst / src / 2) if dst < src else None
        self._history = np.zeros(0 if self._taps is None else len(self._taps) - 1, np.float32)
        self._consumed = 0  # input samples seen so far
        self._last = 0.0  # the last input sample (absolute index _consumed - 1)
        self._next = 0.0  # absolute input position of the next output sample

    def __call__(self, pcm: np.ndarray) -> np.ndarray:
        if self.src == self.dst:
            return np.asarray(pcm, np.int16)
        x = np.asarray(pcm, np.float32)
        if self._taps is not None:
            padded = np.concatenate([self._history, x])
            if len(self._history):
                self._history = padded[len(padded) - len(self._history):]
            x = np.convolve(padded, self._taps, mode="valid").astype(np.float32)
        base = self._consumed - 1 if self._consumed else 0
        z = np.concatenate([[self._last], x]) if self._consumed else x
        self._consumed += len(x)
        if len(x):
            self._last = float(x[-1])
        end = self._consumed - 1  # the last position we can interpolate at
        if end < self._next:
            return np.zeros(0, np.int16)
        count = int((end - self._next) // self.step) + 1
        positions = self._next + self.step * np.arange(count)
        self._next += self.step * count
        out = np.interp(positions - base, np.arange(len(z)), z)
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def _lowpass(cutoff: float, half_width: int = 24) -> np.ndarray:
    """Windowed-sinc low-pass taps; `cutoff` is a fraction of the input rate (< 0.5)."""
    n = np.arange(-half_width, half_width + 1)
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(len(n))
    return (taps / taps.sum()).astype(np.float32)


def resample(pcm: np.ndarray, src: int, dst: int) -> np.ndarray:
    """`pcm` (mono int16) at `src` Hz converted to `dst` Hz."""
    return Resampler(src, dst)(pcm)


# --- files standing in for the devices ---------------------------------------------


class MicFile:
    """A WAV file standing in for the microphone, resampled to `rate`.

    Paced in real time (or as fast as it is read when `realtime` is False). It is consumed
    only while not held, so it stands still while Reflect speaks: its first stretch of
    speech answers the first question, the next stretch the second, and so on.
    """

    def __init__(self, path: Path, rate: int, realtime: bool = True) -> None:
        pcm, src = read_wav(path)
        self.samples = resample(pcm, src, rate)
        self.rate = rate
        self.realtime = realtime
        self.overflows = 0
        self.position = 0  # samples delivered so far
        self._chunk = int(rate * CHUNK_SECONDS)
        self._held = False
        self._due = 0.0  # monotonic time when the next chunk is "recorded"

    def start(self) -> None:
        self._due = time.monotonic() + CHUNK_SECONDS

    def read(self, timeout: float) -> bytes:
        if self._held:
            time.sleep(timeout)
            return b""
        if self.position >= len(self.samples):
            raise EndOfInput(f"the recording ended after {self.position / self.rate:.1f} s")
        if self.realtime:
            wait = self._due - time.monotonic()
            if wait > timeout:
                time.sleep(max(timeout, 0.0))
                return b""
            if wait > 0:
                time.sleep(wait)
            self._due += CHUNK_SECONDS
        chunk = self.samples[self.position:self.position + self._chunk]
        self.position += len(chunk)
        return chunk.tobytes()

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        self._due = time.monotonic() + CHUNK_SECONDS

    def close(self) -> None:
        pass


class SpeakerFile:
    """Everything played is appended to one WAV file instead of a speaker (--speaker-file).

    The header is brought up to date after every sound, so the file is complete even if
    Reflect stops early. The file keeps the rate of the first sound; later ones are
    resampled to it. Like every file Reflect makes it is 0600, and a link at `path` is
    replaced, never followed (files.py).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rate: int | None = None
        self.frames = 0
        try:
            # A valid, empty WAV until sound comes, then written in place.
            files.replace_private(self.path, _wav_header(22050, 0))
            self._file = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_NOFOLLOW), "wb")
        except OSError as err:
            raise BadSoundFile(Msg.WAV_WRITE_FAILED, path=path, reason=reason(err)) from err

    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        if self.rate is None:
            self.rate = rate
        data = resample(np.asarray(pcm, np.int16), rate, self.rate).astype("<i2").tobytes()
        try:
            self._file.seek(44 + self.frames * 2)
            self._file.write(data)
            self.frames += len(data) // 2
            self._file.seek(0)
            self._file.write(_wav_header(self.rate, self.frames))
            self._file.flush()
        except OSError as err:
            raise BadSoundFile(Msg.WAV_WRITE_FAILED, path=self.path, reason=reason(err)) \
                from err
        return True

    def stream(self, chunks: Iterator[np.ndarray], rate: int,
               interrupt: threading.Event | None = None) -> bool:
        for chunk in chunks:
            self.play(chunk, rate, interrupt)
        return True

    def close(self) -> None:
        self._file.close()
