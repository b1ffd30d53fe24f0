"""When an answer is over: the end-of-answer rules, apart from any audio or recognizer.

Pure logic, on audio time in seconds since listening began (no clock of its own), so
that it can be tested on made-up utterance timings; the ear (listening/ear.py) feeds it what the
recognizer and the speech detector report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.turns import Ended

REMIND_AFTER = 45.0  # seconds of audio without a word before a gentle "take your time"
# What the rules say at a moment, besides "keep listening": the answer has ended, the
# user may be reminded that Reflect listens, or a reply's time passed with nothing said.
Verdict = Ended | Literal["remind", "quiet"]
PARTIAL_LAG = 1.2  # Vosk shows the first partial words 0.75-1.0 s after speech begins

@dataclass
class EndOfAnswer:
    """The end-of-answer rules. Silence counts from the last word heard: the end of a
    finished utterance's last word, or the moment an utterance the recognizer still holds
    open last changed. It never waits for the recognizer to close an utterance (Vosk can
    keep one open through many seconds of silence): once the words have stood still for
    `silence`, the answer ends and the ear flushes the recognizer. New speech shows as
    words about a second late, so a sound after the last word (listening/vad.py) holds the
    decision for PARTIAL_LAG: without that, a user who takes up the thread again just
    before `silence` runs out would be cut off in mid-sentence.

    With `speech_only` (a detector that tells speech from noise, listening/vad.py), silence means
    no speech: Vosk turns steady noise into partial words that keep changing, so a change
    counts only within PARTIAL_LAG of the last speech, and it stands for the words reaching
    that speech's end, not the moment Vosk showed them; changes over noise alone neither
    start an answer nor hold one open.
    """

    silence: float
    max_answer: float
    remind_after: float | None = REMIND_AFTER
    give_up: float | None = None  # when nothing at all was said by then: "quiet"
    speech_only: bool = False  # partial words count only right after speech (above)
    started: float | None = None  # start of the first word of the answer
    last_end: float = 0.0  # end of the last word of a finished utterance (take.end_of)
    speaking: bool = False  # the recognizer has an utterance with words open (heard ones)
    changed: float = 0.0  # when the open utterance's words last changed
    last_sound: float = -math.inf  # end of the last stretch of audio that may be speech
    reminded: bool = False
    shown: tuple[str, ...] = ()  # the words of the open utterance
    _provisional: bool = False  # `started` comes from a partial (no timings yet)

    def sound(self, at: float) -> None:
        """The audio up to `at` may be speech (listening/vad.py)."""
        self.last_sound = max(self.last_sound, at)

    def partial(self, words: Sequence[str], at: float) -> None:
        """The utterance the recognizer holds open shows `words` after the audio up to `at`."""
        shown = tuple(words)
        heard = not self.speech_only or at - self.last_sound <= PARTIAL_LAG
        if shown != self.shown:
            self.shown = shown
            if heard:
                self.changed = min(at, self.last_sound) if self.speech_only else at
        self.speaking = bool(shown) and (heard or self.speaking)
        if self.speaking and self.started is None:
            self.started, self._provisional = at, True
        elif not shown and self._provisional and not self.last_end:
            self.started, self._provisional = None, False  # the recognizer took the words back

    def utterance(self, start: float, end: float) -> None:
        """A finished utterance of answer words spanning `start`..`end`."""
        if self.started is None or self._provisional:
            self.started, self._provisional = start, False
        self.last_end = max(self.last_end, end)
        self.speaking, self.shown = False, ()

    def verdict(self, now: float) -> Verdict | None:
        """Ended.SILENCE, Ended.MAX, "remind" (once, before any word), "quiet" (nothing
        said by `give_up`), or None to keep listening."""
        if self.started is None:
            if self.give_up is not None and not self.speaking and now >= self.give_up:
                return "quiet"
            if (self.remind_after is not None and not self.reminded and not self.speaking
                    and now >= self.remind_after):
                self.reminded = True
                return "remind"
            return None
        if now - self.started >= self.max_answer:
            return Ended.MAX
        last_word = max(self.last_end, self.changed) if self.speaking else self.last_end
        if (now - last_word >= self.silence
                and (self.last_sound <= last_word or now - self.last_sound >= PARTIAL_LAG)):
            return Ended.SILENCE
        return None

    @property
    def seconds(self) -> float:
        """How long the answer was spoken: first word to last word."""
        return 0.0 if self.started is None else max(0.0, self.last_end - self.started)
