"""Reading a kept session aloud (`reflect journal read`): each question, then its answer.

It walks the answers as a session walks a guide, talking only to a `Voice` and an `Ear`:
Enter cuts short what is being read, and after each answer Reflect listens for a moment
for next, repeat, back or stop (help names them); silence goes on to the next. Answers are
only ever said, never prepared: a prepared text is kept in the speech cache on disk, and
what the user said must not be.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.messages import Msg
from assistant.text.commands import Commands
from assistant.turns import Command, CommandName, Ear, Entry, Voice

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
            self.voice.say(entry.text or Msg.SHOW_NO_ANSWER.format(), "narration")
            at = self._next(at)
        self.voice.say(Msg.READ_DONE.format(), "notice")

    def _next(self, at: int) -> int:
        """Where to go after the answer at `at`, as the user says (or not)."""
        while True:
            heard = self.ear.listen(within=LISTEN)
            name = heard.name if isinstance(heard, Command) else None
            if name == CommandName.HELP:
                self.voice.say(Msg.READ_HELP.format(**{n.value: self.commands.word(n) for n in (
                    CommandName.FINISH, CommandName.REPEAT, CommandName.BACK,
                    CommandName.STOP)}), "notice")
                continue
            if name == CommandName.STOP:
                return len(self.answers)
            if name == CommandName.REPEAT:
                return at
            return max(at - 1, 0) if name == CommandName.BACK else at + 1
