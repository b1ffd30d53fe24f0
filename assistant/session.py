"""The conductor of a guided session.

It walks a guide -- intro, the role choice, each step's narration and questions, outro --
talking only to a `Voice` (presents text; later speaks it), an `Ear` (returns what the
user said) and a `Store` (keeps answers). It holds no terminal, audio or file code, which
is what lets the same logic run with fakes in unit tests and with the real parts.

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

from assistant.guides.schema import Choice, Guide, Step
from assistant.messages import Msg
from assistant.text.commands import Commands, pick_option
from assistant.text.draft import Draft
from assistant.text.readable import SENTENCE_PAUSE, worth_reading_back
from assistant.turns import (
    Answer,
    Command,
    Ear,
    Entry,
    Heard,
    Interrupted,
    Kind,
    Mark,
    Progress,
    Store,
    Voice,
)

ROLE_ASKS = 3  # unclear answers to the role question before every question is asked
REPLY_WAIT = 4.0  # seconds of quiet after a read-back that keep the answer as it is
CUT_SHORT = ("interrupted", "device-lost", "end-of-input")  # answers never read back


def _local_now() -> datetime:
    return datetime.now().astimezone()


class _Stopped(Exception):
    """The user said stop: unwinds from wherever that was heard to `Session.run`."""


@dataclass(frozen=True)
class _Slot:
    """One question this user is asked: a prompt of a step, for the chosen role."""

    number: int  # the step's index in the guide
    step: Step
    prompt: int  # the prompt's index in step.prompts (the journal's key)
    ask: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.step.id, self.prompt)


class Session:
    """One pass through a guide, fresh or resumed; `run()` returns "finished" or "stopped"."""

    def __init__(self, guide: Guide, voice: Voice, ear: Ear, store: Store, *,
                 commands: Commands | None = None,
                 now: Callable[[], datetime] = _local_now,
                 resume_from: Progress | None = None, read_back: str = "unsure",
                 sentence_pause: float = SENTENCE_PAUSE) -> None:
        self.guide = guide
        self.voice = voice
        self.ear = ear
        self.store = store
        self.commands = commands or Commands(guide.language)
        self.now = now
        self.resume_from = resume_from
        self.read_back = read_back
        self.sentence_pause = sentence_pause
        self.role: str | None = None
        self._slots: list[_Slot] = []
        self._narrated = 0  # steps before this index have been narrated (or were, before)
        self._done: set[tuple[str, int]] = set()  # kept before a resume: not asked again

    # --- the walk --------------------------------------------------------------------

    def run(self) -> str:
        record = self.resume_from
        if record is not None and record.finished:
            self._say(Msg.ALREADY_FINISHED)
            return "finished"
        try:
            if record is not None and (record.role is not None or record.done):
                position = self._pick_up(record)
            else:  # a new session, or one stopped before anything was kept
                position = self._begin()
            self._walk(position)
        except _Stopped:
            self.voice.cue("stopped")
            self._say(Msg.STOPPED)
            return "stopped"
        self._narrate_through(len(self.guide.steps) - 1)  # steps without questions at the end
        if self.guide.outro.strip():
            self.voice.say(self.guide.outro.strip(), "narration")
        self._mark(Mark(kind="end", at=self.now()))
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
            self._say(Msg.COMMANDS_IN_ENGLISH, help=self.commands.word("help"))
        self._say(Msg.HELP_HINT, help=self.commands.word("help"))
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
            self._say(Msg.RESUMED_AT_END)
            return position
        slot = self._slots[position]
        begun = any(s.key in self._done for s in self._slots if s.number == slot.number)
        self._narrated = slot.number + 1 if begun else slot.number
        self._say(Msg.RESUMED, number=slot.number + 1, total=len(self.guide.steps),
                  title=slot.step.title)
        return position

    def _plan(self) -> list[_Slot]:
        return [_Slot(n, step, i, prompt.ask)
                for n, step in enumerate(self.guide.steps)
                for i, prompt in step.prompts_for(self.role)]

    def _walk(self, position: int) -> None:
        if self.read_back != "never":  # said before each read-back: ready the moment it is
            self.voice.prepare([Msg.READ_BACK.format()])
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
        texts: list[tuple[str, Kind]] = [(Msg.PART.format(
            number=number + 1, total=len(self.guide.steps), title=step.title), "title")]
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

    # --- one question ----------------------------------------------------------------

    def _ask(self, position: int) -> bool:
        """Ask one question until it is answered, skipped or left; True means go back."""
        slot = self._slots[position]
        self.voice.say(slot.ask, "question")
        self.voice.prepare(self._upcoming(position))
        draft = self._draft()
        while True:
            try:
                heard = self._hear(slot.ask, draft)
            except Interrupted as stop:
                self._keep_cut_short(slot, draft, stop)
                raise
            if isinstance(heard, Answer):
                draft.add(heard)
                self._keep(slot, draft, heard.ended)
                self._tell(heard.notice)  # only now: saving comes before a word about it
                reply = self._read_back(slot, draft, heard)
                if reply in ("keep", "back"):
                    return reply == "back"
                if reply == "redo":
                    draft = self._draft()
                continue  # redo or add: listen again
            if heard.name in ("finish", "skip"):
                self._keep(slot, draft, "command")
                return False
            if heard.name == "back" and position == 0:
                self._say(Msg.FIRST_QUESTION)
                self.voice.say(slot.ask, "question")
                continue
            if draft:  # stop or back: what was said so far is saved, not lost
                self._save(slot, draft, "command")
            if heard.name == "stop":
                raise _Stopped
            self._say(Msg.GOING_BACK)
            return True

    def _draft(self) -> Draft:
        return Draft(self.guide.language, self.sentence_pause)

    def _hear(self, question: str, draft: Draft) -> Heard:
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
            if heard.name == "scratch":
                dropped = draft.scratch()
                self._say(Msg.SCRATCHED if dropped else Msg.NOTHING_TO_SCRATCH,
                          text=dropped or "")
                continue
            if heard.name == "help":
                self._say(Msg.HELP, **{n: self.commands.word(n) for n in
                                       ("finish", "repeat", "skip", "back", "pause", "stop",
                                        "scratch")})
            elif heard.name == "repeat":
                if draft:
                    self._say(Msg.KEPT_SO_FAR)
            elif heard.name == "pause":
                if not self._paused():
                    return Command("stop")
                self._say(Msg.WELCOME_BACK)
            elif heard.name != "resume":  # "resume" while not paused: nothing to do
                return heard
            self.voice.say(question, "question")

    def _read_back(self, slot: _Slot, draft: Draft, heard: Answer) -> str:
        """Say what was heard when `read_back` asks for it (judged on the newest take,
        `heard`), and take the reply: "keep" (also silence, Enter, next, skip), "redo",
        "add" or "back"; stop ends the session. Words said instead of a reply, or a
        scratch, change the answer: it is saved again whole."""
        while heard.ended not in CUT_SHORT and worth_reading_back(self.read_back, heard.words):
            self._say(Msg.READ_BACK)  # prepared: it plays while the answer's words render
            self.voice.say(draft.text, "notice")
            reply = self._reply()
            if isinstance(reply, Answer):
                draft.add(reply)
                self._save(slot, draft, reply.ended)
                heard = reply
                continue
            name = reply.name if reply is not None else "keep"
            if name == "stop" or (name == "pause" and not self._paused()):
                raise _Stopped
            if name == "scratch" and draft.scratch() and draft:
                self._save(slot, draft, "command")
                continue
            if name in ("redo", "scratch", "add"):  # scratch of the only sentence: redo
                self._say(Msg.GO_ON if name == "add" else Msg.SAY_IT_AGAIN)
                return "add" if name == "add" else "redo"
            if name != "repeat":
                return "back" if name == "back" else "keep"
        return "keep"

    def _reply(self) -> Heard | None:
        """A reply to a read-back (None: nothing said); help is answered here."""
        while True:
            self.voice.cue("listening")
            heard = self.ear.listen(within=REPLY_WAIT)
            if not (isinstance(heard, Command) and heard.name == "help"):
                return heard
            self._say(Msg.HELP_REPLY, **{n: self.commands.word(n) for n in
                                         ("keep", "redo", "add", "scratch")})

    def _paused(self) -> bool:
        """Wait for resume (True) or stop (False); nothing else counts as an answer here.
        What is said on a break is not kept (it may be meant for someone in the room), and
        the user is told so: every time for typed text, which is surely meant for Reflect,
        once for speech, so a conversation nearby does not draw a reminder each sentence."""
        resume = self.commands.word("resume")
        self._say(Msg.PAUSED, resume=resume)
        reminded = False
        while True:
            heard = self.ear.listen()
            if isinstance(heard, Command) and heard.name in ("resume", "stop"):
                return heard.name == "resume"
            typed = isinstance(heard, Answer) and heard.ended == "typed"
            if not reminded or typed or (isinstance(heard, Command) and heard.name == "help"):
                self._say(Msg.STILL_PAUSED, resume=resume)
                reminded = True

    def _keep(self, slot: _Slot, draft: Draft, ended: str) -> None:
        """Save what was said, or mark the question skipped when nothing was."""
        if draft:
            self._save(slot, draft, ended)
        else:
            self._mark(Mark(kind="skip", at=self.now(), step=slot.step.id,
                            prompt=slot.prompt, value=slot.ask))
            self._say(Msg.SKIPPED)

    def _save(self, slot: _Slot, draft: Draft, ended: str) -> None:
        notice = self.store.answer(self._entry(slot, draft, ended))
        self.voice.cue("saved")
        self._tell(notice)

    def _mark(self, mark: Mark) -> None:
        self._tell(self.store.mark(mark))

    def _tell(self, notice: str | None) -> None:
        if notice:
            self.voice.say(notice, "notice")

    def _entry(self, slot: _Slot, draft: Draft, ended: str) -> Entry:
        return Entry(step=slot.step.id, prompt=slot.prompt, title=slot.step.title,
                     question=slot.ask, text=draft.text, at=self.now(),
                     seconds=round(draft.seconds, 1), ended=ended,
                     confidence=draft.confidence, words=draft.words)

    def _keep_cut_short(self, slot: _Slot, draft: Draft, stop: Interrupted) -> None:
        """A stop request came mid-answer: what was said is saved, nothing said or played
        (the process is on its way out, its terminal maybe gone); the caller tells the user."""
        if isinstance(stop.heard, Answer):
            draft.add(stop.heard)
        if draft:
            stop.notice = self.store.answer(self._entry(slot, draft, "interrupted"))
            stop.saved = True

    # --- the role question -----------------------------------------------------------

    def _choose(self, choice: Choice) -> str | None:
        """Ask which role fits; after ROLE_ASKS unclear answers (or skip), ask everything."""
        self.voice.say(choice.ask, "question")
        unclear = 0
        while unclear < ROLE_ASKS:
            pending = self._draft()
            heard = self._hear(choice.ask, pending)
            name = heard.name if isinstance(heard, Command) else None
            if name == "stop":
                raise _Stopped
            if name == "skip":
                break
            if name == "back":
                self._say(Msg.FIRST_QUESTION)
                self.voice.say(choice.ask, "question")
                continue
            if isinstance(heard, Answer):
                pending.add(heard)
            role = pick_option(choice.options, pending.text)
            if role is not None:
                self._mark(Mark(kind="role", at=self.now(), value=role))
                self._say(Msg.ROLE_THANKS)
                return role
            unclear += 1
            if unclear < ROLE_ASKS:
                self._say(Msg.ROLE_UNCLEAR)
                self.voice.say(choice.ask, "question")
        self._say(Msg.ROLE_EVERY_QUESTION)
        return None

    def _say(self, msg: Msg, **fields: object) -> None:
        self.voice.say(msg.format(**fields), "notice")
