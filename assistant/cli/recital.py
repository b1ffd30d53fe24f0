"""Reading a kept session aloud (`reflect journal read`): each question, then its answer.

It walks the answers as a session walks a guide, talking only to a `Voice` and an `Ear`:
Enter cuts short what is being read, and after each answer Reflect listens for a moment
for next, repeat, back or stop (help names them); silence goes on to the next. Answers are
only ever said, never prepared: a prepared text is kept in the speech cache on disk, and
what the user said must not be.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.text.commands import Commands
from assistant.text.spoken import spoken
from assistant.turns import Command, CommandName, Ear, Entry, Interrupted, Voice

if TYPE_CHECKING:
    from assistant.guides import Guide

LISTEN = 2.0  # seconds after each answer in which a command is heard


class Recital:
    """One reading of `answers` (a session's current answers, in order)."""

    def __init__(self, answers: Sequence[Entry], voice: Voice, ear: Ear,
                 commands: Commands) -> None:
        self.answers = answers
        self.voice = voice
        self.ear = ear
        self.commands = commands

    def run(self) -> None:
        self.voice.prepare([e.question for e in self.answers if e.question])
        at = 0
        while at < len(self.answers):
            entry = self.answers[at]
            if entry.question:
                self.voice.say(entry.question, "question")
            self.voice.say(entry.text or self._line(Msg.SHOW_NO_ANSWER), "narration")
            at = self._next(at)
        self.voice.say(self._line(Msg.READ_DONE), "notice")

    def _line(self, msg: Msg, **fields: object) -> str:
        return spoken(msg, self.commands.language, **fields)

    def _next(self, at: int) -> int:
        """Where to go after the answer at `at`, as the user says (or not)."""
        while True:
            heard = self.ear.listen(within=LISTEN)
            name = heard.name if isinstance(heard, Command) else None
            if name == CommandName.HELP:
                self.voice.say(self._line(Msg.READ_HELP, **self.commands.words(
                    CommandName.FINISH, CommandName.REPEAT, CommandName.BACK,
                    CommandName.STOP)), "notice")
                continue
            if name == CommandName.STOP:
                return len(self.answers)
            if name == CommandName.REPEAT:
                return at
            return max(at - 1, 0) if name == CommandName.BACK else at + 1


def read_aloud(args: argparse.Namespace) -> int:
    """`reflect journal read SESSION`: each question and its answer, said with the voice
    of the session's language; Enter and the voice commands move through it."""
    from assistant import guides
    from assistant.app import commands_for, session_io, session_settings, users_journal
    from assistant.terminal.interrupts import StopRequest

    settings = session_settings(args)
    record = users_journal().read(args.session)
    try:
        guide: Guide | None = guides.find(record.guide)
    except ReflectError:  # a guide since removed: read it in English
        guide = None
    commands = commands_for(guide, settings)
    stop = StopRequest()
    with stop.installed():
        io = session_io(args, settings, guide.language if guide else "en", commands, stop)
        try:
            Recital(record.answers(), io.voice, io.ear, commands).run()
        except Interrupted as err:
            return err.exit_code
        finally:
            io.cleanup()
    return 0
