"""Speaking: text -> a Synthesizer (tts/synthesizer.py) -> PCM -> the speaker.

The caller's thread plays the sound, so Enter can cut a narration short; a hushed Voice
says nothing at all. The sound comes from the Renderings (tts/renderahead.py): guide text
announced with `prepare()` is made ahead and kept on disk, a text to say now always goes
first, and a text not made before plays from its first piece while the rest is made.
Which engine made the sound is not this module's business: the cache is keyed by the
synthesizer's identity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.speech.audio.streams import Sink
from assistant.speech.tts.renderahead import Renderings, Streamed
from assistant.speech.tts.synthesizer import Sound, SpeaksItself, Synthesizer
from assistant.speech.tts.tones import tone

FIRST_RATE = 22050  # of tones and pauses before any speech was played (then: the speech's)


class Voice:
    """Implements turns.Voice: renders with `synthesizer`, plays on `speaker`. Which
    engine that is, the app chooses (tts.for_settings), never the Voice.

    `cache_dir` is where prepared texts are kept (the app passes
    `paths().cache_dir / "speech"`); None keeps them in memory only. Set `interrupt`
    (or call `skip()`) to cut the current narration short. The Voice closes its
    synthesizer.
    """

    def __init__(self, speaker: Sink, settings: Settings, cache_dir: Path | None,
                 synthesizer: Synthesizer) -> None:
        self.speaker = speaker
        self.settings = settings
        self.interrupt = threading.Event()
        self.hushed = threading.Event()  # set by hush(): nothing is said until it is cleared
        self.fallback = False  # True once the synthesizer had to speak by itself
        self.synthesizer = synthesizer
        self._renderings = Renderings(synthesizer, cache_dir)
        # Tones and pauses go at the rate of the speech, so that a speaker file (which
        # keeps the rate of its first sound) never resamples.
        self._rate = FIRST_RATE

    # --- what the session calls --------------------------------------------------

    def say(self, text: str, kind: str = "narration") -> None:
        """Speak `text`; returns when it has been spoken or `interrupt` was set.

        A text rendered before (prepared, cached, said already) plays at once; any other
        starts playing with its first sentence while the rest is synthesized ahead of
        the speaker. Every `kind` (narration, question, title, notice) sounds the same.
        """
        self.interrupt.clear()
        if self.hushed.is_set():
            return
        try:
            made = self._renderings.now(text)
            if isinstance(made, Streamed):
                self._play_streamed(made)
                return
            sound = made
        except SpeaksItself as itself:
            self.fallback = True
            itself.speak()
            return
        self._rate = sound.rate
        self.speaker.play(sound.pcm, sound.rate, self.interrupt)

    def pause(self, seconds: float) -> None:
        """A step's quiet after its narration, as silence on the speaker: a speaker file
        gets the silence without the wait, and Enter cuts it short like the narration."""
        if seconds > 0 and not self.hushed.is_set():
            self.speaker.play(np.zeros(int(seconds * self._rate), np.int16), self._rate,
                              self.interrupt)

    def prepare(self, texts: Sequence[str]) -> None:
        """Render `texts` in the background, in order, and keep them on disk for next time."""
        self._renderings.prepare(texts)

    def cue(self, name: str) -> None:
        """Play a short tone (`listening`, `saved`, `stopped`) unless tones are off."""
        if self.settings.tones and not self.hushed.is_set():
            self.speaker.play(tone(name, self._rate), self._rate, self.interrupt)

    def skip(self) -> None:
        """Stop the narration being spoken now (the user pressed Enter)."""
        self.interrupt.set()

    def hush(self) -> None:
        """Stop speaking now and say nothing more until `hushed` is cleared (a command was
        heard while speaking: what the session says before it acts on it is not said)."""
        self.hushed.set()
        self.interrupt.set()

    def render(self, text: str) -> Sound:
        """`text` as mono int16 PCM and its rate (from memory, the cache or the engine),
        before any text still waiting to be prepared."""
        return self._renderings.render(text)

    def close(self) -> None:
        """Drop the texts still waiting to be prepared, let the one being prepared and the
        rest of a streamed text be made, then close the synthesizer (Renderings.close)."""
        self._renderings.close()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- playing -----------------------------------------------------------------

    def _play_streamed(self, streamed: Streamed) -> None:
        """Play a text as it is made; the rest is made at full speed once it was played,
        or cut short, to be remembered whole."""
        self._rate = streamed.rate
        try:
            self.speaker.stream(streamed.pcm, streamed.rate, self.interrupt)
        finally:
            streamed.played.set()
