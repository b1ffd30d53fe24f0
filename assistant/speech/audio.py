"""Sound in and out: microphone and speaker streams, WAV files standing in for them,
resampling, and the short tones that tell a user who cannot see the screen what is going on.

sounddevice is imported only when a real device is opened: WAV files, resampling and
tones work without PortAudio, and a missing PortAudio becomes one clear sentence.
The microphone callback does nothing but copy bytes into a queue -- recognition runs in
the caller's thread -- because a slow callback loses audio.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import re
import struct
import sys
import threading
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import ReflectError, reason
from assistant.messages import Msg

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.1  # how much audio a read() returns at most
LOST_AFTER = 2.0  # seconds without a callback from a running stream: the device is gone


class DeviceLost(Exception):
    """The audio device stopped under us (unplugged, server gone, PortAudio error)."""


class EndOfInput(Exception):
    """A recording standing in for the microphone has been played to its end."""


class Source(Protocol):
    """Microphone-like: mono int16 PCM at `rate`."""

    rate: int
    overflows: int

    def start(self) -> None: ...

    def close(self) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Up to CHUNK_SECONDS of audio; b"" when nothing arrived within `timeout`."""
        ...

    def hold(self) -> None:
        """Half-duplex: deliver nothing until release() (Reflect is speaking)."""
        ...

    def release(self) -> None: ...


class Sink(Protocol):
    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        """Play mono int16 `pcm`; False if `interrupt` was set before the end."""
        ...

    def close(self) -> None: ...


# --- sounddevice, imported late ----------------------------------------------------


def sounddevice() -> ModuleType:
    """The sounddevice module, or one sentence saying PortAudio is missing."""
    _quiet_alsa()  # before the import: PortAudio lists the ALSA devices as it loads
    try:
        import sounddevice as sd
    except OSError as err:  # sounddevice raises OSError when libportaudio is not found
        raise ReflectError(Msg.NO_PORTAUDIO, reason=str(err)) from err
    _quiet_portaudio(sd._libname)
    return sd


_alsa_handler: Any = None


def _quiet_alsa() -> None:
    """alsa-lib prints notes such as "underrun occurred" straight to stderr, in the middle
    of the live transcript; send them to the log instead."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    import ctypes

    try:
        lib = ctypes.CDLL("libasound.so.2")
    except OSError:
        _alsa_handler = False  # not ALSA: nothing to quiet
        return
    kind = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                            ctypes.c_int, ctypes.c_char_p)
    _alsa_handler = kind(lambda file, line, function, err, fmt:
                         log.debug("alsa-lib: %s (%s:%d)", fmt.decode(errors="replace"),
                                   file.decode(errors="replace"), line))
    lib.snd_lib_error_set_handler(_alsa_handler)


# PortAudio's own failure notes, e.g. "Expression 'alsa_snd_pcm_poll_descriptors_revents(
# self->pcm, pfds, self->nfds, &revents )' failed in 'src/hostapi/alsa/pa_linux_alsa.c',
# line: 3665" -- three of them each time a device is lost.
PORTAUDIO_NOTE = re.compile(rb"^Expression '.*' failed in '.*'")
# PortAudio 19.6 can get stuck after a device is lost: a `goto error` below its own error
# label repeats one note forever in the stream's thread, which cannot be cancelled then.
RUNAWAY = 50  # the same note this many times in a row: that thread is stuck

_portaudio_print: Any = None  # the ctypes callback PortAudio holds: it must stay alive
_last_note: tuple[bytes, int] = (b"", 0)


def _quiet_portaudio(libname: str) -> None:
    """PortAudio prints notes straight to stderr when a device is lost, in the middle of
    the user's screen; send them to the log instead.

    Builds that export PaUtil_SetDebugPrintFunction take a print function. Debian's
    (autotools) build keeps it private and prints through the C library's `stderr`
    stream, so there that stream is sorted instead (see `CStderr`).
    """
    global _portaudio_print
    if _portaudio_print is not None:
        return
    import ctypes

    try:
        setter = ctypes.CDLL(libname).PaUtil_SetDebugPrintFunction
    except (OSError, AttributeError):
        _portaudio_print = False
        CStderr.install()
        return
    kind = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
    _portaudio_print = kind(_print_note)
    setter.argtypes, setter.restype = [kind], None
    setter(_portaudio_print)


def _print_note(text: bytes) -> None:
    """PortAudio's print function: a stuck thread that brings a note is parked here."""
    if not _portaudio_note(text):
        threading.Event().wait()


def _portaudio_note(text: bytes) -> bool:
    """Log one of PortAudio's notes; False once the same note came RUNAWAY times in a row
    (its thread is stuck: the caller parks it, so it stops burning a processor)."""
    global _last_note
    count = _last_note[1] + 1 if text == _last_note[0] else 1
    _last_note = (text, count)
    note = text.decode(errors="replace").rstrip()
    if count < RUNAWAY:
        log.debug("PortAudio: %s", note)
    elif count == RUNAWAY:
        log.warning("PortAudio's stream thread is stuck repeating a note; it is left waiting")
    return count < RUNAWAY


class CStderr:
    """The C library's `stderr` stream pointed at a pipe that a thread sorts: PortAudio's
    notes go to the log, every other line on to file descriptor 2, as before. Python
    writes its own stderr to the descriptor, not through this stream: it is not touched.

    A stuck PortAudio thread is parked by no longer reading its pipe: once the pipe is
    full, its write blocks, for good. Other writers then get a fresh pipe.
    """

    def __init__(self, libc: Any, stream: Any) -> None:
        self.libc, self.stream = libc, stream
        self.original = stream.value
        self.current: tuple[int, int, threading.Thread] | None = None  # FILE*, fd, sorter
        self.parked: list[int] = []  # the write ends of pipes a stuck thread is blocked on

    @classmethod
    def install(cls) -> None:
        import ctypes

        libc = ctypes.CDLL(None)
        try:
            stream = ctypes.c_void_p.in_dll(libc, "stderr")
        except ValueError:  # a C library without a `stderr` variable (macOS names it otherwise)
            return
        libc.fdopen.argtypes, libc.fdopen.restype = [ctypes.c_int, ctypes.c_char_p], \
            ctypes.c_void_p
        libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
        libc.fclose.argtypes = [ctypes.c_void_p]
        sorted_stderr = cls(libc, stream)
        if sorted_stderr.open():
            atexit.register(sorted_stderr.restore)

    def open(self) -> bool:
        """Point the stream at a new pipe and start its sorter; False if that failed."""
        read, write = os.pipe()
        piped = self.libc.fdopen(write, b"w")
        if not piped:
            os.close(read)
            os.close(write)
            return False
        self.libc.setvbuf(piped, None, 1, 0)  # _IOLBF: line-buffered, as stderr is
        sorter = threading.Thread(target=self._sort, args=(read,), name="reflect-stderr",
                                  daemon=True)
        self.current = (piped, write, sorter)
        self.stream.value = piped
        sorter.start()
        return True

    def _sort(self, fd: int) -> None:
        pipe = open(fd, "rb")  # noqa: SIM115 -- left open when a stuck thread is parked on it
        for line in pipe:
            if not PORTAUDIO_NOTE.match(line):
                os.write(2, line)
            elif not _portaudio_note(line):
                self._park(fd)
        pipe.close()

    def _park(self, fd: int) -> None:
        """Stop reading `fd` until the stuck writer blocks on it, then hand the stream a
        fresh pipe; this thread and that writer wait from then on."""
        import fcntl
        import termios

        room = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) - 4096  # a note's write blocks past this
        waiting = bytearray(4)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            fcntl.ioctl(fd, termios.FIONREAD, waiting)
            if int.from_bytes(waiting, sys.byteorder) >= room:
                break
            time.sleep(0.01)
        if self.current is not None:
            self.parked.append(self.current[1])
        self.open()
        threading.Event().wait()

    def restore(self) -> None:
        """At exit: the stream as it was; lines still in the pipe come out first.

        The C library flushes every stream as the process ends: writes to a parked pipe
        must fail then, not wait for a reader that is gone."""
        import fcntl

        self.stream.value = self.original
        for fd in self.parked:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        if self.current is not None:
            piped, _, sorter = self.current
            self.libc.fclose(piped)
            sorter.join(timeout=1.0)


def find_device(spec: str | int | None, kind: str) -> int | None:
    """The device index for `spec` (an index or part of a name); None means the default.

    `kind` is "input" or "output": only devices with channels of that kind match.
    """
    if spec is None or str(spec).strip() == "":
        return None
    sd = sounddevice()
    devices = list(sd.query_devices())
    channels = f"max_{kind}_channels"
    text = str(spec).strip()
    if text.isdigit():
        index = int(text)
        if index < len(devices) and devices[index][channels] > 0:
            return index
    else:
        for index, dev in enumerate(devices):
            if text.lower() in dev["name"].lower() and dev[channels] > 0:
                return index
    raise ReflectError(Msg.DEVICE_NOT_FOUND, kind=kind, spec=text)


# --- WAV files and sample rates ----------------------------------------------------


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A WAV file as mono int16 samples and its rate (channels are averaged)."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as err:
        raise ReflectError(Msg.BAD_WAV, path=path, reason=str(err) or type(err).__name__) \
            from err
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.int32)
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.int32) >> 16
    else:
        raise ReflectError(Msg.BAD_WAV, path=path, reason=f"{8 * width}-bit samples")
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
    """Write mono int16 `pcm` as a 16-bit WAV file."""
    Path(path).write_bytes(wav_bytes(pcm, rate))


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


# --- tones -------------------------------------------------------------------------

# Each tone is a list of (start Hz, end Hz, seconds) notes: a rising glide for "I am
# listening", two soft notes going up for "saved", a falling glide for "stopped".
TONES: dict[str, list[tuple[float, float, float]]] = {
    "listening": [(520.0, 780.0, 0.16)],
    "saved": [(660.0, 660.0, 0.09), (880.0, 880.0, 0.12)],
    "stopped": [(660.0, 440.0, 0.2)],
}
TONE_LEVEL = 0.18  # of full scale: audible, never startling
TONE_GAP = 0.04


def tone(name: str, rate: int) -> np.ndarray:
    """The named earcon as mono int16 at `rate`: soft sines with a fade in and out."""
    parts: list[np.ndarray] = []
    for start, end, seconds in TONES[name]:
        t = np.arange(int(rate * seconds)) / rate
        freq = start + (end - start) * t / seconds
        phase = 2 * math.pi * np.cumsum(freq) / rate
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.015)
        parts += [np.sin(phase) * fade * TONE_LEVEL, np.zeros(int(rate * TONE_GAP))]
    return (np.concatenate(parts[:-1]) * 32767).astype(np.int16)


# --- microphone --------------------------------------------------------------------


class MicStream:
    """The microphone through sounddevice, as mono int16 at `rate`.

    Opened at `rate` when the device allows it, else at the device's own rate and
    resampled. While held, what the device captures is dropped: Reflect does not listen
    to its own voice.
    """

    def __init__(self, device: int | str | None, rate: int) -> None:
        self.device = find_device(device, "input") if isinstance(device, str) else device
        self.rate = rate
        self.overflows = 0
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._held = False
        self._stream: Any = None
        self._resampler: Resampler | None = None
        self._last_callback = 0.0
        self._closing = False
        self._finished = False
        self._stalled = False  # lost while its thread still runs (see `_let_go`)

    def start(self) -> None:
        sd = sounddevice()
        try:
            try:
                sd.check_input_settings(self.device, channels=1, dtype="int16",
                                        samplerate=self.rate)
                device_rate = self.rate
            except sd.PortAudioError:
                device_rate = int(sd.query_devices(self.device, "input")["default_samplerate"])
                self._resampler = Resampler(device_rate, self.rate)
            self._stream = sd.RawInputStream(
                samplerate=device_rate, blocksize=int(device_rate * 0.05), device=self.device,
                channels=1, dtype="int16", callback=self._callback,
                finished_callback=self._on_finished)
            self._last_callback = time.monotonic()
            self._stream.start()
        except (sd.PortAudioError, ValueError) as err:
            self.close()
            raise ReflectError(Msg.MIC_UNAVAILABLE, reason=_reason(err)) from err

    def _callback(self, indata: Any, frames: int, timing: Any, status: Any) -> None:
        self._last_callback = time.monotonic()
        if status.input_overflow:
            self.overflows += 1
        if not self._held:
            self._queue.put(bytes(indata))

    def _on_finished(self) -> None:
        self._finished = True

    def read(self, timeout: float) -> bytes:
        try:
            data = self._queue.get(timeout=timeout)
        except queue.Empty:
            data = b""
        if not data:
            self._check_alive()
            return b""
        if self._resampler is not None:
            data = self._resampler(np.frombuffer(data, np.int16)).tobytes()
        return data

    def _check_alive(self) -> None:
        stream = self._stream
        if stream is None:
            raise DeviceLost("the microphone is not open")
        if self._finished or not stream.active:
            raise DeviceLost("the microphone stream stopped")
        if time.monotonic() - self._last_callback > LOST_AFTER:
            self._stalled = True
            raise DeviceLost(f"no sound from the microphone for {LOST_AFTER:.0f} seconds")

    def hold(self) -> None:
        self._held = True
        self._drain()

    def release(self) -> None:
        self._drain()
        self._held = False

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and self.overflows:
            log.warning("the microphone overflowed %d times: some audio was lost", self.overflows)
        if stream is not None:
            _let_go(stream, stuck=self._stalled and not self._finished)


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


# --- speaker -----------------------------------------------------------------------


class Speaker:
    """Plays mono int16 PCM on an output device; a set `interrupt` stops it mid-sound."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = find_device(device, "output") if isinstance(device, str) else device
        self._sd = sounddevice()

    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        sd = self._sd
        samples = np.asarray(pcm, np.int16)
        done = threading.Event()
        position = 0

        def callback(outdata: Any, frames: int, timing: Any, status: Any) -> None:
            nonlocal position
            chunk = samples[position:position + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk):, 0] = 0
            position += len(chunk)
            if position >= len(samples):
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(samplerate=rate, device=self.device, channels=1,
                                     dtype="int16", callback=callback,
                                     finished_callback=done.set)
        except (sd.PortAudioError, ValueError) as err:
            raise ReflectError(Msg.SPEAKER_UNAVAILABLE, reason=_reason(err)) from err
        seconds = len(samples) / rate
        stalled = False
        try:
            stream.start()
            started = time.monotonic()
            while not done.wait(0.02):
                if interrupt is not None and interrupt.is_set():
                    stream.abort()
                    return False
                if time.monotonic() > started + seconds + LOST_AFTER:
                    stalled = True
                    raise DeviceLost("the speaker stopped taking sound")
            # PortAudio is done once the last block is handed on; the sound is out only
            # after the output latency. Waiting for it keeps the microphone, which is
            # opened again next, from hearing the end of Reflect's own voice.
            rest = started + seconds + stream.latency - time.monotonic()
            if rest > 0:
                (interrupt or threading.Event()).wait(rest)
            return True
        except sd.PortAudioError as err:
            raise DeviceLost(_reason(err)) from err
        finally:
            _let_go(stream, stuck=stalled and not done.is_set())

    def close(self) -> None:
        pass


class SpeakerFile:
    """Everything played is appended to one WAV file instead of a speaker (--speaker-file).

    The header is brought up to date after every sound, so the file is complete even if
    Reflect stops early. The file keeps the rate of the first sound; later ones are
    resampled to it.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rate: int | None = None
        self.frames = 0
        try:
            self._file = open(self.path, "wb")  # noqa: SIM115 -- kept open until close()
            self._file.write(_wav_header(22050, 0))  # a valid, empty WAV until sound comes
            self._file.flush()
        except OSError as err:
            raise ReflectError(Msg.WAV_WRITE_FAILED, path=path, reason=_reason(err)) from err

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
            raise ReflectError(Msg.WAV_WRITE_FAILED, path=self.path, reason=_reason(err)) \
                from err
        return True

    def close(self) -> None:
        self._file.close()


_abandoned: list[Any] = []  # streams left to a stuck thread: never closed, never freed


def _let_go(stream: Any, stuck: bool) -> None:
    """Close `stream` -- unless its device was lost while its thread still ran.

    PortAudio 19.6 can leave that thread stuck for good (see RUNAWAY); closing the stream,
    or shutting PortAudio down at exit, would wait for it forever. So such a stream is
    kept as it is, and sounddevice's exit handler is called off.
    """
    if stuck:
        log.warning("leaving a lost audio stream open: its thread did not finish")
        _abandoned.append(stream)
        atexit.unregister(sounddevice()._exit_handler)
        return
    stream.close(ignore_errors=True)  # a device already gone has nothing left to save


def _reason(err: BaseException) -> str:
    if "Error querying device -1" in str(err):  # PortAudio's words for "there is no default"
        return Msg.REASON_NO_DEVICE.format()
    return reason(err)
