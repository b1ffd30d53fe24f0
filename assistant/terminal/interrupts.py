"""Ctrl-C, a closed terminal (SIGHUP) and SIGTERM (logout, shutdown) end a session one way.

The signal handler never breaks into the middle of a save: it only records the signal
and wakes what is waiting (the speaker stops, the ear ends its take). Each part then
raises `Interrupted` at a point of its own where nothing is half done -- the ear with the
answer in progress attached -- and the session saves that answer before it lets go. Only
a pure wait that could otherwise block for good (a typed line) is broken off at once.

A signal that the shell told this process to ignore (SIGINT in a background job, SIGHUP
under nohup) stays ignored: that is what the user asked of the shell.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from assistant.turns import Interrupted

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequest:
    """The signals a session ends on, as one request its parts look at."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._wakers: list[Callable[[], None]] = []
        self._waiting = False

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def on_request(self, wake: Callable[[], None]) -> None:
        """Call `wake` (from the signal handler) when a stop is requested: it must only set
        an event or a flag."""
        self._wakers.append(wake)

    def check(self) -> None:
        """Raise Interrupted if a stop was requested."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """A wait that holds no state (reading a typed line): broken off at once."""
        self.check()
        self._waiting = True
        try:
            yield
        finally:
            self._waiting = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle the signals while the block runs (main thread only), then hand them back."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        before = {}
        for sig in SIGNALS:
            current = signal.getsignal(sig)
            if current is signal.SIG_IGN and sig != signal.SIGTERM:
                continue
            before[sig] = current
            signal.signal(sig, self._handle)
        try:
            yield self
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            log.info("stopping on %s", signal.Signals(signum).name)
            for wake in self._wakers:
                wake()
        if self._waiting:
            self._waiting = False  # a second signal never breaks into the save that follows
            raise Interrupted(signum)
