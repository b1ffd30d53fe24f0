"""The conductor of a guided session.

It walks a guide -- intro, the role choice, each step's narration and questions, outro --
talking only to a `Voice` (presents text; later speaks it), an `Ear` (returns what the
user said) and a `Store` (keeps answers). It holds no terminal, audio or file code, which
is what lets the same logic run with fakes in unit tests and with the real parts.

This module is the walk: what is said and asked, in which order, and where a resumed
session goes on. Hearing each answer -- its commands, its read-back, a break -- is
answers.py's job; the session asks a question and learns how it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.answers import Answers, Slot, Stopped
from assistant.guides.schema import Choice, Guide
from assistant.messages import Msg
from assistant.text.commands import Commands, pick_option
from assistant.text.readable import SENTENCE_PAUSE
from assistant.text.spoken import spoken
from assistant.turns import Answer, Command, CommandName, Ear, Kind, Mark, Progress, Store, Voice

ROLE_ASKS = 3  # unclear answers to the role question before every question is asked


def _local_now() -> datetime:
    return datetime.now().astimezone()


class Session:
    """One pass through a guide, fresh or resumed; `run()` returns "finished" or "stopped"."""

    def __init__(self, guide: Guide, voice: Voice, ear: Ear, store: Store, *,
                 commands: Commands | None = None,
                 now: Callable[[], datetime] = _local_now,
                 resume_from: Progress | None = None, read_back: str = "unsure",
                 sentence_pause: float = SENTENCE_PAUSE) -> None:
        self.guide = guide
        self.voice = voice
        self.commands = commands or Commands(guide.language)
        self.now = now
        self.resume_from = resume_from
        self.role: str | None = None
        self._answers = Answers(voice, ear, store, self.commands, language=guide.language,
                                now=now, read_back=read_back, sentence_pause=sentence_pause)
        self._slots: list[Slot] = []
        self._narrated = 0  # steps before this index have been narrated (or were, before)
        self._done: set[tuple[str, int]] = set()  # kept before a resume: not asked again

    # --- the walk --------------------------------------------------------------------

    def run(self) -> str:
        record = self.resume_from
        if record is not None and record.finished:
            self._answers.say(Msg.ALREADY_FINISHED)
            return "finished"
        try:
            if record is not None and (record.role is not None or record.done):
                position = self._pick_up(record)
            else:  # a new session, or one stopped before anything was kept
                position = self._begin()
            self._walk(position)
        except Stopped:
            self.voice.cue("stopped")
            self._answers.say(Msg.STOPPED)
            return "stopped"
        self._narrate_through(len(self.guide.steps) - 1)  # steps without questions at the end
        if self.guide.outro.strip():
            self.voice.say(self.guide.outro.strip(), "narration")
        self._answers.mark(Mark(kind="end", at=self.now()))
        return "finished"

    def _begin(self) -> int:
        """The introduction and the role question; what follows them is rendered ahead
        (once the role is known, when there is a choice). The introduction is said before
        anything is prepared, so that it streams rather than waits to be rendered whole."""
        intro, choose = self.guide.intro.strip(), self.guide.choose
        if choose is None:
            self._slots = self._plan()  # everyone is asked the same: known at once
        if intro:
            self.voice.say(intro, "narration")
        self.voice.prepare([choose.ask] if choose else self._upcoming(-1))
        if self.commands.fallback:
            self._answers.say(Msg.COMMANDS_IN_ENGLISH, help=self.commands.word(CommandName.HELP))
        self._answers.say(Msg.HELP_HINT, help=self.commands.word(CommandName.HELP))
        if choose is not None:
            self.role = self._choose(choose)
            self._slots = self._plan()
            self.voice.prepare(self._upcoming(-1))
        return 0

    def _pick_up(self, record: Progress) -> int:
        """Where a resumed session goes on: the first question neither answered nor skipped.
        The narration of steps already begun is not repeated; one line says where we are."""
        self.role = record.role
        self._done = record.done
        self._slots = self._plan()
        position = self._forward(-1)
        if position == len(self._slots):
            self._narrated = self._slots[-1].number + 1 if self._slots else 0
            self._answers.say(Msg.RESUMED_AT_END)
            return position
        slot = self._slots[position]
        begun = any(s.key in self._done for s in self._slots if s.number == slot.number)
        self._narrated = slot.number + 1 if begun else slot.number
        self._answers.say(Msg.RESUMED, number=slot.number + 1, total=len(self.guide.steps),
                          title=slot.step.title)
        return position

    def _plan(self) -> list[Slot]:
        return [Slot(n, step, i, prompt.ask)
                for n, step in enumerate(self.guide.steps)
                for i, prompt in step.prompts_for(self.role)]

    def _walk(self, position: int) -> None:
        self._answers.ready()
        while position < len(self._slots):
            self._narrate_through(self._slots[position].number)
            position = position - 1 if self._ask(position) else self._forward(position)

    def _forward(self, position: int) -> int:
        """The next question after `position` that was not answered before a resume."""
        position += 1
        while position < len(self._slots) and self._slots[position].key in self._done:
            position += 1
        return position

    def _step_texts(self, number: int) -> list[tuple[str, Kind]]:
        step = self.guide.steps[number]
        texts: list[tuple[str, Kind]] = [(spoken(
            Msg.PART, self.guide.language, number=number + 1, total=len(self.guide.steps),
            title=step.title), "title")]
        if step.say.strip():
            texts.append((step.say.strip(), "narration"))
        return texts

    def _narrate_through(self, number: int) -> None:
        """Narrate every step up to `number` not narrated yet (never again when going back)."""
        for n in range(self._narrated, number + 1):
            if self._finished_before(n):
                continue
            for text, kind in self._step_texts(n):
                self.voice.say(text, kind)
            if self.guide.steps[n].pause > 0:
                self.voice.pause(self.guide.steps[n].pause)
        self._narrated = max(self._narrated, number + 1)

    def _finished_before(self, number: int) -> bool:
        """True for a step whose questions were all answered before a resume."""
        keys = [slot.key for slot in self._slots if slot.number == number]
        return bool(keys) and all(key in self._done for key in keys)

    def _upcoming(self, position: int) -> list[str]:
        """What will be said after the question at `position`, for pre-rendering."""
        after = self._forward(position)
        following = self._slots[after] if after < len(self._slots) else None
        last = following.number if following else len(self.guide.steps) - 1
        texts = [t for n in range(self._narrated, last + 1) if not self._finished_before(n)
                 for t, _ in self._step_texts(n)]
        if following:
            texts.append(following.ask)
        elif self.guide.outro.strip():
            texts.append(self.guide.outro.strip())
        return texts

    def _ask(self, position: int) -> bool:
        """Ask the question at `position` and hear it out; True means go back."""
        slot = self._slots[position]
        self.voice.say(slot.ask, "question")
        self.voice.prepare(self._upcoming(position))
        return self._answers.take(slot, first=position == 0)

    # --- the role question -----------------------------------------------------------

    def _choose(self, choice: Choice) -> str | None:
        """Ask which role fits; after ROLE_ASKS unclear answers (or skip), ask everything."""
        self.voice.say(choice.ask, "question")
        unclear = 0
        while unclear < ROLE_ASKS:
            pending = self._answers.draft()
            heard = self._answers.hear(choice.ask, pending)
            name = heard.name if isinstance(heard, Command) else None
            if name == CommandName.STOP:
                raise Stopped
            if name == CommandName.SKIP:
                break
            if name == CommandName.BACK:
                self._answers.say(Msg.FIRST_QUESTION)
                self.voice.say(choice.ask, "question")
                continue
            if isinstance(heard, Answer):
                pending.add(heard)
            role = pick_option(choice.options, pending.text)
            if role is not None:
                self._answers.mark(Mark(kind="role", at=self.now(), value=role))
                self._answers.say(Msg.ROLE_THANKS)
                return role
            unclear += 1
            if unclear < ROLE_ASKS:
                self._answers.say(Msg.ROLE_UNCLEAR)
                self.voice.say(choice.ask, "question")
        self._answers.say(Msg.ROLE_EVERY_QUESTION)
        return None
