"""espeak-ng through pyttsx3, as a Synthesizer (tts/synthesizer.py): one chunk of sound per text.

pyttsx3's engine is not thread-safe and espeak-ng can be set up only once per process, so
one worker thread (tts/enginethread.py's `Renderer`, shared by every Espeak) owns it and
renders text to a WAV in a private temp dir (never `say()`: on Linux that shells out to
`aplay`, speaks only the last queued text, and turns into a file write after any
`save_to_file`). Where pyttsx3 cannot render to a file at all, it speaks by itself
(tts.SpeaksItself).

Every use of pyttsx3's and espeak-ng's internals is in `Pyttsx3`, the `Engine` the shared
Renderer drives.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.speech.tts.enginethread import STUCK_AFTER, Engine, Props, Renderer, VoiceInfo
from assistant.speech.tts.synthesizer import Sound

log = logging.getLogger(__name__)

DEFAULT_RATE = 175  # words a minute: espeak-ng's default


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
