"""Speaking: text -> pyttsx3 (espeak-ng) -> PCM -> the speaker.

pyttsx3's engine is not thread-safe, so one worker thread owns it and renders text to a
WAV in a private temp dir (never `say()`: on Linux that shells out to `aplay`, speaks
only the last queued text, and turns into a file write after any `save_to_file`). The
caller's thread plays the PCM, so Enter can cut a narration short. Texts announced with
`prepare()` -- guide text, which the session knows ahead -- are rendered in the background
and kept on disk, so the next question starts the moment an answer is saved. Anything
else is rendered in memory only: what the user said never reaches the cache.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from assistant import audio
from assistant.config import Settings
from assistant.messages import Msg, ReflectError

log = logging.getLogger(__name__)

TONE_RATE = 22050  # espeak-ng's own rate, so a --speaker-file never needs resampling
MEMORY = 64  # rendered texts kept in memory
SAY, PREPARE = 0, 1  # job priorities: a text to speak now goes before texts for later


class FallbackPlayback(Exception):
    """pyttsx3 cannot render to a file on this platform; it has to speak by itself."""


class Voice:
    """Implements session.Voice: renders with pyttsx3 in one worker thread, plays here.

    `cache_dir` is where prepared texts are kept (the CLI passes
    `paths().cache_dir / "speech"`); None keeps them in memory only. Set `interrupt`
    (or call `skip()`) to cut the current narration short.
    """

    def __init__(self, speaker: audio.Sink, settings: Settings, cache_dir: Path | None,
                 make_engine: Callable[[], Any] | None = None) -> None:
        self.speaker = speaker
        self.settings = settings
        self.cache_dir = cache_dir
        self.interrupt = threading.Event()
        self.fallback = False  # True once pyttsx3 had to speak by itself
        self._make_engine = make_engine or _pyttsx3_engine
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[Any], None] | None]] = \
            queue.PriorityQueue()
        self._order = itertools.count()
        self._rendered: OrderedDict[str, Future[tuple[np.ndarray, int]]] = OrderedDict()
        self._lock = threading.Lock()
        self._engine_id = ""
        ready: Future[None] = Future()
        self._worker = threading.Thread(target=self._run, args=(ready,), name="reflect-voice",
                                        daemon=True)
        self._worker.start()
        ready.result()  # raises ReflectError when there is no speech engine

    # --- what the session calls --------------------------------------------------

    def say(self, text: str) -> None:
        """Speak `text`; returns when it has been spoken or `interrupt` was set."""
        self.interrupt.clear()
        try:
            pcm, rate = self.render(text)
        except FallbackPlayback:
            self._in_worker(lambda engine: _speak_by_itself(engine, text))
            return
        self.speaker.play(pcm, rate, self.interrupt)

    def prepare(self, texts: Sequence[str]) -> None:
        """Render `texts` in the background and keep them on disk for next time."""
        for text in texts:
            self._future(text, PREPARE, cache=True)

    def cue(self, name: str) -> None:
        """Play a short tone (`listening`, `saved`, `stopped`) unless tones are off."""
        if self.settings.tones:
            self.speaker.play(audio.tone(name, TONE_RATE), TONE_RATE, self.interrupt)

    def skip(self) -> None:
        """Stop the narration being spoken now (the user pressed Enter)."""
        self.interrupt.set()

    def render(self, text: str) -> tuple[np.ndarray, int]:
        """`text` as mono int16 PCM and its rate (from memory, the cache or the engine)."""
        return self._future(text, SAY, cache=False).result()

    def close(self) -> None:
        self._jobs.put((-1, next(self._order), None))
        self._worker.join(timeout=5)

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- rendering -------------------------------------------------------------

    def _future(self, text: str, priority: int, cache: bool) -> Future[tuple[np.ndarray, int]]:
        """The (possibly still running) rendering of `text`, started if need be."""
        with self._lock:
            future = self._rendered.get(text)
            if future is None:
                future = self._rendered[text] = Future()
                while len(self._rendered) > MEMORY:
                    self._rendered.popitem(last=False)
            else:
                self._rendered.move_to_end(text)
                if future.done() or priority == PREPARE:
                    return future
        # Queued again at SAY priority when the user is waiting for a prepared text.
        self._jobs.put((priority, next(self._order),
                        lambda engine: self._fill(future, engine, text, cache)))
        return future

    def _fill(self, future: Future[tuple[np.ndarray, int]], engine: Any, text: str,
              cache: bool) -> None:
        if future.done():
            return
        try:
            future.set_result(self._load_or_render(engine, text, cache))
        except Exception as err:
            future.set_exception(err)
            with self._lock:
                if self._rendered.get(text) is future:
                    del self._rendered[text]

    def _load_or_render(self, engine: Any, text: str, cache: bool) -> tuple[np.ndarray, int]:
        cached = self._cache_path(text)
        if cached is not None and cached.is_file():
            try:
                return audio.read_wav(cached)
            except ReflectError:
                log.warning("ignoring an unreadable cached rendering %s", cached)
        if self.fallback:
            raise FallbackPlayback
        wav = self._tmp / "render.wav"
        try:
            engine.save_to_file(text, str(wav))
            engine.runAndWait()
            pcm, rate = audio.read_wav(wav)
            if not len(pcm) and text.strip():
                raise RuntimeError("it wrote no sound")
        except Exception as err:
            self.fallback = True
            log.warning("pyttsx3 cannot render speech to a file here (%s); "
                        "it will speak through its own playback instead", err)
            raise FallbackPlayback from err
        finally:
            wav.unlink(missing_ok=True)
        if cache and cached is not None:
            _write_private(cached, pcm, rate)
        return pcm, rate

    def _cache_path(self, text: str) -> Path | None:
        if self.cache_dir is None:
            return None
        s = self.settings
        key = json.dumps([text, s.voice, s.rate, s.volume, self._engine_id])
        return self.cache_dir / (hashlib.sha256(key.encode()).hexdigest() + ".wav")

    # --- the worker thread -----------------------------------------------------

    def _in_worker(self, job: Callable[[Any], None]) -> None:
        """Run `job(engine)` on the worker thread and wait for it."""
        done: Future[None] = Future()

        def run(engine: Any) -> None:
            try:
                job(engine)
                done.set_result(None)
            except Exception as err:
                done.set_exception(err)

        self._jobs.put((SAY, next(self._order), run))
        done.result()

    def _run(self, ready: Future[None]) -> None:
        try:
            engine = self._make_engine()
            _configure(engine, self.settings)
            self._engine_id = _engine_id(engine)
        except ReflectError as err:
            ready.set_exception(err)
            return
        except Exception as err:  # no espeak-ng, broken driver: the CLI prints prompts instead
            ready.set_exception(ReflectError(Msg.SPEECH_UNAVAILABLE,
                                             reason=str(err) or type(err).__name__))
            return
        self._tmp = Path(tempfile.mkdtemp(prefix="reflect-speech-"))  # 0700
        ready.set_result(None)
        try:
            while True:
                _, _, job = self._jobs.get()
                if job is None:
                    return
                job(engine)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _pyttsx3_engine() -> Any:
    import pyttsx3

    engine = pyttsx3.init()
    # The espeak driver prints "Audio saved to ..." after every save_to_file; a module-level
    # `print` in that module sends it to the log instead, without touching sys.stdout
    # (which the main thread is using for the live transcript).
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *args, **_: log.debug(" ".join(map(str, args)))  # type: ignore[attr-defined]
    return engine


def _configure(engine: Any, settings: Settings) -> None:
    if settings.voice:
        engine.setProperty("voice", _voice_id(engine, settings.voice))
    if settings.rate:
        engine.setProperty("rate", settings.rate)
    engine.setProperty("volume", settings.volume)


def _voice_id(engine: Any, wanted: str) -> str:
    """The engine's id for a voice given by id, name or language (any case).

    Checked here because espeak-ng accepts any name and quietly keeps its default voice.
    """
    for v in engine.getProperty("voices"):
        names = [v.id, v.id.rsplit("/", 1)[-1], v.name, *(v.languages or [])]
        if wanted.lower() in (str(n).lower() for n in names):
            return str(v.id)
    raise ReflectError(Msg.VOICE_NOT_FOUND, voice=wanted)


def _engine_id(engine: Any) -> str:
    """Names the engine and its version, so a new espeak-ng renders the cache afresh."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ident = f"pyttsx3 {version('pyttsx3')}"
    except PackageNotFoundError:
        ident = "pyttsx3"
    driver = type(getattr(getattr(engine, "proxy", None), "_driver", engine)).__module__
    ident += f" {driver}"
    if driver == "pyttsx3.drivers.espeak":
        from pyttsx3.drivers import _espeak

        ident += f" espeak-ng {_espeak.Info(None).decode()}"
    return ident


def _speak_by_itself(engine: Any, text: str) -> None:
    engine.say(text)
    engine.runAndWait()


def _write_private(path: Path, pcm: np.ndarray, rate: int) -> None:
    """Write a cache file 0600 in a 0700 dir, atomically (a torn file is never read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, audio.wav_bytes(pcm, rate))
    finally:
        os.close(fd)
    os.replace(tmp, path)
