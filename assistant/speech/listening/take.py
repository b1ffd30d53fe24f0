"""What one listen() has heard so far: the end-of-answer rules, the words kept, and where
the speech detector heard speech -- which decides which of the recognizer's words are kept.

Every chunk is fed to the recognizer, speech or not, so its word times stay exact. With a
detector that tells speech from noise (`tells_noise`, listening/vad.py), a word is kept only when
its span, widened by MARGIN on each side, overlaps a stretch the detector called speech:
Vosk turns steady noise into words, and those fall where no speech was heard, so noise on
its own never puts a word in an entry (nor says a command). A kept word is cut to that
speech (Vosk can stretch a last word over seconds of noise), and an utterance ends where
the speech under its last word ends: silence counts from there. MARGIN absorbs the chunk
granularity of the detector and the slack of Vosk's word times. With the loudness rule,
every word is kept as Vosk gives it and counts from its own end, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from assistant.speech.listening.endpoint import EndOfAnswer
from assistant.speech.stt.recognizer import Recognizer, Word

MARGIN = 0.25  # seconds either side of a word in which speech vouches for it


@dataclass
class Take:
    rules: EndOfAnswer
    rec: Recognizer
    base: float  # the recognizer's clock when listening began
    replies: bool = False  # a reply to Reflect is awaited: keep, redo, add are commands
    words: list[Word] = field(default_factory=list)
    speech: list[list[float]] = field(default_factory=list)  # [start, end] since `base`
    on_screen: list[str] = field(default_factory=list)  # open words the live line shows

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def now(self) -> float:
        """Audio time since listening began."""
        return self.rec.elapsed - self.base

    def since(self, at: float) -> float:
        """A time on the recognizer's clock as seconds since listening began."""
        return at - self.base

    def heard(self, start: float, end: float) -> None:
        """The detector called the audio from `start` to `end` (since listening began)
        speech."""
        if self.speech and start <= self.speech[-1][1]:
            self.speech[-1][1] = end
        else:
            self.speech.append([start, end])
        self.rules.sound(end)

    def spoken(self, words: list[Word]) -> list[Word]:
        """The words said over speech, each cut to the speech under it (widened by MARGIN):
        all of them, as they are, unless the rules are `speech_only`."""
        if not self.rules.speech_only:
            return words
        kept = []
        for word in words:
            under = self._under(word)
            if under:
                kept.append(replace(word, start=max(word.start, self.base + under[0][0] - MARGIN),
                                    end=min(word.end, self.base + under[-1][1] + MARGIN)))
        return kept

    def end_of(self, word: Word) -> float:
        """Where `word` ends, since listening began: when the rules are `speech_only`, where
        the speech under it ends -- Vosk can end a last word before its sound does, or
        stretch it over the noise after it -- else the word's own end."""
        return max((end for _, end in self._under(word)), default=self.since(word.end))

    def _under(self, word: Word) -> list[list[float]]:
        """The stretches of speech under `word`, widened by MARGIN."""
        if not self.rules.speech_only:
            return []
        start, end = self.since(word.start) - MARGIN, self.since(word.end) + MARGIN
        return [span for span in self.speech if span[0] < end and start < span[1]]
