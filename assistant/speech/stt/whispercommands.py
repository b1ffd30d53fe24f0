"""Whisper for the barge-in watcher (listening/bargein.py): a Recognizer for commands said over
Reflect's voice, which no grammar holds Whisper to -- the whole-utterance match of
text/commands.py does that. Nor is it prompted with the command phrases: so prompted, it made
"I'm done." of the echo of Reflect's own voice, where unprompted it writes what the echo
says ("Take a slow breath."), which is no command. What it hears is the user mixed with
that echo, and Whisper writes down speech 15 dB under the loudest: without an echo
canceller, a command said over Reflect's voice is often heard as a sentence with the
echo's words in it, and then it is no command either -- headphones or the sound system's
echo canceller make it reliable (the README says so; `scripts/bench whisper` measures it).

The watcher feeds it only what the user said (from just before their first loud chunk)
and asks for `partial()` at every pause, to act on a command before the user's utterance
has ended. Each transcription is a glimpse (stt/whisper.py), cut at its first repeat ("Done.
Done." is a loop of the short window, and no command is said twice). It takes 50-100 ms
of both cores, longer than a chunk, so it runs on a thread of its own: `partial()` starts
one of what is held, once AGAIN_AFTER more audio came than the last one had, and returns
the words of the newest one finished, while the watcher goes on reading the microphone
(it would fall behind and drop the command otherwise); the watcher asks while the user
speaks too, so a transcription is under way when they pause. `flush()` waits for the
words of all that is held (but the pause at its end, FLUSH_TAIL). Nothing past
COMMAND_LONGEST is transcribed: no command is that long, and talk in the room costs
nothing then.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from assistant.speech.stt import guards
from assistant.speech.stt.whisperengine import RATE, Engine, clip_of
from assistant.turns import Word

log = logging.getLogger(__name__)

AGAIN_AFTER = 0.1  # seconds of new audio before it transcribes again
COMMAND_LONGEST = 4.0  # seconds: holding more, it transcribes nothing
COMMAND_TOKENS = 12  # the longest command phrase is a few tokens; more is not a command
# flush() keeps the newest transcription when it had all but this much of what is held:
# the watcher flushes after QUIET_END (0.4 s) without speech, so the rest is that pause
FLUSH_TAIL = 0.5


class CommandRecognizer:
    """Implements stt.Recognizer for commands (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._samples = 0
        self._held: list[np.ndarray] = []
        self._began = 0
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._busy = False  # a transcription is under way
        self._asked = 0  # samples held when the newest transcription was started
        self._heard: tuple[int, list[Word]] = (0, [])  # the newest finished: held, words
        self._round = 0  # bumped by reset(): a transcription of older audio is dropped

    @property
    def elapsed(self) -> float:
        return self._samples / RATE

    def feed(self, pcm: bytes) -> list[Word] | None:
        chunk = np.frombuffer(pcm, np.int16)
        with self._lock:
            if not self._held:
                self._began = self._samples
            self._held.append(chunk)
            self._samples += len(chunk)
        return None

    def partial(self) -> list[str]:
        with self._lock:
            held = self._samples - self._began
            if (self._held and not self._busy and held <= COMMAND_LONGEST * RATE
                    and held - self._asked >= AGAIN_AFTER * RATE):
                self._start(held)
            return [w.text for w in self._heard[1]]

    def flush(self) -> list[Word]:
        with self._lock:
            held = self._samples - self._began
            while self._busy:
                self._done.wait()
            if self._heard[1] and held - self._heard[0] <= FLUSH_TAIL * RATE:
                held = self._heard[0]  # it had the words; what came since is the pause
            elif self._held and held <= COMMAND_LONGEST * RATE and self._heard[0] != held:
                self._start(held)
                while self._busy:
                    self._done.wait()
            words = self._heard[1] if self._heard[0] == held else []
        self.reset()
        return words

    def reset(self) -> None:
        with self._lock:
            self._held, self._asked, self._heard = [], 0, (0, [])
            self._round += 1

    def _start(self, held: int) -> None:
        """Transcribe what is held now, on a thread (called with the lock held)."""
        self._busy, self._asked = True, held
        clip, at = clip_of(self._held, held), self._began / RATE
        threading.Thread(target=self._run, args=(clip, at, held, self._round),
                         name="reflect-whisper-command", daemon=True).start()

    def _run(self, clip: np.ndarray, at: float, held: int, round_: int) -> None:
        try:
            words = guards.once(self.engine.glimpse(clip, at, COMMAND_TOKENS))
        except Exception as err:  # barge-in is a convenience: a failure never ends a session
            log.warning("transcribing a command said while speaking failed: %s", err)
            words = []
        with self._lock:
            if round_ == self._round:
                self._heard = (held, words)
            self._busy = False
            self._done.notify_all()

