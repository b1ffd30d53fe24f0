"""The conductor's ear on one question: what the user says to it, until it is settled.

The session (session.py) decides what is asked and when; this hears the answer with the
commands said around it, reads it back and hands it to the `Store`. Kept apart because it
is a job of its own -- a loop of listening, replies and a break -- that the walk through a
guide only needs to start and learn the end of (answered, skipped, go back, stop). Like the
session, it talks only to a `Voice`, an `Ear` and a `Store`: no terminal, audio or file code.

Nothing the user said is dropped: text heard before a command is kept (repeat, help,
pause) or saved (skip, back, stop, finish), and every answer is handed to the store -- which
fsyncs it -- before the next question is presented. A spoken answer is read back once it
is saved when `read_back` asks for it ("I heard: ..."): the user may keep it (or say
nothing), redo it (the new take replaces it, as after "back") or add to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from assistant.guides.schema import Step
from assistant.messages import Msg
from assistant.text.commands import Commands
from assistant.text.draft import Draft
from assistant.text.readable import worth_reading_back
from assistant.text.spoken import spoken
from assistant.turns import (
    Answer,
    Command,
    CommandName,
    Ear,
    Ended,
    Entry,
    Heard,
    Interrupted,
    Mark,
    Store,
    Voice,
)

REPLY_WAIT = 4.0  # seconds of quiet after a read-back that keep the answer as it is
CUT_SHORT = (Ended.INTERRUPTED, Ended.DEVICE_LOST, Ended.END_OF_INPUT)  # never read back


class Stopped(Exception):
    """The user said stop: unwinds from wherever that was heard to `Session.run`."""


@dataclass(frozen=True)
class Slot:
    """One question this user is asked: a prompt of a step, for the chosen role."""

    number: int  # the step's index in the guide
    step: Step
    prompt: int  # the prompt's index in step.prompts (the journal's key)
    ask: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.step.id, self.prompt)


class Answers:
    """Hears, reads back and keeps the answers of one session, question by question."""

    def __init__(self, voice: Voice, ear: Ear, store: Store, commands: Commands, *,
                 language: str, now: Callable[[], datetime], read_back: str,
                 sentence_pause: float) -> None:
        self.voice = voice
        self.ear = ear
        self.store = store
        self.commands = commands
        self.language = language
        self.now = now
        self.read_back = read_back
        self.sentence_pause = sentence_pause

    def ready(self) -> None:
        """Render ahead what is said before each read-back, so it plays the moment it is."""
        if self.read_back != "never":
            self.voice.prepare([spoken(Msg.READ_BACK, self.language)])

    def say(self, msg: Msg, **fields: object) -> None:
        """One of Reflect's own lines, said as a notice in the guide's language."""
        self.voice.say(spoken(msg, self.language, **fields), "notice")

    def take(self, slot: Slot, *, first: bool) -> bool:
        """Hear the question just asked until it is answered, skipped or left; True means
        go back (never from the `first` question)."""
        draft = self.draft()
        while True:
            try:
                heard = self.hear(slot.ask, draft)
            except Interrupted as stop:
                self._keep_cut_short(slot, draft, stop)
                raise
            if isinstance(heard, Answer):
                draft.add(heard)
                self._keep(slot, draft, heard.ended)
                self._tell(heard.notice)  # only now: saving comes before a word about it
                reply = self._read_back(slot, draft, heard)
                if reply in (CommandName.KEEP, CommandName.BACK):
                    return reply == CommandName.BACK
                if reply == CommandName.REDO:
                    draft = self.draft()
                continue  # redo or add: listen again
            if heard.name in (CommandName.FINISH, CommandName.SKIP):
                self._keep(slot, draft, Ended.COMMAND)
                return False
            if heard.name == CommandName.BACK and first:
                self.say(Msg.FIRST_QUESTION)
                self.voice.say(slot.ask, "question")
                continue
            if draft:  # stop or back: what was said so far is saved, not lost
                self._save(slot, draft, Ended.COMMAND)
            if heard.name == CommandName.STOP:
                raise Stopped
            self.say(Msg.GOING_BACK)
            return True

    def draft(self) -> Draft:
        return Draft(self.language, self.sentence_pause)

    def hear(self, question: str, draft: Draft) -> Heard:
        """The next answer, or a command that moves on (finish, skip, back, stop); repeat,
        help, pause and scratch are dealt with here, keeping the text heard before them."""
        while True:
            self.voice.cue("listening")
            heard = self.ear.listen()
            if heard is None:  # only a reply can be nothing; none was asked for
                continue
            if isinstance(heard, Answer):
                return heard
            draft.add(heard)
            if heard.name == CommandName.SCRATCH:
                dropped = draft.scratch()
                self.say(Msg.SCRATCHED if dropped else Msg.NOTHING_TO_SCRATCH,
                         text=dropped or "")
                continue
            if heard.name == CommandName.HELP:
                self.say(Msg.HELP, **self.commands.words(
                    CommandName.FINISH, CommandName.REPEAT, CommandName.SKIP, CommandName.BACK,
                    CommandName.PAUSE, CommandName.STOP, CommandName.SCRATCH))
            elif heard.name == CommandName.REPEAT:
                if draft:
                    self.say(Msg.KEPT_SO_FAR)
            elif heard.name == CommandName.PAUSE:
                if not self._paused():
                    return Command(CommandName.STOP)
                self.say(Msg.WELCOME_BACK)
            elif heard.name != CommandName.RESUME:  # "resume" while not paused: nothing to do
                return heard
            self.voice.say(question, "question")

    def _read_back(self, slot: Slot, draft: Draft, heard: Answer) -> CommandName:
        """Say what was heard when `read_back` asks for it (judged on the newest take,
        `heard`), and take the reply: "keep" (also silence, Enter, next, skip), "redo",
        "add" or "back"; stop ends the session. Words said instead of a reply, or a
        scratch, change the answer: it is saved again whole."""
        while heard.ended not in CUT_SHORT and worth_reading_back(self.read_back, heard.words):
            self.say(Msg.READ_BACK)  # prepared: it plays while the answer's words render
            self.voice.say(draft.text, "notice")
            reply = self._reply()
            if isinstance(reply, Answer):
                draft.add(reply)
                self._save(slot, draft, reply.ended)
                heard = reply
                continue
            name = reply.name if reply is not None else CommandName.KEEP
            if name == CommandName.STOP or (name == CommandName.PAUSE and not self._paused()):
                raise Stopped
            if name == CommandName.SCRATCH and draft.scratch() and draft:
                self._save(slot, draft, Ended.COMMAND)
                continue
            # scratch of the only sentence: redo
            if name in (CommandName.REDO, CommandName.SCRATCH, CommandName.ADD):
                self.say(Msg.GO_ON if name == CommandName.ADD else Msg.SAY_IT_AGAIN)
                return CommandName.ADD if name == CommandName.ADD else CommandName.REDO
            if name != CommandName.REPEAT:
                return CommandName.BACK if name == CommandName.BACK else CommandName.KEEP
        return CommandName.KEEP

    def _reply(self) -> Heard | None:
        """A reply to a read-back (None: nothing said); help is answered here."""
        while True:
            self.voice.cue("listening")
            heard = self.ear.listen(within=REPLY_WAIT)
            if not (isinstance(heard, Command) and heard.name == CommandName.HELP):
                return heard
            self.say(Msg.HELP_REPLY, **self.commands.words(
                CommandName.KEEP, CommandName.REDO, CommandName.ADD, CommandName.SCRATCH))

    def _paused(self) -> bool:
        """Wait for resume (True) or stop (False); nothing else counts as an answer here.
        What is said on a break is not kept (it may be meant for someone in the room), and
        the user is told so: every time for typed text, which is surely meant for Reflect,
        once for speech, so a conversation nearby does not draw a reminder each sentence."""
        resume = self.commands.word(CommandName.RESUME)
        self.say(Msg.PAUSED, resume=resume)
        reminded = False
        while True:
            heard = self.ear.listen()
            if isinstance(heard, Command) and heard.name in (CommandName.RESUME, CommandName.STOP):
                return heard.name == CommandName.RESUME
            typed = isinstance(heard, Answer) and heard.ended == Ended.TYPED
            if not reminded or typed or (isinstance(heard, Command)
                                         and heard.name == CommandName.HELP):
                self.say(Msg.STILL_PAUSED, resume=resume)
                reminded = True

    def _keep(self, slot: Slot, draft: Draft, ended: Ended) -> None:
        """Save what was said, or mark the question skipped when nothing was."""
        if draft:
            self._save(slot, draft, ended)
        else:
            self.mark(Mark(kind="skip", at=self.now(), step=slot.step.id,
                           prompt=slot.prompt, value=slot.ask))
            self.say(Msg.SKIPPED)

    def _save(self, slot: Slot, draft: Draft, ended: Ended) -> None:
        notice = self.store.answer(self._entry(slot, draft, ended))
        self.voice.cue("saved")
        self._tell(notice)

    def mark(self, mark: Mark) -> None:
        """Hand the store a mark (a skip, the role, the end) and say what it answers."""
        self._tell(self.store.mark(mark))

    def _tell(self, notice: str | None) -> None:
        if notice:
            self.voice.say(notice, "notice")

    def _entry(self, slot: Slot, draft: Draft, ended: Ended) -> Entry:
        return Entry(step=slot.step.id, prompt=slot.prompt, title=slot.step.title,
                     question=slot.ask, text=draft.text, at=self.now(),
                     seconds=round(draft.seconds, 1), ended=ended,
                     confidence=draft.confidence, words=draft.words)

    def _keep_cut_short(self, slot: Slot, draft: Draft, stop: Interrupted) -> None:
        """A stop request came mid-answer: what was said is saved, nothing said or played
        (the process is on its way out, its terminal maybe gone); the caller tells the user."""
        if isinstance(stop.heard, Answer):
            draft.add(stop.heard)
        if draft:
            stop.notice = self.store.answer(self._entry(slot, draft, Ended.INTERRUPTED))
            stop.saved = True
