"""Duplex speech (speech/duplex.py), on the barge-in tests' fakes: who holds the microphone
between answers, a command said over the voice handed to the session, the Enter key, and a
model that cannot be used. No audio device, no vosk."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import ClassVar, TextIO

import pytest
from test_bargein import QUIET, USER, WAIT, Clock, FakeDetector, FakeMic, FakeRecognizer

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.duplex import Duplex
from assistant.speech.listening.echo import Playback
from assistant.terminal.console import ConsoleEar
from assistant.terminal.interrupts import StopRequest
from assistant.text.commands import Commands
from assistant.turns import Answer, Command


class FakeModel:
    """A speech model whose recognizers are made by `make` (the watcher's and the ear's)."""

    name = "fake-model"
    sample_rate = 16000

    def __init__(self, make: Callable[[], FakeRecognizer]) -> None:
        self.make = make
        self.grammars: list[list[str] | None] = []

    def recognizer(self, grammar: list[str] | None = None) -> FakeRecognizer:
        self.grammars.append(grammar)
        return self.make()


class FakeVoice:
    """What the duplex asks of the spoken voice: hush it, let it speak, cut it short."""

    def __init__(self) -> None:
        self.hushed = threading.Event()
        self.skips = 0

    def hush(self) -> None:
        self.hushed.set()

    def skip(self) -> None:
        self.skips += 1


class Keys:
    """The Enter key's reader: the test presses Enter through `on_enter`."""

    made: ClassVar[list[Keys]] = []

    def __init__(self, on_enter: Callable[[], None]) -> None:
        self.on_enter = on_enter
        Keys.made.append(self)

    def typed(self) -> io.StringIO:
        return io.StringIO("typed after all\n")


def duplex(mic: FakeMic, model: FakeModel, voice: FakeVoice | None, *, watch: bool = True,
           keyboard: bool = False) -> Duplex:
    commands = Commands("en")

    def typed(lines: TextIO | None = None) -> ConsoleEar:  # no keyboard: nothing to type
        return ConsoleEar(lines or io.StringIO(""), commands=commands)

    return Duplex(mic, model, Settings(answer_silence=0.5), commands,  # type: ignore[arg-type]
                  voice=voice, playback=mic.playback, watch=watch,  # type: ignore[arg-type]
                  transcript=None, notice=lambda text: None,  # type: ignore[arg-type]
                  typed=typed,
                  keyboard=Keys if keyboard else None, stop=StopRequest(),
                  detectors=FakeDetector)


@pytest.fixture
def mic() -> FakeMic:
    return FakeMic(Clock(), Playback())


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.fixture
def voice() -> FakeVoice:
    return FakeVoice()


def test_a_command_said_over_the_voice_is_the_next_thing_heard(mic: FakeMic,
                                                               voice: FakeVoice) -> None:
    """The watcher has the microphone from the moment the recognizer is ready (during the
    introduction); "repeat" said then hushes the voice and is the session's next listen(),
    the voice may speak again, and the watcher has the microphone while the session acts."""
    watcher_rec = FakeRecognizer("repeat")
    model = FakeModel(lambda: watcher_rec)
    ears = duplex(mic, model, voice)
    try:
        assert wait_for(lambda: not mic.held)  # the watcher took the microphone
        assert wait_for(lambda: None in model.grammars and len(model.grammars) == 2)
        assert any(model.grammars)  # the watcher's recognizer has the command grammar
        mic.add(0.0, 3)
        mic.add(USER, 4)
        mic.add(0.0, QUIET + 1)
        assert voice.hushed.wait(WAIT)
        assert ears.listen() == Command("repeat")
        assert not voice.hushed.is_set()  # unhushed: the question is said again
        assert wait_for(lambda: not mic.held)  # watching again while it is
        assert ears.model_name() == "fake-model"
    finally:
        ears.close()


def test_without_a_watcher_the_microphone_is_the_ears_only_while_it_listens(
        mic: FakeMic, voice: FakeVoice) -> None:
    """A recording, or barge-in off: the microphone is released only while the ear listens,
    so nothing Reflect says between two answers is heard. Enter (the keyboard's callback)
    cuts the voice short and ends the answer with the words said so far."""
    ears = duplex(mic, FakeModel(lambda: FakeRecognizer("half a thought")), voice,
                  watch=False, keyboard=True)
    try:
        assert ears.keyboard
        ears.ear.wait_until_ready()
        assert mic.held and mic.calls == ["hold"]  # held by the ear from the start
        heard: list[object] = []
        listening = threading.Thread(target=lambda: heard.append(ears.listen()))
        listening.start()
        mic.add(USER, 5)
        assert mic.wait_idle()
        assert mic.calls == ["hold", "release"]
        Keys.made[-1].on_enter()
        listening.join(WAIT)
        assert voice.skips == 1
        assert mic.calls == ["hold", "release", "hold"] and mic.held
        assert isinstance(heard[0], Answer) and heard[0].ended == "enter"
        assert heard[0].text == "half a thought"
    finally:
        ears.close()


def test_a_model_that_cannot_be_used_means_typed_answers_and_no_model_named(
        mic: FakeMic, voice: FakeVoice) -> None:
    """The recognizer cannot be made: the watcher never starts, the answers are typed
    (from the Enter key's lines), and the journal is told no model was used."""
    def broken() -> FakeRecognizer:
        raise ReflectError(Msg.MODEL_NOT_INSTALLED, name="fake-model")

    ears = duplex(mic, FakeModel(broken), voice, keyboard=True)
    try:
        heard = ears.listen()
        assert isinstance(heard, Answer) and heard.text == "typed after all"
        assert ears.model_name() is None
        assert "release" not in mic.calls  # nobody listened to the microphone
    finally:
        ears.close()
