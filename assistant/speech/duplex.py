"""Duplex speech: Reflect's voice and its ear on one microphone, with one owner.

The microphone is held by one of three at a time, and this object decides which: the ear
(listening/ear.py) while it listens for an answer; the barge-in watcher
(listening/bargein.py) while Reflect speaks, when `watch` allows it (a live microphone, a
voice that speaks, barge-in on); nobody otherwise, so that what Reflect says is never
heard as an answer and a recording stands still. The Enter key cuts the voice short and
ends the answer being spoken. The model's recognizer is made once, in the background
while the introduction is spoken; the watcher begins when it is ready. If it cannot be
made, the ear goes on typed and `model_name` tells the journal that no model was used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.speech import engines
from assistant.speech.audio.streams import Source
from assistant.speech.engines import Model
from assistant.speech.listening.bargein import BARGE_IN, BargeIn
from assistant.speech.listening.ear import SpokenEar, Transcript
from assistant.speech.listening.echo import Playback
from assistant.speech.listening.vad import SpeechDetector
from assistant.speech.stt.recognizer import Recognizer
from assistant.speech.tts.voice import Voice
from assistant.terminal.interrupts import StopRequest
from assistant.text.commands import Commands
from assistant.turns import Ear, Heard


class Keyboard(Protocol):
    """The Enter key's reader (the terminal's EnterKey): it calls back on each Enter, and
    once answers are typed, hands its lines to the typed ear instead."""

    def typed(self) -> object: ...


class Duplex:
    """Implements turns.Ear over a microphone `source` for a voice that may be speaking.

    `voice` is the spoken voice (None when nothing is spoken), `playback` what its speaker
    played (the watcher's echo rule), `notice` says a short line (shown and spoken),
    `typed(lines)` makes the typed ear to go on with (from the keyboard's lines, or
    standard input when there is no keyboard), `keyboard(on_enter)` starts reading the
    Enter key (None: standard input is not a terminal). The ear and the watcher each get
    a speech detector of their own, the engines' choice unless `detectors` makes them."""

    def __init__(self, source: Source, model: Model, settings: Settings, commands: Commands,
                 *, voice: Voice | None, playback: Playback, watch: bool,
                 transcript: Transcript, notice: Callable[[str], None],
                 typed: Callable[..., Ear],
                 keyboard: Callable[[Callable[[], None]], Keyboard] | None,
                 stop: StopRequest,
                 detectors: Callable[[], SpeechDetector] | None = None) -> None:
        self._model = model
        self._voice = voice
        self._typed = typed
        self._unusable = threading.Event()
        self._enter = threading.Event()
        self._keys = keyboard(self.pressed) if keyboard is not None else None

        def detector() -> SpeechDetector:
            return detectors() if detectors else engines.detector(model.sample_rate)[0]

        self._watcher: BargeIn | None = None
        if watch and voice is not None:
            grammar = commands.phrases(BARGE_IN)
            self._watcher = BargeIn(source, lambda: model.recognizer(grammar=grammar),
                                    detector(), playback, commands.match, hush=voice.hush,
                                    unhush=voice.hushed.clear)
        self.ear = SpokenEar(source, self._recognizer, settings, commands.match,
                             transcript=transcript, enter_pressed=self._enter, notice=notice,
                             fallback=self._typed_ear, stop=stop,
                             detector=detector(), language=commands.language)

    @property
    def keyboard(self) -> bool:
        """Whether the Enter key is read (the user is told how to use it)."""
        return self._keys is not None

    def pressed(self) -> None:
        """Enter: the narration is cut short, and the answer being spoken ends."""
        self._enter.set()
        if self._voice is not None:
            self._voice.skip()

    def listen(self, within: float | None = None) -> Heard | None:
        """A command said over the voice first (it was cut short for it); else the ear
        listens. Either way the watcher has the microphone again while the session acts."""
        self.ear.wait_until_ready()  # the watcher begins once the recognizer is made
        if self._watcher is not None and (said := self._watcher.take()) is not None:
            self._watcher.watch()
            return said
        try:
            return self.ear.listen(within)
        finally:
            if self._watcher is not None:
                if self.ear.typing:  # the microphone is closed: nothing more to watch
                    self._watcher.close()
                    self._watcher = None
                else:
                    self._watcher.watch()

    def model_name(self) -> str | None:
        """The model answers are heard with, for the journal; None once it proved unusable."""
        return None if self._unusable.is_set() else self._model.name

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
        self.ear.close()

    def _recognizer(self) -> Recognizer:
        """The ear's recognizer (made on its warm-up thread); commands are watched for from
        the moment it is ready, during the introduction already."""
        try:
            rec = self._model.recognizer()
        except ReflectError:
            self._unusable.set()
            raise
        if self._watcher is not None:
            self._watcher.watch()
        return rec

    def _typed_ear(self) -> Ear:
        return self._typed(self._keys.typed()) if self._keys is not None else self._typed()
