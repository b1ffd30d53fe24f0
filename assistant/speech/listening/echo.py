"""Is this Reflect's own voice? While Reflect speaks with barge-in on (listening/bargein.py), the
microphone hears that voice come back from the speakers, and it must never be taken for a
command.

`Playback` keeps how loud each block Reflect played was and when it reached the speaker
(the speaker's callback tells it). A stretch of microphone sound may be the user's only
where it is clearly louder than the echo of what was playing could make it: the Geigel
double-talk rule of echo cancellers, on levels rather than samples. Levels need no
sample-exact alignment of the speaker's and the microphone's clocks (PortAudio does not
give one), they cover the room's reverberation within ECHO_TAIL, and the rule holds with
or without an echo canceller in the sound system: with one, the echo it leaves is quiet and
the learnt gain small.

The echo's gain (microphone level over playback level) is learnt while Reflect speaks,
from the chunks taken for echo while the sound went on (not in its pauses). Starting high
(START_GAIN) it comes down towards the room's within the first second of speech: a first
guess from a few measurements (GUESS_FROM) with room to spare, then a high percentile of
them all (from LEARN_FROM on), which a stray loud chunk cannot move. A louder echo (the
volume turned up) raises it, as each chunk up to MARGIN times the gain still counts; the
user's speech, louder than that, never does.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

ECHO_TAIL = 0.4  # seconds an echo may arrive after its sound was played (delay, reverb)
LEAD = 0.1  # seconds the two clocks may be off the other way
MARGIN = 2.0  # the user must be this many times louder than the loudest possible echo
START_GAIN = 1.0  # assumed until it is learnt: the echo as loud as the sound played
# Measurements before the first guess of the gain replaces START_GAIN, about half a
# second of speech. Twenty (as LEARN_FROM) took 2 to 3 s of espeak-ng's narration, and a
# "stop" said before then was taken for echo at its onset: the recognizer heard only its
# tail, through an echo canceller (which leaves an echo of 0.001) as well as without.
GUESS_FROM = 5
# The first guess is the loudest of those few times this: a chunk is measured against the
# loudest sound of its echo time, so a few of them run low (the loudest of five was under
# half the gain learnt later, and the guide's own echo then cut it short after 1 s). Four
# keeps an echo at -10 dB (0.3) at the assumed gain, and brings the echo an echo
# canceller leaves (0.001 to 0.07) down far enough for a "stop" at the voice's level.
GUESS_ROOM = 4.0
LEARN_FROM = 20  # measurements before a percentile of them is the gain
KEEP = 200  # measurements kept to learn from (about ten seconds of microphone chunks)
SILENT = 30.0  # RMS of int16 samples: quieter playback makes no echo worth counting
FORGET_AFTER = 30.0  # seconds a played block is kept: the microphone may be read late


def level(pcm: np.ndarray) -> float:
    """RMS of int16 samples."""
    samples = pcm.astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0


class Playback:
    """What Reflect played, as levels in time; shared by the speaker's callback thread and
    the barge-in watcher."""

    def __init__(self) -> None:
        self._played: deque[tuple[float, float]] = deque()  # (heard at, level)
        self._ratios: deque[float] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def played(self, pcm: np.ndarray, heard_at: float) -> None:
        """A block handed to the speaker, to be heard at `heard_at` (time.monotonic)."""
        with self._lock:
            self._played.append((heard_at, level(pcm)))
            while self._played and self._played[0][0] < heard_at - FORGET_AFTER:
                self._played.popleft()

    def loudest(self, start: float, end: float) -> float:
        """The loudest block that can echo into a microphone stretch from start to end."""
        return self._levels(start, end)[0]

    def _levels(self, start: float, end: float) -> tuple[float, float]:
        """The loudest and the quietest block that can echo into start..end (0, 0: none)."""
        levels = []
        with self._lock:  # newest first: only the last second or so is looked at
            for at, played in reversed(self._played):
                if at < start - ECHO_TAIL:
                    break
                if at <= end + LEAD:
                    levels.append(played)
        return (max(levels), min(levels)) if levels else (0.0, 0.0)

    def gain(self) -> float:
        with self._lock:
            if len(self._ratios) < GUESS_FROM:
                return START_GAIN
            if len(self._ratios) < LEARN_FROM:
                return min(START_GAIN, GUESS_ROOM * max(self._ratios))
            return float(np.percentile(self._ratios, 90))

    def own(self, pcm: bytes, start: float, end: float) -> bool:
        """Whether this microphone chunk, heard from `start` to `end`, may be nothing but
        Reflect's own voice coming back. Learns the echo's gain as it goes."""
        played, quietest = self._levels(start, end)
        if played < SILENT:
            return False
        heard = level(np.frombuffer(pcm, np.int16))
        own = heard <= MARGIN * self.gain() * played
        # Only a chunk whose whole echo time was filled with sound teaches the gain: one
        # heard in a pause (before the first word, between sentences) hears little or
        # nothing of the loud block it is compared with, and a few of those pulled the
        # first learnt gain so low that the echo of the next words passed for the user.
        # The user's speech never teaches it either: their talk is no echo.
        if own and quietest >= SILENT:
            with self._lock:
                self._ratios.append(heard / played)
        return own
