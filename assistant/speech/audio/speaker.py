"""The real speaker, through sounddevice (PortAudio): a sound, or one still being made,
played on an output device until it is out, or cut short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
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
from assistant.speech.audio.feed import Feed
from assistant.speech.audio.streams import DeviceLost

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
            raise Unavailable(Msg.SPEAKER_UNAVAILABLE, reason=device_reason(err)) from err
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
            raise DeviceLost(device_reason(err)) from err
        finally:
            feed.stop()
            let_go(stream, stuck=stalled and not done.is_set())

    def close(self) -> None:
        pass

