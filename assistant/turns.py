"""What the parts of a session hand each other: the turns of the conversation.

The session (the conductor) talks to a Voice, an Ear and a Store through the protocols
here, and they answer with these small types -- so every part can be swapped (typed or
spoken, a fake in a test) and none of them needs to import the session.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Literal, Protocol

Kind = Literal["title", "narration", "question", "notice"]  # what a text is, for a screen
Cue = Literal["listening", "saved", "stopped"]  # the short tones


class _Name(str, Enum):
    """A name the journal, the settings and the guides write as its value: printed and
    formatted as that value ("stop", not "CommandName.STOP")."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:  # equal to its value, so it hashes as its value too
        return hash(self.value)


class CommandName(_Name):
    """What a command does (text/commands.py has the phrases that say it); the value is
    the name a guide's and the settings' `commands` give it."""

    FINISH = "finish"
    REPEAT = "repeat"
    SKIP = "skip"
    BACK = "back"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    HELP = "help"
    SCRATCH = "scratch"
    KEEP = "keep"  # KEEP, REDO and ADD reply to a read-back ("I heard: ...")
    REDO = "redo"
    ADD = "add"


class Ended(_Name):
    """Why an answer ended; kept in the journal as its value."""

    SILENCE = "silence"
    COMMAND = "command"
    ENTER = "enter"
    MAX = "max"
    TYPED = "typed"
    DEVICE_LOST = "device-lost"
    END_OF_INPUT = "end-of-input"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Word:
    """One recognized word, its times in seconds on its recognizer's clock (`elapsed`)
    while it is heard, from the start of its answer once it is part of one."""

    text: str
    start: float
    end: float
    conf: float | None = None  # 0..1, when the engine says how sure it is


@dataclass(frozen=True)
class Answer:
    """One finished answer, as heard or typed. A spoken one carries the recognizer's words
    (`text` is them as heard; text/draft.py makes them readable)."""

    text: str
    seconds: float
    ended: Ended
    confidence: float | None = None
    notice: str | None = None  # to tell the user once the answer is saved (what happened)
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command spoken or typed as an utterance of its own (see text/commands.py)."""

    name: CommandName
    pending: str = ""  # answer text heard before the command, not yet saved
    seconds: float = 0.0  # how long the pending text took
    words: tuple[Word, ...] = ()  # the pending text's words, when it was spoken


Heard = Answer | Command


@dataclass(frozen=True)
class Entry:
    """One saved answer."""

    step: str
    prompt: int  # index in step.prompts (the full list, not per role)
    title: str
    question: str
    text: str
    at: datetime
    seconds: float
    ended: str  # an Ended, or whatever an older or hand-edited journal says
    confidence: float | None = None
    edited: bool = False  # the text on disk differs in length from what Reflect wrote
    words: tuple[Word, ...] = ()  # a spoken answer's words, times from its start


@dataclass(frozen=True)
class Mark:
    """A session event that is not an answer: `role` (value), `skip` (step, prompt), `end`."""

    kind: str
    at: datetime
    step: str | None = None
    prompt: int | None = None
    value: str | None = None


class Interrupted(Exception):
    """A signal (Ctrl-C, SIGTERM, SIGHUP) asked the session to end. `heard` is the answer
    in progress when it came (set by the ear); `saved` and `notice` are set by whoever
    saved it (see terminal/interrupts.py)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.heard: Answer | None = None
        self.saved = False
        self.notice: str | None = None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Voice(Protocol):
    def say(self, text: str, kind: Kind = "narration") -> None:
        """Present `text` and return once it has been spoken (or skipped by the user).

        `kind` lets a screen show what the text is (a question, the guide's narration, a
        part's title, or one of Reflect's own notices); a spoken voice may ignore it."""

    def pause(self, seconds: float) -> None:
        """A step's quiet after its narration; text output need not wait."""

    def prepare(self, texts: Sequence[str]) -> None:
        """A hint that these texts come next, so they can be rendered ahead."""

    def cue(self, name: Cue) -> None:
        """A short non-verbal signal."""


class Ear(Protocol):
    def listen(self, within: float | None = None) -> Heard | None:
        """Wait for the user's next answer or command.

        With `within`, the user is replying to Reflect (after a read-back): None when
        nothing was said in that many seconds, and the replies (keep, redo, add) count as
        commands -- at any other time they are words of an answer."""


class Store(Protocol):
    """Where answers go: the journal's Writer. Both calls are durable when they return, and
    return a sentence for the user when something about the saving needs saying (the file
    was moved away, and where the answers are now), else None."""

    def answer(self, entry: Entry) -> str | None: ...

    def mark(self, mark: Mark) -> str | None: ...


class Progress(Protocol):
    """A session read back, as far as resuming it needs (the journal's Record)."""

    @property
    def finished(self) -> bool: ...

    @property
    def role(self) -> str | None: ...

    @property
    def done(self) -> set[tuple[str, int]]: ...
