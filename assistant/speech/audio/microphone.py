"""The real microphone, through sounddevice (PortAudio).

The callback does nothing but copy bytes into a queue -- recognition runs in the caller's
thread -- because a slow callback loses audio.
"""

from __future__ import annotations

import logging
import queue
import time
from typing import Any

import numpy as np

from assistant.errors import Unavailable
from assistant.messages import Msg
from assistant.speech.audio.devices import (
    LOST_AFTER,
    device_reason,
    find_device,
    let_go,
    sounddevice,
)
from assistant.speech.audio.streams import DeviceLost
from assistant.speech.audio.wavfiles import Resampler

log = logging.getLogger(__name__)


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
        self._stalled = False  # lost while its thread still runs (see `devices.let_go`)

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
            raise Unavailable(Msg.MIC_UNAVAILABLE, reason=device_reason(err)) from err

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
            let_go(stream, stuck=self._stalled and not self._finished)
