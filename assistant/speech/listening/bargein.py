"""Commands heard while Reflect speaks (barge-in).

Between two answers -- while Reflect reads a part, asks a question or says a notice -- a
watcher thread listens to the microphone for a command said as an utterance of its own
(stop, pause, skip, repeat, help, ...). On hearing one it cuts the voice short and hushes
it (`hush`), and the ear's next listen() hands the command to the session, which acts on
it as on a command said after the question. Nothing heard here ever becomes answer text.

Three gates keep Reflect's own voice, heard back from the speakers, from being taken for a
command:
- the recognizer's grammar holds the command phrases only (it is made with them, never
  given a grammar later: vosk aborts on SetGrammar once a recognizer has taken audio), and
  the whole utterance must be one phrase, as in text/commands.py;
- the speech detector must hear speech;
- the echo rule (listening/echo.py): a chunk counts as the user's only when it is louder than the
  echo of what Reflect was playing could be. The recognizer is fed only from just before
  such a chunk until the user is quiet, so the echo never reaches it between commands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from assistant.speech.audio.streams import DeviceLost, EndOfInput, Source
from assistant.speech.listening.echo import Playback
from assistant.speech.listening.vad import SpeechDetector
from assistant.speech.stt.recognizer import Recognizer, Word
from assistant.turns import Command, CommandName

log = logging.getLogger(__name__)

# What may be said over Reflect's voice: the replies to a read-back (keep, redo, add) are
# words of an answer at any other time, and "resume" means nothing while not paused.
BARGE_IN = tuple(name for name in CommandName if name not in (
    CommandName.RESUME, CommandName.KEEP, CommandName.REDO, CommandName.ADD))
# Seconds without the user's speech that end an utterance. The echo rule takes the quiet
# parts of a word said over Reflect's voice for echo, so this bridges them; a command is
# acted on sooner, at the first pause after its words (see _watch).
QUIET_END = 0.4
LEAD_IN = 0.1  # seconds before the user's first speech given to the recognizer: the onset
# of a word; more would carry Reflect's echo, which the grammar turns into words
LONGEST = 3.0  # seconds: longer talk is not a command (a conversation in the room)
STALE = 2.0  # seconds: sound heard longer ago than this is dropped unheard
READ_TIMEOUT = 0.05


class BargeIn:
    """The watcher. `watch()` starts listening (the ear is done with the source), `take()`
    stops it and returns the command heard meanwhile, if any (the ear is about to listen).

    `recognizer` makes the grammar-restricted recognizer (on the watcher's thread, the
    first time it watches); `matcher` names the command a text is; `hush` cuts the voice
    short and keeps it quiet, `unhush` lets it speak again (called by take()).
    """

    def __init__(self, source: Source, recognizer: Callable[[], Recognizer],
                 detector: SpeechDetector, playback: Playback,
                 matcher: Callable[[str], CommandName | None], hush: Callable[[], None],
                 unhush: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.detector = detector
        self.playback = playback
        self.matcher = matcher
        self.hush = hush
        self.unhush = unhush
        self.clock = clock
        self.heard_at: float | None = None  # clock() when the last command was decided
        self._make = recognizer
        self._rec: Recognizer | None = None
        self._heard: Command | None = None
        self._rest = False  # a command was acted on before its utterance ended
        self._watching = False
        self._reading = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="reflect-barge-in",
                                        daemon=True)
        self._thread.start()

    def watch(self) -> None:
        with self._changed:
            if self._closed or self._heard is not None:
                return
            self.source.release()
            self._watching = True
            self._changed.notify_all()

    def take(self) -> Command | None:
        """Stop watching (once the chunk being read is dealt with); the command heard, if
        any -- then the voice may speak again."""
        with self._changed:
            self._watching = False
            while self._reading:
                self._changed.wait()
            self.source.hold()
            heard, self._heard = self._heard, None
        if heard is not None:
            self.unhush()
        return heard

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._watching = False
            self._changed.notify_all()
        self._thread.join(timeout=2.0)

    # --- on the watcher's thread -------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._wait_to_watch():
                self._watch(self._rec or self._made())
        except Exception as err:  # barge-in is a convenience: a failure never ends a session
            log.warning("listening while speaking stopped: %s", err)
            with self._changed:
                self._reading = False
                self._changed.notify_all()

    def _made(self) -> Recognizer:
        self._rec = self._make()
        return self._rec

    def _wait_to_watch(self) -> bool:
        with self._changed:
            while not self._watching and not self._closed:
                self._changed.wait()
            return not self._closed

    def _watch(self, rec: Recognizer) -> None:
        """Listen until take() or close(): one utterance of the user's after the other."""
        self.detector.reset()
        rate = self.source.rate
        recent: deque[bytes] = deque()
        said = quiet = 0.0  # seconds since the user began, and since they were last heard
        rest, self._rest = self._rest, False  # the rest of a command acted on: not another
        while True:
            with self._changed:
                if not self._watching:
                    return
                self._reading = True
            try:
                try:
                    data = self.source.read(READ_TIMEOUT)
                except (DeviceLost, EndOfInput):  # the ear finds out when it listens
                    with self._changed:
                        self._watching = False
                    return
                if not data:
                    continue
                seconds = len(data) / 2 / rate
                # when it was heard: a live microphone knows (read late on a busy machine,
                # the chunk is still matched with what played then); else, now
                end = getattr(self.source, "heard_until", None) or self.clock()
                if self.clock() - end > STALE:
                    continue  # fallen behind (a model loading): a command now would be late
                own = self.playback.own(data, end - seconds, end)  # learns from every chunk
                user = self.detector.speech(data) and not own
                recent.append(data)  # the chunk, and LEAD_IN seconds before it
                while (len(recent) - 1) * seconds > LEAD_IN + 1e-6:
                    recent.popleft()
                if rest:
                    quiet = 0.0 if user else quiet + seconds
                    rest = quiet < QUIET_END
                    continue
                if not said and not user:
                    continue
                if not said:  # the user begins: the recognizer starts just before
                    rec.reset()
                    for before in list(recent)[:-1]:
                        rec.feed(before)
                rec.feed(data)
                said, quiet = said + seconds, 0.0 if user else quiet + seconds
                if said - quiet > LONGEST:  # talk, not a command: wait until it stops
                    if quiet >= QUIET_END:
                        said = quiet = 0.0
                elif quiet >= QUIET_END:
                    said = quiet = 0.0
                    if self._decided(_text(rec.flush())):
                        return
                else:  # asked while the user speaks too: Whisper keeps transcribing then
                    words = rec.partial()
                    if not user and self._decided(" ".join(words), final=False):
                        return  # a whole command already, and the user paused: act now
            finally:
                with self._changed:
                    self._reading = False
                    self._changed.notify_all()

    def _decided(self, text: str, final: bool = True) -> bool:
        """A command ends the watch: the voice is hushed, the command kept for take().
        `final` is False for the words so far of an utterance still open."""
        name = self.matcher(text) if text else None
        if final or name:
            log.debug("heard while speaking: %r (%s)", text, name or "not a command")
        if name is None or name not in BARGE_IN:
            return False
        with self._changed:  # kept even when take() waits for this chunk: it returns it
            self._heard = Command(name)
            self._watching = False
            self._rest = not final
            self.heard_at = self.clock()
        self.hush()
        return True


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)
