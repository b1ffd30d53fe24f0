"""Sound handed from a synthesizer to a speaker's callback (speaker.Speaker).

The callback runs on PortAudio's thread and must never wait, while the sound may still be
in the making (Piper streaming a sentence piece by piece): a thread pulls the chunks ahead
into a queue, and the callback plays silence when the queue runs dry rather than wait.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

import numpy as np


class Feed:
    """`chunks`, pulled by a thread of its own, for one stream's callback to take."""

    def __init__(self, chunks: Iterator[np.ndarray]) -> None:
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queued = 0  # samples
        self._ended = False
        self._stopped = False
        self._error: BaseException | None = None
        threading.Thread(target=self._pull, args=(chunks,), name="reflect-feed",
                         daemon=True).start()

    def _pull(self, chunks: Iterator[np.ndarray]) -> None:
        try:
            for chunk in chunks:
                with self._changed:
                    self._queue.append(np.asarray(chunk, np.int16))
                    self._queued += len(chunk)
                    self._changed.notify_all()
                if self._stopped:
                    return
        except BaseException as err:  # handed to the player's thread by check()
            self._error = err
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def wait_for(self, seconds: float, rate: int, interrupt: threading.Event | None) -> None:
        """Until `seconds` of sound are queued, all of it is, or `interrupt` is set."""
        with self._changed:
            while (self._queued < seconds * rate and not self._ended
                   and not (interrupt is not None and interrupt.is_set())):
                self._changed.wait(0.02)

    def take(self, out: np.ndarray) -> int:
        """Fill `out` with what is queued, silence after it; how many samples were sound."""
        filled = 0
        with self._lock:
            while filled < len(out) and self._queue:
                chunk = self._queue[0]
                n = min(len(chunk), len(out) - filled)
                out[filled:filled + n] = chunk[:n]
                filled += n
                if n == len(chunk):
                    self._queue.popleft()
                else:
                    self._queue[0] = chunk[n:]
            self._queued -= filled
        out[filled:] = 0
        return filled

    @property
    def drained(self) -> bool:
        return self._ended and not self._queue

    def check(self) -> None:
        """Raise what went wrong while making the sound (a synthesis that failed)."""
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stopped = True
