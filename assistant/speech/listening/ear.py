"""Listening: microphone audio -> a Recognizer (stt/recognizer.py) -> one answer, or a command.

One answer is one or more utterances of the recognizer. It ends when the user has been
quiet for `answer_silence` seconds after speaking (time before the first word is free:
people think before they talk; listening/endpoint.py has the rules), when a finish phrase is said
as an utterance of its own, when Enter is pressed, or at `max_answer`. Every duration is
counted in AUDIO time -- the recognizer's clock, the audio fed to it -- never wall time,
so a recording fed with `--fast` ends its answers exactly where the same recording
played in real time would. "Quiet" means no speech as the SpeechDetector hears it
(listening/vad.py): with Silero, steady noise neither holds an answer open nor ends it early, and
the words Vosk makes of it are dropped (listening/take.py has the rule).

The ear keeps the source on hold except while it listens, so what Reflect says between
two listen() calls is never taken for an answer, and a recording stands still meanwhile.
Who else may have it then (the barge-in watcher) is speech/duplex.py's to decide.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.audio.streams import DeviceLost, EndOfInput, Source
from assistant.speech.listening.endpoint import REMIND_AFTER, EndOfAnswer, Verdict
from assistant.speech.listening.take import Take
from assistant.speech.listening.vad import Loudness, SpeechDetector
from assistant.speech.stt.recognizer import Recognizer, Word
from assistant.terminal.interrupts import StopRequest
from assistant.text.commands import finishes_answer
from assistant.text.spoken import spoken
from assistant.turns import Answer, Command, CommandName, Ear, Ended, Heard, Interrupted

log = logging.getLogger(__name__)

READ_TIMEOUT = 0.1  # how long one read waits, so Enter is noticed quickly


class Transcript(Protocol):
    """Where the ear shows what it hears (the CLI gives it a LiveLine)."""

    def listening(self) -> None: ...

    def partial(self, text: str) -> None: ...

    def done(self, text: str) -> None: ...

    def aside(self) -> None:
        """Something else is about to be printed: leave the live line first."""
        ...


class SpokenEar:
    """Implements turns.Ear with a Recognizer and a SpeechDetector on an audio source.

    One recognizer serves the whole run (reset between answers); `recognizer` makes it --
    loading the model and warming it up -- in the background while Reflect speaks the
    introduction. `notice` speaks a short line (a reminder, the max-answer announcement);
    `fallback` makes the typed Ear to go on with when the microphone is lost or the
    recognizer cannot be made. `detector` tells speech from noise (Loudness unless given).
    """

    def __init__(self, source: Source, recognizer: Callable[[], Recognizer], settings: Settings,
                 matcher: Callable[[str, bool], CommandName | None], *,
                 clock: Callable[[], float] = time.monotonic,
                 transcript: Transcript | None = None,
                 enter_pressed: threading.Event | None = None,
                 notice: Callable[[str], None] | None = None,
                 fallback: Callable[[], Ear] | None = None,
                 remind_after: float | None = REMIND_AFTER,
                 stop: StopRequest | None = None,
                 detector: SpeechDetector | None = None, language: str = "en") -> None:
        self.source = source
        self.settings = settings
        self.matcher = matcher
        self.clock = clock
        self.transcript = transcript
        self.enter_pressed = enter_pressed
        self.notice = notice
        self.fallback = fallback
        self.remind_after = remind_after
        self.stop = stop
        self.detector = detector or Loudness()
        self.language = language  # what its notices are said in (text/spoken.py)
        self.decided_at: float | None = None  # clock() when the last answer was decided
        self._rec: Recognizer | None = None
        self._typed: Ear | None = None  # the fallback, once listening is impossible
        self._why_typed: str | None = None  # set once listening is impossible: why
        self._told = False  # the user has been told why (said once, never twice)
        self._ended = False
        self.source.hold()
        self._warming: threading.Thread | None = threading.Thread(
            target=self._get_ready, args=(recognizer,), name="reflect-warm-up", daemon=True)
        self._warming.start()

    def _get_ready(self, recognizer: Callable[[], Recognizer]) -> None:
        try:
            self._rec = recognizer()
        except ReflectError as err:
            self._why_typed = f"{err} {spoken(Msg.TYPING_INSTEAD, self.language)}"

    @property
    def typing(self) -> bool:
        """Listening proved impossible: answers are typed from now on."""
        return self._typed is not None

    def listen(self, within: float | None = None) -> Heard | None:
        self.wait_until_ready()
        rec = self._rec
        if rec is None or self._why_typed is not None:  # no recognizer: _why_typed says why
            return self._go_typed(within)
        if self._ended:
            return Command(CommandName.STOP)
        if self.enter_pressed is not None:
            self.enter_pressed.clear()
        rec.reset()
        self.detector.reset()
        take = Take(EndOfAnswer(self.settings.answer_silence, self.settings.max_answer,
                                self.remind_after, within,
                                speech_only=self.detector.tells_noise),
                    rec, rec.elapsed, within is not None)
        if self.transcript:
            self.transcript.listening()
        self.source.release()
        try:
            return self._hear(take)
        except Interrupted as stop:
            stop.heard = self._cut_short(take)
            raise
        finally:
            self.source.hold()

    def wait_until_ready(self) -> None:
        """The model loads in the background; a stop request is noticed while it does."""
        while self._warming is not None:
            self._warming.join(READ_TIMEOUT)
            if not self._warming.is_alive():
                self._warming = None
            elif self.stop is not None:
                self.stop.check()

    def close(self) -> None:
        if self.source.overflows:
            log.warning("the microphone overflowed %d times: some audio was lost",
                        self.source.overflows)
        self.source.close()

    # --- one answer ------------------------------------------------------------

    def _hear(self, take: Take) -> Heard | None:
        while True:
            if self.stop is not None:
                self.stop.check()
            if self.enter_pressed is not None and self.enter_pressed.is_set():
                return self._end(take, Ended.ENTER)
            try:
                data = self.source.read(READ_TIMEOUT)
            except DeviceLost as err:
                log.warning("the microphone was lost: %s", err)
                self._why_typed = spoken(Msg.MIC_LOST, self.language)
                return self._end(take, Ended.DEVICE_LOST)
            except EndOfInput:
                self._ended = True
                return self._end(take, Ended.END_OF_INPUT)
            if data:
                heard = self._feed(take, data)
                if heard is not None:
                    return heard
            verdict = take.rules.verdict(take.now)
            if verdict == "remind":
                self._say(spoken(Msg.STILL_LISTENING, self.language))
            elif verdict is not None:
                if verdict == Ended.MAX:
                    self._say(spoken(Msg.MAX_ANSWER_REACHED, self.language))
                heard = self._end(take, verdict)
                if heard is not None or verdict == "quiet":
                    return heard

    def _feed(self, take: Take, data: bytes) -> Heard | None:
        """Give audio to the recognizer; a command utterance comes back at once."""
        speech, start = self.detector.speech(data), take.now
        closed = take.rec.feed(data)
        if speech:
            take.heard(start, take.now)
        if closed is not None:
            return self._utterance(take, closed)
        words = take.rec.partial()
        take.rules.partial(words, take.now)
        if self.transcript and take.rules.speaking:
            self.transcript.partial(" ".join([take.text, *words]).strip())
            take.on_screen = words
        return None

    def _utterance(self, take: Take, words: list[Word]) -> Heard | None:
        """A finished utterance: a command on its own, or more of the answer (only its
        words said over speech, listening/take.py)."""
        words = take.spoken(words)
        if not words:
            take.rules.partial((), take.now)
            return None
        text = " ".join(w.text for w in words)
        name = self.matcher(text, take.replies)
        if name is None:
            take.rules.utterance(take.since(words[0].start), take.end_of(words[-1]))
            take.words += words
            if self.transcript:
                self.transcript.partial(take.text)
            take.on_screen = []
            return None
        take.rules.partial((), take.now)
        self.decided_at = self.clock()
        if finishes_answer(name, bool(take.words)):
            return self._answer(take, Ended.COMMAND)
        if self.transcript:
            self.transcript.done(text)
        return Command(name, take.text, take.rules.seconds, tuple(take.words))

    def _end(self, take: Take, ended: Verdict) -> Heard | None:
        """The answer is over: flush the utterance the recognizer still holds, then hand it
        back. None when silence ended a take whose words the recognizer then took back
        (listening goes on), or when nothing was said in a reply's time ("quiet")."""
        self.decided_at = self.clock()
        heard = self._utterance(take, take.rec.flush())
        if heard is not None:
            return heard
        if take.words:
            return self._answer(take, Ended.SILENCE if ended == "quiet" else ended)
        if ended in (Ended.SILENCE, "quiet"):
            return None
        if self.transcript:
            self.transcript.aside()
        if ended == Ended.DEVICE_LOST:
            return self._go_typed()
        return Command(CommandName.STOP if ended == Ended.END_OF_INPUT else CommandName.FINISH)

    def _cut_short(self, take: Take) -> Answer | None:
        """The answer in progress when a stop was requested: the words the recognizer
        still holds are flushed, and the words the live line shows are never dropped (a
        final decoding may differ from the last partial, and a partial the recognizer took
        back stays on the line)."""
        shown = take.on_screen
        result = take.rec.flush()
        final = [w.text for w in result]
        if final and self.matcher(" ".join(final), take.replies) is None and all(
                final.count(w) >= shown.count(w) for w in shown):
            take.words += take.spoken(result)
        elif shown and self.matcher(" ".join(shown), take.replies) is None:
            at = take.rec.elapsed
            take.words += [Word(w, at, at) for w in shown]
        return self._answer(take, Ended.INTERRUPTED, quietly=True) if take.words else None

    def _answer(self, take: Take, ended: Ended, quietly: bool = False) -> Answer:
        text = take.text
        if self.transcript and not quietly:
            self.transcript.done(text)
        confs = [w.conf for w in take.words if w.conf is not None]
        confidence = round(sum(confs) / len(confs), 3) if confs else None
        return Answer(text, round(take.rules.seconds, 2), ended, confidence,
                      notice=self._untold(), words=tuple(take.words))

    def _untold(self) -> str | None:
        """Why listening stopped, if the user has not been told yet (from now on, told)."""
        if self._why_typed is None or self._told:
            return None
        self._told = True
        return self._why_typed

    # --- talking back while listening ------------------------------------------

    def _say(self, text: str) -> None:
        """Speak a short notice without hearing it (the source is held meanwhile)."""
        if self.notice is None:
            return
        if self.transcript:
            self.transcript.aside()
        self.source.hold()
        try:
            self.notice(text)
        finally:
            self.source.release()

    def _go_typed(self, within: float | None = None) -> Heard | None:
        """When listening is impossible: say why (unless an answer carried it already),
        then take typed answers."""
        if self._typed is None:
            self.source.close()
            if self.fallback is None:
                raise DeviceLost(self._why_typed)
            why = self._untold()
            if self.notice is not None and why:
                self.notice(why)
            self._typed = self.fallback()
        return self._typed.listen(within)
