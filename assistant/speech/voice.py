"""Speaking: text -> pyttsx3 (espeak-ng) -> PCM -> the speaker.

pyttsx3's engine is not thread-safe and espeak-ng can be set up only once per process, so
one worker thread (the `Renderer`, shared by every Voice) owns it and renders text to a
WAV in a private temp dir (never `say()`: on Linux that shells out to `aplay`, speaks
only the last queued text, and turns into a file write after any `save_to_file`). The
caller's thread plays the PCM, so Enter can cut a narration short. Texts announced with
`prepare()` -- guide text, which the session knows ahead -- are rendered in the background
and kept on disk, so the next question starts the moment an answer is saved. Anything
else is rendered in memory only: what the user said never reaches the cache.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import logging
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

from assistant import files
from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech import audio

log = logging.getLogger(__name__)

TONE_RATE = 22050  # espeak-ng's own rate, so a --speaker-file never needs resampling
MEMORY = 64  # rendered texts kept in memory
SAY, PREPARE = 0, 1  # job priorities: a text to speak now goes before texts for later
STUCK_AFTER = 10.0  # seconds (plus 10 ms a character) before a rendering counts as stuck


class FallbackPlayback(Exception):
    """pyttsx3 cannot render to a file on this platform; it has to speak by itself."""


Props = tuple[str, int, float]  # voice id, rate, volume: what the engine renders with


class Renderer:
    """The one thread that owns the pyttsx3 engine; jobs run there in priority order."""

    def __init__(self, make_engine: Callable[[], Any]) -> None:
        self.fallback = False  # True once pyttsx3 could not render to a file
        self._rendered_before = False
        self.engine_id = ""
        self.defaults: Props = ("", 0, 1.0)
        self._voices: list[tuple[str, list[str]]] = []
        self._applied: Props | None = None
        self._settle: Callable[[], object] = lambda: None
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[Any], None] | None]] = \
            queue.PriorityQueue()
        self._order = itertools.count()
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(make_engine, ready),
                                        name="reflect-voice", daemon=True)
        self._thread.start()
        ready.result()  # raises ReflectError when there is no speech engine
        # At exit, let a rendering in progress finish, so its temp folder is removed.
        atexit.register(self.stop)

    def submit(self, priority: int, job: Callable[[Any], None]) -> None:
        """Run `job(engine)` on the worker thread, after jobs of a lower `priority` number."""
        self._jobs.put((priority, next(self._order), job))

    def call(self, job: Callable[[Any], None]) -> None:
        """Run `job(engine)` on the worker thread now (before prepared texts) and wait."""
        done: Future[None] = Future()

        def run(engine: Any) -> None:
            try:
                job(engine)
                done.set_result(None)
            except Exception as err:
                done.set_exception(err)

        self.submit(SAY, run)
        done.result()

    def stop(self) -> None:
        """End the worker after the job it is doing; texts still waiting are dropped."""
        atexit.unregister(self.stop)
        self._jobs.put((-1, next(self._order), None))
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=STUCK_AFTER)

    def voice_id(self, wanted: str | None) -> str:
        """The engine's id for a voice given by id, name or language (any case).

        Checked here because espeak-ng accepts any name and quietly keeps its default voice.
        """
        if not wanted:
            return self.defaults[0]
        for ident, names in self._voices:
            if wanted.lower() in names:
                return ident
        raise ReflectError(Msg.VOICE_NOT_FOUND, voice=wanted)

    # --- on the worker thread only ---------------------------------------------------

    def render(self, engine: Any, text: str, props: Props) -> tuple[np.ndarray, int]:
        """`text` as PCM. A failed rendering is tried once more; if pyttsx3 has never
        rendered to a file in this process, it is taken as unable to (FallbackPlayback)."""
        if self.fallback:
            raise FallbackPlayback
        self._apply(engine, props)
        try:
            try:
                pcm, rate = self._render_once(engine, text)
            except Exception as err:
                log.debug("rendering speech failed (%s); trying once more", err)
                pcm, rate = self._render_once(engine, text)
        except Exception as err:
            if self._rendered_before:
                raise ReflectError(Msg.SPEECH_UNAVAILABLE, reason=str(err)) from err
            self.fallback = True
            log.warning("pyttsx3 cannot render speech to a file here (%s); "
                        "it will speak through its own playback instead", err)
            raise FallbackPlayback from err
        self._rendered_before = True
        return pcm, rate

    def _render_once(self, engine: Any, text: str) -> tuple[np.ndarray, int]:
        # Wait until espeak-ng is idle: pyttsx3 cancels "what is playing" at the start of
        # runAndWait(), and a synthesis still finishing in espeak-ng's own thread would be
        # cancelled together with the new one (no file is written).
        self._settle()
        # mkdtemp, not TemporaryDirectory: the latter's cleanup also runs at exit, and would
        # pull the folder from under a rendering that stop() is still waiting for.
        tmp = Path(tempfile.mkdtemp(prefix="reflect-speech-"))  # 0700
        try:
            wav = tmp / "speech.wav"
            engine.save_to_file(text, str(wav))
            self._run_engine(engine, STUCK_AFTER + len(text) / 100)
            # pyttsx3 2.99 ends its loop once espeak-ng has *started*: a long text is still
            # being synthesized, and its WAV written, in espeak-ng's thread. Wait for that,
            # or the file is read too early and written after its folder is gone.
            self._settle()
            pcm, rate = audio.read_wav(wav)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not len(pcm) and text.strip():
            raise RuntimeError("it wrote no sound")
        return pcm, rate

    @staticmethod
    def _run_engine(engine: Any, seconds: float) -> None:
        """engine.runAndWait(), ended by force if pyttsx3's loop is still going after
        `seconds` (its espeak driver can miss the end of a synthesis and wait forever)."""
        driver = getattr(getattr(engine, "proxy", None), "_driver", None)
        timer = threading.Timer(seconds, getattr(driver, "endLoop", lambda: None))
        timer.daemon = True
        timer.start()
        try:
            engine.runAndWait()
        finally:
            timer.cancel()

    def speak(self, engine: Any, text: str, props: Props) -> None:
        self._apply(engine, props)
        engine.say(text)
        self._run_engine(engine, STUCK_AFTER + len(text) / 5)  # it speaks: give it speaking time

    def _apply(self, engine: Any, props: Props) -> None:
        if props != self._applied:
            voice, rate, volume = props
            if voice:
                engine.setProperty("voice", voice)
            engine.setProperty("rate", rate)
            engine.setProperty("volume", volume)
            self._applied = props

    def _run(self, make_engine: Callable[[], Any], ready: Future[None]) -> None:
        try:
            engine = make_engine()
            self.engine_id = _engine_id(engine)
            if "espeak" in self.engine_id:
                # espeak-ng synthesizes in a thread of its own and queues property changes
                # there; waiting until it is idle keeps each rendering whole and with the
                # right voice, rate and volume (without it, espeak-ng 1.51 lost renderings
                # and rate changes under load).
                from pyttsx3.drivers import _espeak

                self._settle = _espeak.Synchronize
                self._settle()
            self.defaults = (engine.getProperty("voice") or "", engine.getProperty("rate") or 200,
                             1.0)
            self._voices = [
                (str(v.id), [str(n).lower() for n in
                             (v.id, v.id.rsplit("/", 1)[-1], v.name, *(v.languages or []))])
                for v in engine.getProperty("voices") or []]
        except Exception as err:  # no espeak-ng, broken driver: the CLI prints prompts instead
            ready.set_exception(ReflectError(Msg.SPEECH_UNAVAILABLE,
                                             reason=str(err) or type(err).__name__))
            return
        ready.set_result(None)
        while True:
            _, _, job = self._jobs.get()
            if job is None:
                return
            job(engine)


_shared: Renderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> Renderer:
    """The process's pyttsx3 renderer, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Renderer(_pyttsx3_engine)
        return _shared


class Voice:
    """Implements session.Voice: renders with the shared pyttsx3 renderer, plays here.

    `cache_dir` is where prepared texts are kept (the CLI passes
    `paths().cache_dir / "speech"`); None keeps them in memory only. Set `interrupt`
    (or call `skip()`) to cut the current narration short. `make_engine` gives this Voice
    a renderer of its own (tests use it with a fake engine).
    """

    def __init__(self, speaker: audio.Sink, settings: Settings, cache_dir: Path | None,
                 make_engine: Callable[[], Any] | None = None) -> None:
        self.speaker = speaker
        self.settings = settings
        self.cache_dir = cache_dir
        self.interrupt = threading.Event()
        self._own = make_engine is not None
        self._renderer = Renderer(make_engine) if make_engine else shared_renderer()
        r = self._renderer
        self._props: Props = (r.voice_id(settings.voice), settings.rate or r.defaults[1],
                              settings.volume)
        self._rendered: OrderedDict[str, Future[tuple[np.ndarray, int]]] = OrderedDict()
        self._keep: set[str] = set()  # texts announced by prepare(): these go to the disk cache
        self._lock = threading.Lock()

    # --- what the session calls --------------------------------------------------

    def say(self, text: str, kind: str = "narration") -> None:
        """Speak `text`; returns when it has been spoken or `interrupt` was set.

        Every `kind` (narration, question, title, notice) is spoken the same way.
        """
        self.interrupt.clear()
        try:
            pcm, rate = self.render(text)
        except FallbackPlayback:
            self._renderer.call(lambda engine: self._renderer.speak(engine, text, self._props))
            return
        self.speaker.play(pcm, rate, self.interrupt)

    def pause(self, seconds: float) -> None:
        """A step's quiet after its narration, as silence on the speaker: a speaker file
        gets the silence without the wait, and Enter cuts it short like the narration."""
        if seconds > 0:
            self.speaker.play(np.zeros(int(seconds * TONE_RATE), np.int16), TONE_RATE,
                              self.interrupt)

    def prepare(self, texts: Sequence[str]) -> None:
        """Render `texts` in the background and keep them on disk for next time."""
        with self._lock:
            self._keep.update(texts)
        for text in texts:
            self._future(text, PREPARE)

    def cue(self, name: str) -> None:
        """Play a short tone (`listening`, `saved`, `stopped`) unless tones are off."""
        if self.settings.tones:
            self.speaker.play(audio.tone(name, TONE_RATE), TONE_RATE, self.interrupt)

    def skip(self) -> None:
        """Stop the narration being spoken now (the user pressed Enter)."""
        self.interrupt.set()

    @property
    def fallback(self) -> bool:
        """True once pyttsx3 had to speak by itself (it cannot render to a file here)."""
        return self._renderer.fallback

    def render(self, text: str) -> tuple[np.ndarray, int]:
        """`text` as mono int16 PCM and its rate (from memory, the cache or the engine)."""
        return self._future(text, SAY).result()

    def close(self) -> None:
        if self._own:
            self._renderer.stop()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- rendering -------------------------------------------------------------

    def _future(self, text: str, priority: int) -> Future[tuple[np.ndarray, int]]:
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
        self._renderer.submit(priority, lambda engine: self._fill(future, engine, text))
        return future

    def _fill(self, future: Future[tuple[np.ndarray, int]], engine: Any, text: str) -> None:
        if future.done():
            return
        try:
            future.set_result(self._load_or_render(engine, text))
        except Exception as err:
            future.set_exception(err)
            with self._lock:
                if self._rendered.get(text) is future:
                    del self._rendered[text]

    def _load_or_render(self, engine: Any, text: str) -> tuple[np.ndarray, int]:
        cached = self._cache_path(text)
        if cached is not None and cached.is_file():
            try:
                return audio.read_wav(cached)
            except ReflectError:
                log.warning("ignoring an unreadable cached rendering %s", cached)
        pcm, rate = self._renderer.render(engine, text, self._props)
        with self._lock:
            keep = text in self._keep
        if keep and cached is not None:
            try:
                _write_private(cached, pcm, rate)
            except OSError as err:  # a full or read-only disk costs speed, not speech
                log.warning("cannot keep rendered speech in %s: %s", cached.parent, err)
        return pcm, rate

    def _cache_path(self, text: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([text, *self._props, self._renderer.engine_id])
        return self.cache_dir / (hashlib.sha256(key.encode()).hexdigest() + ".wav")


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


def _write_private(path: Path, pcm: np.ndarray, rate: int) -> None:
    """Write a cache file 0600 in 0700 folders, whole or not at all (a torn file is never
    read, and no other user can plant one: its name is predictable)."""
    files.private_dir(path.parent)
    files.replace_private(path, audio.wav_bytes(pcm, rate))
