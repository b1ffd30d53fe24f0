"""Every text's rendering, made once and ahead of the speaker where it can be: the part of
the Voice (tts/voice.py) that makes sound, not the part that plays it.

Texts announced with `prepare()` -- guide text, which the session knows ahead -- are
rendered by a background thread and kept on disk, so the next question starts the moment
an answer is saved; a text wanted now always goes first, and the preparer waits while
there is one. Anything else is rendered in memory only: what the user said never reaches
the cache. A text not rendered before is streamed: handed on piece by piece while the rest
is made in a thread of its own, at most AHEAD seconds ahead of the speaker. Speech made
ahead runs at a lower priority than the speaker and the microphone (`in_the_background`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

import numpy as np

from assistant.speech.tts.rendercache import RenderCache
from assistant.speech.tts.synthesizer import Sound, Synthesizer

MEMORY = 64  # rendered texts kept in memory
FINISH_AFTER = 10.0  # seconds close() waits for a text being prepared to be kept
AHEAD = 3.0  # seconds of sound a streamed text is made ahead of the speaker, at most
BACKGROUND = 10  # niceness added to the threads that make speech ahead of time


class Streamed(NamedTuple):
    """A text being made as it is played: its rate, its sound piece by piece (raising at
    the end when the synthesis failed half way), and the event to set once the speaker is
    done with it or was cut short (the rest is then made at full speed)."""

    rate: int
    pcm: Iterator[np.ndarray]
    played: threading.Event


class Renderings:
    """The texts rendered with `synthesizer`: remembered (the last MEMORY), kept in
    `cache_dir` when prepared (None: in memory only), made ahead in the background.
    Closing it closes the synthesizer."""

    def __init__(self, synthesizer: Synthesizer, cache_dir: Path | None) -> None:
        self.synthesizer = synthesizer
        self._cache = RenderCache(cache_dir, synthesizer.identity)
        self._rendered: OrderedDict[str, Future[Sound]] = OrderedDict()
        self._keep: set[str] = set()  # texts announced by prepare(): these go to the disk cache
        self._waiting: deque[str] = deque()  # prepared texts not taken up yet
        self._wanted = 0  # now() and render() calls going on: the preparer waits for them
        self._closed = False
        self._changed = threading.Condition()
        self._preparer: threading.Thread | None = None
        self._makers: list[threading.Thread] = []  # making the rest of streamed texts

    def now(self, text: str) -> Sound | Streamed:
        """`text` to be played now: its sound when it was rendered before (remembered,
        cached, or being made by another thread: then waited for), else Streamed."""
        with self._changed:
            self._wanted += 1
            future, mine = self._claim(text)
        if mine:
            cached = self._cache.load(text)
            if cached is None:
                return self._stream(future, text)  # gives the preparer back its turn
            future.set_result(cached)
        self._done_wanting()
        return future.result()

    def render(self, text: str) -> Sound:
        """`text` as mono int16 PCM and its rate (from memory, the cache or the engine),
        before any text still waiting to be prepared."""
        with self._changed:
            self._wanted += 1
            future, mine = self._claim(text)
        try:
            if mine:
                self._fill(future, text)
            return future.result()
        finally:
            self._done_wanting()

    def prepare(self, texts: Sequence[str]) -> None:
        """Render `texts` in the background, in order, and keep them on disk for next time."""
        with self._changed:
            self._keep.update(texts)
            for text in texts:
                if text not in self._rendered:
                    self._remember(text, Future())
                    self._waiting.append(text)
            self._changed.notify_all()
            if self._preparer is None and not self._closed:
                self._preparer = threading.Thread(target=self._prepare_waiting,
                                                  name="reflect-prepare", daemon=True)
                self._preparer.start()
                atexit.register(self.close)  # a text being kept is kept whole

    def close(self) -> None:
        """Drop the texts still waiting, let the one being prepared and the rest of a
        streamed text be made, then close the synthesizer (a thread left inside the
        engine when Python exits can abort it: "terminate called without an active
        exception")."""
        with self._changed:
            if self._closed:
                return
            self._closed = True
            self._waiting.clear()
            self._changed.notify_all()
        atexit.unregister(self.close)
        deadline = time.monotonic() + FINISH_AFTER
        for thread in [self._preparer, *self._makers]:
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.synthesizer.close()

    def _prepare_waiting(self) -> None:
        """The preparer's thread: one waiting text after the other, never while a text
        to say now is being rendered."""
        in_the_background()
        while True:
            with self._changed:
                while not self._closed and (self._wanted or not self._waiting):
                    self._changed.wait()
                if self._closed:
                    return
                text = self._waiting.popleft()
                future, mine = self._claim(text)
            if mine:
                self._fill(future, text)

    def _claim(self, text: str) -> tuple[Future[Sound], bool]:
        """The rendering of `text` (new, waiting, going on or done), and whether the
        caller is the one to do it. Called with the lock held."""
        future = self._rendered.get(text)
        if future is None:
            future = self._remember(text, Future())
        else:
            self._rendered.move_to_end(text)
        if future.running() or future.done():
            return future, False
        return future, future.set_running_or_notify_cancel()

    def _remember(self, text: str, future: Future[Sound]) -> Future[Sound]:
        self._rendered[text] = future
        while len(self._rendered) > MEMORY:
            self._rendered.popitem(last=False)
        return future

    def _fill(self, future: Future[Sound], text: str) -> None:
        try:
            future.set_result(self._load_or_render(text))
        except Exception as err:
            future.set_exception(err)
            self._forget(text, future)

    def _load_or_render(self, text: str) -> Sound:
        return self._cache.load(text) or self._kept(text, _whole(
            self.synthesizer.synthesize(text)))

    def _kept(self, text: str, sound: Sound) -> Sound:
        """`sound`, written to the disk cache when `text` was prepared (guide text)."""
        with self._changed:
            keep = text in self._keep
        if keep:
            self._cache.keep(text, sound)
        return sound

    def _stream(self, future: Future[Sound], text: str) -> Streamed:
        """`text` as it is synthesized, piece by piece, made at most AHEAD seconds ahead
        of the speaker. The synthesis goes on to the end in a thread of its own even when
        the user cuts the text short (then at full speed), so it is remembered whole (and
        kept on disk when prepared); then the preparer may go on."""
        chunks = self.synthesizer.synthesize(text)
        try:
            first = next(chunks)  # SpeaksItself, or NoSpeech, surfaces here
        except BaseException as err:
            future.set_exception(err)
            self._forget(text, future)
            self._done_wanting()
            raise
        made: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        made.put(first.pcm)
        played = threading.Event()  # the speaker is done with the text (or was cut short)

        def synthesize_the_rest() -> None:
            in_the_background()
            pieces = [first]
            ahead, started = len(first.pcm) / first.rate, time.monotonic()
            try:
                for piece in chunks:
                    pieces.append(piece)
                    made.put(piece.pcm)
                    ahead += len(piece.pcm) / piece.rate
                    # Far enough ahead of the speaker: wait, rather than take both cores
                    # from it and from the listener for seconds at the start of a long text.
                    while (ahead - (time.monotonic() - started) > AHEAD
                           and not played.wait(0.05)):
                        pass
                future.set_result(self._kept(text, _whole(pieces)))
            except Exception as err:
                future.set_exception(err)
                self._forget(text, future)
            finally:
                made.put(None)
                self._done_wanting()

        def pcm() -> Iterator[np.ndarray]:
            while (chunk := made.get()) is not None:
                yield chunk
            future.result()  # a synthesis that failed half way raises here

        maker = threading.Thread(target=synthesize_the_rest, name="reflect-synthesize",
                                 daemon=True)
        self._makers = [*(t for t in self._makers if t.is_alive()), maker]
        maker.start()
        return Streamed(first.rate, pcm(), played)

    def _done_wanting(self) -> None:
        with self._changed:
            self._wanted -= 1
            self._changed.notify_all()

    def _forget(self, text: str, future: Future[Sound]) -> None:
        with self._changed:
            if self._rendered.get(text) is future:
                del self._rendered[text]


def in_the_background() -> None:
    """Lower this thread's priority (Linux: each thread has its own): speech made ahead
    must never take the CPU from the speaker's callback or the microphone's listener."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread,
                           os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND)


def _whole(chunks: Iterable[Sound]) -> Sound:
    """A text's chunks as one sound (playing each as it comes is for a streaming engine)."""
    parts = list(chunks)
    return Sound(np.concatenate([p.pcm for p in parts]), parts[0].rate)
