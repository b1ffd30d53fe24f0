"""Listening: microphone audio -> Vosk -> one answer, or a command.

One answer is one or more Vosk utterances. It ends when the user has been quiet for
`answer_silence` seconds after speaking (time before the first word is free: people
think before they talk), when a finish phrase is said as an utterance of its own, when
Enter is pressed, or at `max_answer`. Every duration is counted in AUDIO time -- samples
taken from the source -- never wall time, so a recording fed with `--fast` ends its
answers exactly where the same recording played in real time would.

The ear keeps the source on hold except while it listens, so what Reflect says between
two listen() calls is never heard (half-duplex), and a recording stands still meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ReflectError
from assistant.interrupts import StopRequest
from assistant.messages import Msg
from assistant.speech.audio import DeviceLost, EndOfInput, Source
from assistant.speech.stt import SpeechModel, parse, partial_words
from assistant.turns import Answer, Command, Ear, Heard, Interrupted

log = logging.getLogger(__name__)

REMIND_AFTER = 45.0  # seconds of audio without a word before a gentle "take your time"
READ_TIMEOUT = 0.1  # how long one read waits, so Enter is noticed quickly
PARTIAL_LAG = 1.2  # Vosk shows the first partial words 0.75-1.0 s after speech begins
MIN_LOUD = 300.0  # RMS of int16 samples (-40 dBFS): quieter is never taken for speech


@dataclass
class EndOfAnswer:
    """The end-of-answer rules, on audio time in seconds since listening began.

    Pure logic (no audio, no clock of its own) so that it can be tested on made-up
    utterance timings. Silence counts from the last word heard: the end of a finished
    utterance's last word, or the moment an utterance Vosk still holds open last changed.
    It never waits for Vosk to close an utterance (an open one can stay open through many
    seconds of silence): once the words have stood still for `silence`, the answer ends
    and the ear flushes the recognizer. Vosk shows new speech about a second late, so a
    sound after the last word (see `Loudness`) holds the decision for PARTIAL_LAG: without
    that, a user who takes up the thread again just before `silence` runs out would be cut
    off in mid-sentence.
    """

    silence: float
    max_answer: float
    remind_after: float | None = REMIND_AFTER
    started: float | None = None  # start of the first word of the answer
    last_end: float = 0.0  # end of the last word of a finished utterance
    speaking: bool = False  # Vosk has an utterance open (a partial with words)
    changed: float = 0.0  # when the open utterance's words last changed
    last_sound: float = 0.0  # end of the last loud stretch of audio
    reminded: bool = False
    shown: tuple[str, ...] = ()  # the words of the open utterance
    _provisional: bool = False  # `started` comes from a partial (no timings yet)

    def sound(self, at: float) -> None:
        """The audio up to `at` was loud enough to be speech."""
        self.last_sound = max(self.last_sound, at)

    def partial(self, words: Sequence[str], at: float) -> None:
        """The utterance Vosk holds open shows `words` after the audio up to `at`."""
        shown = tuple(words)
        if shown != self.shown:
            self.shown = shown
            self.changed = at
        self.speaking = bool(shown)
        if shown and self.started is None:
            self.started, self._provisional = at, True
        elif not shown and self._provisional and not self.last_end:
            self.started, self._provisional = None, False  # Vosk took the words back

    def utterance(self, start: float, end: float) -> None:
        """A finished utterance of answer words spanning `start`..`end`."""
        if self.started is None or self._provisional:
            self.started, self._provisional = start, False
        self.last_end = max(self.last_end, end)
        self.speaking, self.shown = False, ()

    def verdict(self, now: float) -> str | None:
        """"silence", "max", "remind" (once, before any word), or None to keep listening."""
        if self.started is None:
            if (self.remind_after is not None and not self.reminded and not self.speaking
                    and now >= self.remind_after):
                self.reminded = True
                return "remind"
            return None
        if now - self.started >= self.max_answer:
            return "max"
        last_word = max(self.last_end, self.changed) if self.speaking else self.last_end
        if (now - last_word >= self.silence
                and (self.last_sound <= last_word or now - self.last_sound >= PARTIAL_LAG)):
            return "silence"
        return None

    @property
    def seconds(self) -> float:
        """How long the answer was spoken: first word to last word."""
        return 0.0 if self.started is None else max(0.0, self.last_end - self.started)


class Loudness:
    """Tells audio loud enough to be speech from the room's own noise.

    Loud means an RMS above three times the noise floor -- the quietest tenth of the last
    ten seconds -- and above MIN_LOUD, so a steady fan or hum never counts.
    """

    def __init__(self, window: int = 100) -> None:
        self._levels: deque[float] = deque(maxlen=window)

    def loud(self, pcm: bytes) -> bool:
        samples = np.frombuffer(pcm, np.int16).astype(np.float32)
        level = float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0
        self._levels.append(level)
        return level >= max(MIN_LOUD, 3.0 * float(np.percentile(self._levels, 10)))


class Transcript(Protocol):
    """Where the ear shows what it hears (the CLI gives it a LiveLine)."""

    def listening(self) -> None: ...

    def partial(self, text: str) -> None: ...

    def done(self, text: str) -> None: ...

    def aside(self) -> None:
        """Something else is about to be printed: leave the live line first."""
        ...


def is_word(word: str) -> bool:
    """False for the recognizer's non-speech tokens ("[noise]", "<unk>", "~", "[2]")."""
    w = word.strip()
    return bool(w) and w[0] not in "[<" and any(c.isalpha() for c in w)


@dataclass
class _Take:
    """What one listen() has heard so far."""

    rules: EndOfAnswer
    base: int  # recognizer time (samples fed since it was made) when listening began
    rate: int
    words: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w["word"] for w in self.words)

    def seconds(self, fed: int) -> float:
        """Audio time since listening began, from the samples fed (exact, no drift)."""
        return (fed - self.base) / self.rate

    def since(self, vosk_time: float) -> float:
        """A vosk word time as seconds since listening began."""
        return vosk_time - self.base / self.rate


class SpokenEar:
    """Implements session.Ear with a Vosk recognizer on an audio source.

    One recognizer serves the whole run (Reset between answers); the model is loaded and
    the recognizer warmed up in the background while Reflect speaks the introduction.
    `notice` speaks a short line (a reminder, the max-answer announcement); `fallback`
    makes the typed Ear to go on with when the microphone is lost or the model fails.
    """

    def __init__(self, source: Source, model: SpeechModel, settings: Settings,
                 matcher: Callable[[str], str | None], *,
                 clock: Callable[[], float] = time.monotonic,
                 transcript: Transcript | None = None,
                 enter_pressed: threading.Event | None = None,
                 notice: Callable[[str], None] | None = None,
                 fallback: Callable[[], Ear] | None = None,
                 remind_after: float | None = REMIND_AFTER,
                 stop: StopRequest | None = None) -> None:
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
        self.decided_at: float | None = None  # clock() when the last answer was decided
        self._rate = source.rate
        self._rec: Any = None
        self._fed = 0  # samples given to the recognizer: its time base, never reset
        self._loudness = Loudness()
        self._typed: Ear | None = None  # the fallback, once listening is impossible
        self._why_typed: str | None = None  # set once listening is impossible: why
        self._told = False  # the user has been told why (said once, never twice)
        self._ended = False
        self.source.hold()
        self._warming: threading.Thread | None = threading.Thread(
            target=self._get_ready, args=(model,), name="reflect-warm-up", daemon=True)
        self._warming.start()

    def _get_ready(self, model: SpeechModel) -> None:
        try:
            self._rec = model.recognizer()
        except ReflectError as err:
            self._why_typed = f"{err} {Msg.TYPING_INSTEAD.format()}"
            return
        self._fed += round(model.warm_up(self._rec) * self._rate)

    def listen(self) -> Heard:
        self._wait_until_ready()
        if self._why_typed is not None:
            return self._go_typed()
        if self._ended:
            return Command("stop")
        if self.enter_pressed is not None:
            self.enter_pressed.clear()
        self._rec.Reset()
        take = _Take(EndOfAnswer(self.settings.answer_silence, self.settings.max_answer,
                                 self.remind_after), self._fed, self._rate)
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

    def _wait_until_ready(self) -> None:
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

    def _hear(self, take: _Take) -> Heard:
        while True:
            if self.stop is not None:
                self.stop.check()
            if self.enter_pressed is not None and self.enter_pressed.is_set():
                return self._end(take, "enter")
            try:
                data = self.source.read(READ_TIMEOUT)
            except DeviceLost as err:
                log.warning("the microphone was lost: %s", err)
                self._why_typed = Msg.MIC_LOST.format()
                return self._end(take, "device-lost")
            except EndOfInput:
                self._ended = True
                return self._end(take, "end-of-input")
            if data:
                heard = self._feed(take, data)
                if heard is not None:
                    return heard
            verdict = take.rules.verdict(take.seconds(self._fed))
            if verdict == "remind":
                self._say(Msg.STILL_LISTENING.format())
            elif verdict is not None:
                if verdict == "max":
                    self._say(Msg.MAX_ANSWER_REACHED.format())
                heard = self._end(take, verdict)
                if heard is not None:
                    return heard

    def _feed(self, take: _Take, data: bytes) -> Heard | None:
        """Give audio to the recognizer; a command utterance comes back at once."""
        self._fed += len(data) // 2
        if self._loudness.loud(data):
            take.rules.sound(take.seconds(self._fed))
        if self._rec.AcceptWaveform(data):
            return self._utterance(take, self._rec.Result())
        words = [w for w in partial_words(self._rec.PartialResult()) if is_word(w)]
        take.rules.partial(words, take.seconds(self._fed))
        if self.transcript and words:
            self.transcript.partial(" ".join([take.text, *words]).strip())
        return None

    def _utterance(self, take: _Take, result: str) -> Heard | None:
        """A finished Vosk utterance: a command on its own, or more of the answer."""
        words = [w for w in parse(result) if is_word(w["word"])]
        if not words:
            take.rules.partial((), take.seconds(self._fed))
            return None
        text = " ".join(w["word"] for w in words)
        name = self.matcher(text)
        if name is None:
            take.rules.utterance(take.since(words[0]["start"]), take.since(words[-1]["end"]))
            take.words += words
            if self.transcript:
                self.transcript.partial(take.text)
            return None
        take.rules.partial((), take.seconds(self._fed))
        self.decided_at = self.clock()
        if name == "finish" and take.words:
            return self._answer(take, "command")
        if self.transcript:
            self.transcript.done(text)
        return Command(name, take.text, take.rules.seconds)

    def _end(self, take: _Take, ended: str) -> Heard | None:
        """The answer is over: flush the utterance Vosk still holds, then hand it back.

        None when silence ended a take whose words Vosk then took back: listening goes on."""
        self.decided_at = self.clock()
        heard = self._utterance(take, self._rec.FinalResult())
        if heard is not None:
            return heard
        if take.words:
            return self._answer(take, ended)
        if ended == "silence":
            return None
        if self.transcript:
            self.transcript.aside()
        if ended == "device-lost":
            return self._go_typed()
        return Command("stop" if ended == "end-of-input" else "finish")

    def _cut_short(self, take: _Take) -> Answer | None:
        """The answer in progress when a stop was requested: the words Vosk still holds are
        flushed, and the words the live line showed are never dropped (Vosk's final
        decoding may differ from its last partial)."""
        shown = list(take.rules.shown)
        result = [w for w in parse(self._rec.FinalResult()) if is_word(w["word"])]
        final = [w["word"] for w in result]
        if final and self.matcher(" ".join(final)) is None and all(
                final.count(w) >= shown.count(w) for w in shown):
            take.words += result
        elif shown and self.matcher(" ".join(shown)) is None:
            take.words += [{"word": w} for w in shown]
        return self._answer(take, "interrupted", quietly=True) if take.words else None

    def _answer(self, take: _Take, ended: str, quietly: bool = False) -> Answer:
        text = take.text
        if self.transcript and not quietly:
            self.transcript.done(text)
        confs = [float(w["conf"]) for w in take.words if "conf" in w]
        confidence = round(sum(confs) / len(confs), 3) if confs else None
        return Answer(text, round(take.rules.seconds, 2), ended, confidence,
                      notice=self._untold())

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

    def _go_typed(self) -> Heard:
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
        return self._typed.listen()
