"""The real microphone and speaker, through sounddevice (PortAudio).

sounddevice is imported only when a real device is opened, so that a missing PortAudio
becomes one clear sentence and a run on files never loads it. The microphone callback
does nothing but copy bytes into a queue -- recognition runs in the caller's thread --
because a slow callback loses audio.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import Unavailable, reason
from assistant.messages import Msg
from assistant.speech.audio.feed import Feed
from assistant.speech.audio.portaudio_log import QUIET
from assistant.speech.audio.streams import DeviceLost
from assistant.speech.audio.wavfiles import Resampler

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

LOST_AFTER = 2.0  # seconds without a callback from a running stream: the device is gone
# Seconds of sound queued ahead of the speaker. PortAudio's "high" default is 35 ms through
# PulseAudio: on two busy cores a callback now and then came 45-120 ms late and the
# speaker played a hole (5 plays in 90); with 0.2 s, none in 60. The first sound is no
# later (the buffer is filled before the stream starts); Enter still cuts it at once.
OUTPUT_LATENCY = 0.2
# How much sound PortAudio takes the moment a stream starts: the buffer is filled (with
# 0.2 s latency on PulseAudio, 0.25 s at once and 0.3 s within 22 ms, measured). A
# streamed text starts once that much is made, or all of it: else the first words would
# be followed by a hole.
START_FILL = 0.3


def sounddevice() -> ModuleType:
    """The sounddevice module, or one sentence saying PortAudio is missing."""
    QUIET.alsa()  # before the import: PortAudio lists the ALSA devices as it loads
    try:
        import sounddevice as sd
    except OSError as err:  # sounddevice raises OSError when libportaudio is not found
        raise Unavailable(Msg.NO_PORTAUDIO, reason=str(err)) from err
    QUIET.portaudio(sd._libname)
    return sd


@dataclass(frozen=True)
class Device:
    """One device PortAudio offers; `index` is the number the settings take."""

    index: int
    name: str
    channels: dict[str, int]  # "input" and "output" -> how many of each
    rate: int  # its default sample rate, Hz


@dataclass(frozen=True)
class Listing:
    """Every device, and the index of the default of each kind ("input", "output"; -1
    when there is none)."""

    devices: list[Device]
    defaults: dict[str, int]

    def of(self, kind: str) -> list[Device]:
        """The devices with channels of `kind`."""
        return [d for d in self.devices if d.channels[kind] > 0]


def listing() -> Listing:
    """The devices PortAudio sees now, so that no other module needs sounddevice's API."""
    sd = sounddevice()
    found = [Device(i, d["name"], {"input": d["max_input_channels"],
                                   "output": d["max_output_channels"]},
                    round(d["default_samplerate"]))
             for i, d in enumerate(sd.query_devices())]
    default_in, default_out = sd.default.device
    return Listing(found, {"input": -1 if default_in is None else int(default_in),
                           "output": -1 if default_out is None else int(default_out)})


def find_device(spec: str | int | None, kind: str) -> int | None:
    """The device index for `spec` (an index or part of a name); None means the default.

    `kind` is "input" or "output": only devices with channels of that kind match.
    """
    if spec is None or str(spec).strip() == "":
        return None
    text = str(spec).strip()
    for device in listing().of(kind):
        if (str(device.index) == text if text.isdigit()
                else text.lower() in device.name.lower()):
            return device.index
    raise Unavailable(Msg.DEVICE_NOT_FOUND, kind=kind, spec=text)


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
        # time.monotonic() when the end of the chunk read last was captured: barge-in
        # compares it with when Reflect's voice played (listening/echo.py), however late it reads
        self.heard_until: float | None = None
        self._queue: queue.SimpleQueue[tuple[bytes, float]] = queue.SimpleQueue()
        self._held = False
        self._stream: Any = None
        self._resampler: Resampler | None = None
        self._device_rate = rate
        self._last_callback = 0.0
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
            self._device_rate = device_rate
            self._stream = sd.RawInputStream(
                samplerate=device_rate, blocksize=int(device_rate * 0.05), device=self.device,
                channels=1, dtype="int16", callback=self._callback,
                finished_callback=self._on_finished)
            self._last_callback = time.monotonic()
            self._stream.start()
        except (sd.PortAudioError, ValueError) as err:
            self.close()
            raise Unavailable(Msg.MIC_UNAVAILABLE, reason=_reason(err)) from err

    def _callback(self, indata: Any, frames: int, timing: Any, status: Any) -> None:
        self._last_callback = now = time.monotonic()
        if status.input_overflow:
            self.overflows += 1
        if not self._held:
            late = (timing.currentTime - timing.inputBufferAdcTime
                    if timing.inputBufferAdcTime > 0 else 0.0)  # since its first sample
            self._queue.put((bytes(indata), now - late + frames / self._device_rate))

    def _on_finished(self) -> None:
        self._finished = True

    def read(self, timeout: float) -> bytes:
        try:
            data, self.heard_until = self._queue.get(timeout=timeout)
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


class Speaker:
    """Plays mono int16 PCM on an output device; a set `interrupt` stops it mid-sound.
    `tap` is shown every block as it is handed on, with when it will be heard
    (time.monotonic): what barge-in needs to know its own echo (listening/echo.py)."""

    def __init__(self, device: int | str | None = None,
                 tap: Callable[[np.ndarray, float], None] | None = None) -> None:
        self.device = find_device(device, "output") if isinstance(device, str) else device
        self.tap = tap
        self._sd = sounddevice()

    def play(self, pcm: np.ndarray, rate: int,
             interrupt: threading.Event | None = None) -> bool:
        return self.stream(iter([pcm]), rate, interrupt)

    def stream(self, chunks: Iterator[np.ndarray], rate: int,
               interrupt: threading.Event | None = None) -> bool:
        sd = self._sd
        feed = Feed(chunks)
        done = threading.Event()
        heard = [time.monotonic()]  # when the device last asked for sound
        ends = [0.0]  # when the last sample handed on so far is heard
        tap = self.tap

        def callback(outdata: Any, frames: int, timing: Any, status: Any) -> None:
            now = heard[0] = time.monotonic()
            ahead = (timing.outputBufferDacTime - timing.currentTime
                     if timing.outputBufferDacTime > 0 else OUTPUT_LATENCY)
            out_at = now + max(0.0, ahead)  # when this block is heard
            filled = feed.take(outdata[:, 0])
            if filled:
                ends[0] = out_at + filled / rate
            if tap is not None:
                tap(outdata[:, 0], out_at)
            # Stopping drops what the device still holds (the last 0.25 s through
            # PulseAudio: a short tone was never heard), so the stream plays silence
            # until the last sound is out. That also keeps the microphone, opened again
            # next, from hearing the end of Reflect's own voice.
            if feed.drained and now >= ends[0]:
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(samplerate=rate, device=self.device, channels=1,
                                     dtype="int16", latency=OUTPUT_LATENCY,
                                     callback=callback, finished_callback=done.set)
        except (sd.PortAudioError, ValueError) as err:
            feed.stop()
            raise Unavailable(Msg.SPEAKER_UNAVAILABLE, reason=_reason(err)) from err
        stalled = False
        try:
            feed.wait_for(START_FILL, rate, interrupt)
            heard[0] = time.monotonic()
            stream.start()
            while not done.wait(0.02):
                if interrupt is not None and interrupt.is_set():
                    stream.abort()
                    return False
                if time.monotonic() > heard[0] + LOST_AFTER:
                    stalled = True
                    raise DeviceLost("the speaker stopped taking sound")
            feed.check()
            return True
        except sd.PortAudioError as err:
            raise DeviceLost(_reason(err)) from err
        finally:
            feed.stop()
            _let_go(stream, stuck=stalled and not done.is_set())

    def close(self) -> None:
        pass


_abandoned: list[Any] = []  # streams left to a stuck thread: never closed, never freed


def _let_go(stream: Any, stuck: bool) -> None:
    """Close `stream` -- unless its device was lost while its thread still ran.

    PortAudio 19.6 can leave that thread stuck for good (see quiet.RUNAWAY); closing the
    stream, or shutting PortAudio down at exit, would wait for it forever. So such a
    stream is kept as it is, and sounddevice's exit handler is called off.
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
