"""Speaking and showing at once: every text Reflect says is printed too, so the screen
follows along (and a user who cannot hear still can); a speaker that fails mid-session is
one sentence, and the session goes on printing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.tts.voice import Voice
from assistant.terminal.interrupts import StopRequest
from assistant.turns import Voice as ShownVoice


class SpokenAndShown:
    """Says everything aloud and prints it too, so the screen follows along (and a user
    who cannot hear still can). If the speaker fails mid-session, it says so once and
    goes on printing only."""

    def __init__(self, spoken: Voice, shown: ShownVoice, stop: StopRequest) -> None:
        self.spoken: Voice | None = spoken
        self.shown = shown
        self.stop = stop
        stop.on_request(self.skip)  # the speaker falls silent at once

    def say(self, text: str, kind: str = "narration") -> None:
        self.shown.say(text, kind)  # type: ignore[arg-type]
        self._speak(lambda v: v.say(text, kind))  # type: ignore[arg-type]

    def pause(self, seconds: float) -> None:
        self._speak(lambda v: v.pause(seconds))

    def prepare(self, texts: Sequence[str]) -> None:
        self._speak(lambda v: v.prepare(texts))

    def cue(self, name: str) -> None:
        self.shown.cue(name)
        self._speak(lambda v: v.cue(name))

    def skip(self) -> None:
        """Cut short what is being said. Called from a signal handler too (a stop request
        silences the speaker at once), so it only skips: the stop is raised where the
        session next speaks or listens, never from inside the handler."""
        if self.spoken is not None:
            self.spoken.skip()  # type: ignore[attr-defined]

    def _speak(self, act: Callable[[Voice], None]) -> None:
        """Speak, then raise Interrupted if a stop was requested meanwhile (the sound was
        cut short for it)."""
        from assistant.speech.audio.streams import DeviceLost

        if self.spoken is None:
            self.stop.check()
            return
        try:
            act(self.spoken)
            self.stop.check()
        except DeviceLost as err:
            self.spoken = None
            printing_instead(ReflectError(Msg.SPEAKER_UNAVAILABLE, reason=str(err)))
        except ReflectError as err:
            self.spoken = None
            printing_instead(err)


def printing_instead(err: ReflectError) -> None:
    """Say why nothing will be heard, and that the prompts are printed instead."""
    from assistant.speech.errors import NoSpeech

    if isinstance(err, NoSpeech):  # that sentence says so already
        print(err, file=sys.stderr)
    else:
        print(err, Msg.PRINTING_INSTEAD.format(), file=sys.stderr)
