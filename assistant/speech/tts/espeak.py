"""espeak-ng through pyttsx3, as a Synthesizer (tts/synthesizer.py): one chunk of sound per text.

pyttsx3's engine is not thread-safe and espeak-ng can be set up only once per process, so
one worker thread (the `Renderer`, shared by every Espeak) owns it and renders text to a
WAV in a private temp dir (never `say()`: on Linux that shells out to `aplay`, speaks
only the last queued text, and turns into a file write after any `save_to_file`). Where
pyttsx3 cannot render to a file at all, it speaks by itself (tts.SpeaksItself).

Every use of pyttsx3's and espeak-ng's internals is in `Pyttsx3`; the Renderer drives
any `Engine`, which is what lets the tests give it a fake one.
"""

from __future__ import annotations

import atexit
import logging
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from assistant.messages import Msg
from assistant.speech.audio.wavfiles import read_wav
from assistant.speech.errors import NoSpeech, UnknownVoice
from assistant.speech.tts.synthesizer import Sound, SpeaksItself

log = logging.getLogger(__name__)

STUCK_AFTER = 10.0  # seconds (plus 10 ms a character) before a rendering counts as stuck
T = TypeVar("T")
DEFAULT_RATE = 175  # words a minute: espeak-ng's default
Props = tuple[str, int, float]  # voice id, rate, volume: what the engine renders with


class VoiceInfo(NamedTuple):
    id: str
    name: str
    languages: list[Any]  # str, or espeak's bytes (a priority byte first) in older pyttsx3


class Engine(Protocol):
    """What the Renderer needs of a text-to-speech engine; used on its thread only."""

    ident: str  # the engine and its version
    defaults: Props
    voices: list[VoiceInfo]

    def apply(self, props: Props) -> None: ...

    def save(self, text: str, path: Path) -> None:
        """Queue `text` to be rendered into the WAV file `path` by the next run()."""

    def say(self, text: str) -> None:
        """Queue `text` to be spoken through the engine's own playback by the next run()."""

    def run(self) -> None:
        """Do what is queued; returns when it is done, or when end() is called."""

    def end(self) -> None:
        """End a run() from another thread."""

    def settle(self) -> None:
        """Wait until the engine is idle (a synthesis may go on after run() returns)."""


class Pyttsx3:
    """pyttsx3's engine and the internals of its espeak driver that Reflect relies on."""

    def __init__(self) -> None:
        import pyttsx3

        self._engine = pyttsx3.init()
        self._driver = getattr(getattr(self._engine, "proxy", None), "_driver", None)
        module = type(self._driver or self._engine).__module__
        # The espeak driver prints "Audio saved to ..." after every save_to_file; a
        # module-level `print` in that module sends it to the log instead, without
        # touching sys.stdout (which the main thread is using for the live transcript).
        if module == "pyttsx3.drivers.espeak":
            sys.modules[module].print = lambda *args, **_: log.debug(" ".join(map(str, args)))  # type: ignore[attr-defined]
        self.ident = _ident(module)
        self._synchronize: Callable[[], object] = lambda: None
        if "espeak" in self.ident:
            from pyttsx3.drivers import _espeak

            self._synchronize = _espeak.Synchronize
            self.settle()
        engine = self._engine
        # espeak-ng's own default rate, named rather than read: the engine's answer
        # depends on the process (under pytest it says 200, elsewhere 175), and the rate
        # is part of a rendering's identity, which two processes must agree on.
        self.defaults: Props = (engine.getProperty("voice") or "", DEFAULT_RATE, 1.0)
        self.voices = [VoiceInfo(str(v.id), str(v.name), list(v.languages or []))
                       for v in engine.getProperty("voices") or []]

    def settle(self) -> None:
        """espeak-ng synthesizes in a thread of its own and queues property changes there;
        waiting until it is idle keeps each rendering whole and with the right voice, rate
        and volume. Its own idle check misses a text it has not picked up yet, and pyttsx3's
        loop can end before the WAV is written, so first wait for the driver to finish the
        text it was given (it writes the WAV, then stops speaking). CI read half-written
        WAVs without it."""
        deadline = time.monotonic() + STUCK_AFTER
        while getattr(self._driver, "_speaking", False) and time.monotonic() < deadline:
            time.sleep(0.005)
        self._synchronize()

    def apply(self, props: Props) -> None:
        voice, rate, volume = props
        if voice:
            self._engine.setProperty("voice", voice)
        self._engine.setProperty("rate", rate)
        self._engine.setProperty("volume", volume)

    def save(self, text: str, path: Path) -> None:
        self._engine.save_to_file(text, str(path))

    def say(self, text: str) -> None:
        self._engine.say(text)

    def run(self) -> None:
        self._engine.runAndWait()

    def end(self) -> None:
        # The driver's own endLoop: Engine.endLoop() would also stop espeak-ng, and fails
        # when the loop has just ended by itself.
        if self._driver is not None:
            self._driver.endLoop()


def _ident(driver: str) -> str:
    """Names the engine and its version, so a new espeak-ng renders the cache afresh."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ident = f"pyttsx3 {version('pyttsx3')}"
    except PackageNotFoundError:
        ident = "pyttsx3"
    ident += f" {driver}"
    if driver == "pyttsx3.drivers.espeak":
        from pyttsx3.drivers import _espeak

        ident += f" espeak-ng {_espeak.Info(None).decode()}"
    return ident


class Renderer:
    """The one thread that owns the engine; jobs run there one after the other."""

    def __init__(self, make_engine: Callable[[], Engine]) -> None:
        self.fallback = False  # True once the engine could not render to a file
        self._rendered_before = False
        self.engine_id = ""
        self.defaults: Props = ("", 0, 1.0)
        self.voices: list[VoiceInfo] = []
        self._applied: Props | None = None
        self._jobs: queue.SimpleQueue[Callable[[Engine], None] | None] = queue.SimpleQueue()
        ready: Future[Engine] = Future()
        self._thread = threading.Thread(target=self._work, args=(make_engine, ready),
                                        name="reflect-voice", daemon=True)
        self._thread.start()
        engine = ready.result()  # raises NoSpeech when there is no speech engine
        self.engine_id, self.defaults, self.voices = engine.ident, engine.defaults, \
            engine.voices
        # At exit, let a rendering in progress finish, so its temp folder is removed.
        atexit.register(self.stop)

    def call(self, job: Callable[[Engine], T]) -> T:
        """Run `job(engine)` on the worker thread, after the jobs before it, and wait."""
        done: Future[T] = Future()
        self._jobs.put(lambda engine: _settle(done, lambda: job(engine)))
        return done.result()

    def stop(self) -> None:
        """End the worker once the jobs handed to it are done (each has a caller waiting)."""
        atexit.unregister(self.stop)
        self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=STUCK_AFTER)

    def voice_id(self, wanted: str | None) -> str:
        """The engine's id for a voice given by id, name or language (any case).

        Checked here because espeak-ng accepts any name and quietly keeps its default voice.
        """
        if not wanted:
            return self.defaults[0]
        for voice in self.voices:
            names = (voice.id, voice.id.rsplit("/", 1)[-1], voice.name, *voice.languages)
            if wanted.lower() in [str(n).lower() for n in names]:
                return voice.id
        raise UnknownVoice(Msg.VOICE_NOT_FOUND, voice=wanted)

    # --- on the worker thread only ---------------------------------------------------

    def render(self, engine: Engine, text: str, props: Props) -> Sound:
        """`text` as sound. A failed rendering is tried once more; if the engine has never
        rendered to a file in this process, it is taken as unable to (SpeaksItself)."""
        if self.fallback:
            raise self._speaks_itself(text, props)
        self._apply(engine, props)
        try:
            try:
                sound = self._render_once(engine, text)
            except Exception as err:
                log.debug("rendering speech failed (%s); trying once more", err)
                sound = self._render_once(engine, text)
        except Exception as err:
            if self._rendered_before:
                raise NoSpeech(Msg.SPEECH_UNAVAILABLE, reason=str(err)) from err
            self.fallback = True
            log.warning("pyttsx3 cannot render speech to a file here (%s); "
                        "it will speak through its own playback instead", err)
            raise self._speaks_itself(text, props) from err
        self._rendered_before = True
        return sound

    def _render_once(self, engine: Engine, text: str) -> Sound:
        # Wait until espeak-ng is idle: pyttsx3 cancels "what is playing" at the start of
        # runAndWait(), and a synthesis still finishing in espeak-ng's own thread would be
        # cancelled together with the new one (no file is written).
        engine.settle()
        # mkdtemp, not TemporaryDirectory: the latter's cleanup also runs at exit, and would
        # pull the folder from under a rendering that stop() is still waiting for.
        tmp = Path(tempfile.mkdtemp(prefix="reflect-speech-"))  # 0700
        try:
            wav = tmp / "speech.wav"
            engine.save(text, wav)
            _run_for(engine, STUCK_AFTER + len(text) / 100)
            # pyttsx3 2.99 ends its loop once espeak-ng has *started*: a long text is still
            # being synthesized, and its WAV written, in espeak-ng's thread. Wait for that,
            # or the file is read too early and written after its folder is gone.
            engine.settle()
            pcm, rate = read_wav(wav)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not len(pcm) and text.strip():
            raise RuntimeError("it wrote no sound")
        return Sound(pcm, rate)

    def _speaks_itself(self, text: str, props: Props) -> SpeaksItself:
        def speak(engine: Engine) -> None:
            self._apply(engine, props)
            engine.say(text)
            _run_for(engine, STUCK_AFTER + len(text) / 5)  # it speaks: give it speaking time

        return SpeaksItself(lambda: self.call(speak))

    def _apply(self, engine: Engine, props: Props) -> None:
        if props != self._applied:
            engine.apply(props)
            self._applied = props

    def _work(self, make_engine: Callable[[], Engine], ready: Future[Engine]) -> None:
        try:
            engine = make_engine()
        except Exception as err:  # no espeak-ng, broken driver: the CLI prints prompts instead
            ready.set_exception(NoSpeech(Msg.SPEECH_UNAVAILABLE,
                                         reason=str(err) or type(err).__name__))
            return
        ready.set_result(engine)
        while (job := self._jobs.get()) is not None:
            job(engine)


def _run_for(engine: Engine, seconds: float) -> None:
    """engine.run(), ended by force if it is still going after `seconds` (pyttsx3's
    espeak driver can miss the end of a synthesis and wait forever)."""
    timer = threading.Timer(seconds, engine.end)
    timer.daemon = True
    timer.start()
    try:
        engine.run()
    finally:
        timer.cancel()


def _settle(done: Future[T], job: Callable[[], T]) -> None:
    try:
        done.set_result(job())
    except Exception as err:
        done.set_exception(err)


_shared: Renderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> Renderer:
    """The process's pyttsx3 renderer, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Renderer(Pyttsx3)
        return _shared


def voices() -> list[VoiceInfo]:
    """The voices espeak-ng offers; NoSpeech when there is no speech engine."""
    return shared_renderer().voices


class Espeak:
    """A Synthesizer speaking with one voice, rate and volume (the engine's defaults when
    not given), on the shared renderer -- or on one of its own over `make_engine`."""

    def __init__(self, voice: str | None = None, rate: int | None = None,
                 volume: float = 1.0, make_engine: Callable[[], Engine] | None = None) -> None:
        self._own = make_engine is not None
        self._renderer = Renderer(make_engine) if make_engine else shared_renderer()
        self._props: Props = (self._renderer.voice_id(voice),
                              rate or self._renderer.defaults[1], volume)

    @property
    def identity(self) -> str:
        voice, rate, volume = self._props
        return f"{self._renderer.engine_id} voice={voice} rate={rate} volume={volume}"

    def synthesize(self, text: str) -> Iterator[Sound]:
        renderer = self._renderer
        yield renderer.call(lambda engine: renderer.render(engine, text, self._props))

    def close(self) -> None:
        if self._own:
            self._renderer.stop()
