"""The one thread that owns a text-to-speech engine which is not thread-safe (pyttsx3's,
wrapped in tts/espeak.py): every job runs there, one after the other.

It renders text to a WAV in a private temp dir, reads it back and removes the dir; a
rendering that fails is tried once more, and an engine that has never rendered to a file
in this process is taken as unable to: then it speaks by itself (tts.SpeaksItself). A run
that misses its end is ended by force. It drives any `Engine`, which is what lets the
tests give it a fake one.
"""

from __future__ import annotations

import atexit
import logging
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable
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

