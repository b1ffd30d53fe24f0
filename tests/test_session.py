"""Session logic with a fake Voice, Ear and store: order, roles, commands, resume.

Fakes are fine here (the logic has no devices or files); the real CLI, journal and files
are exercised in test_text_run.py and test_kill.py."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.errors import ReflectError
from assistant.guides.schema import Choice, Guide, Prompt, Step
from assistant.journal import Entry, Mark, Record
from assistant.messages import Msg
from assistant.session import Session
from assistant.text.commands import Commands
from assistant.text.spoken import spoken
from assistant.turns import Answer, Command, CommandName, Heard, Interrupted

GUIDE = Guide(
    id="test-guide", title="Test", language="en",
    intro="Hello and welcome.",
    choose=Choice("role", "Were you hurt, or did you break it?",
                  {"hurt": ("hurt", "me"), "broke": ("broke", "i did")}),
    steps=(
        Step("alpha", "Alpha", say="Alpha narration.",
             prompts=(Prompt("A zero?"), Prompt("A one, hurt only?", ("hurt",)))),
        Step("beta", "Beta", say="Beta narration.", pause=2,
             prompts=(Prompt("B zero, broke only?", ("broke",)), Prompt("B one?"))),
        Step("closing", "Closing", say="Closing narration."),
    ),
    outro="Goodbye for now.",
)
NO_CHOICE = Guide(id="plain", title="Plain", intro="Hi.", outro="Bye.", steps=(
    Step("one", "One", say="First part.", prompts=(Prompt("Q1?"), Prompt("Q2?"))),
    Step("two", "Two", say="Second part.", prompts=(Prompt("Q3?"),)),
))
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


class World:
    """One log shared by the fakes, so tests can check what happened in which order."""

    def __init__(self, heard: Sequence[Heard | Interrupted | None]) -> None:
        self.log: list[tuple[str, object]] = []
        self.heard = list(heard)
        self.entries: list[Entry] = []
        self.marks: list[Mark] = []
        self.fail_saving = False
        self.waits: list[float | None] = []  # each listen's `within`
        self._tick = 0

    # Voice
    def say(self, text: str, kind: str = "narration") -> None:
        self.log.append((kind, text))

    def pause(self, seconds: float) -> None:
        self.log.append(("pause", seconds))

    def prepare(self, texts: Sequence[str]) -> None:
        self.log.append(("prepare", list(texts)))

    def cue(self, name: str) -> None:
        self.log.append(("cue", name))

    # Ear
    def listen(self, within: float | None = None) -> Heard | None:
        assert self.heard, f"the session listened again after the script ended: {self.said}"
        heard = self.heard.pop(0)
        self.waits.append(within)
        assert heard is not None or within is not None, "nothing heard, where no reply is"
        self.log.append(("heard", heard))
        if isinstance(heard, Interrupted):  # a stop request while listening
            raise heard
        return heard

    # Store
    def answer(self, entry: Entry) -> None:
        if self.fail_saving:
            raise ReflectError(Msg.SAVE_FAILED, reason="the disk is full", path="x",
                               text=entry.text)
        self.entries.append(entry)
        self.log.append(("saved", (entry.step, entry.prompt, entry.text)))

    def mark(self, mark: Mark) -> None:
        self.marks.append(mark)
        self.log.append(("mark", (mark.kind, mark.step, mark.prompt, mark.value)))

    def now(self) -> datetime:
        self._tick += 1
        return T0 + timedelta(seconds=self._tick)

    # views
    @property
    def questions(self) -> list[str]:
        return [text for kind, text in self.log if kind == "question"]

    @property
    def said(self) -> list[str]:
        return [str(text) for kind, text in self.log
                if kind in ("title", "narration", "question", "notice")]

    def notices(self) -> list[str]:
        return [str(text) for kind, text in self.log if kind == "notice"]

    def answers(self) -> list[tuple[str, int, str]]:
        return [(e.step, e.prompt, e.text) for e in self.entries]


def run(guide: Guide, heard: Sequence[Heard], record: Record | None = None) -> tuple[str, World]:
    world = World(heard)
    session = Session(guide, world, world, world, now=world.now, resume_from=record)
    result = session.run()
    assert not world.heard, f"the script was not used up: {world.heard}"
    return result, world


def a(text: str, seconds: float = 1.0, ended: str = "silence") -> Answer:
    return Answer(text, seconds, ended)


def record(guide: Guide, *, role: str | None = None, answered: Sequence[tuple[str, int]] = (),
           skipped: Sequence[tuple[str, int]] = (), finished: bool = False) -> Record:
    entries = [Entry(s, p, s.title(), "q", f"answer {s} {p}", T0, 1.0, "typed")
               for s, p in answered]
    marks = [Mark("skip", T0, s, p) for s, p in skipped]
    if role:
        marks.insert(0, Mark("role", T0, value=role))
    if finished:
        marks.append(Mark("end", T0))
    return Record("sid", guide.id, T0, None, Path("sid.md"), entries, marks, [])


# --- the whole walk ----------------------------------------------------------------


def test_full_session_in_order_for_the_chosen_role() -> None:
    result, w = run(GUIDE, [a("It was me"), a("a0"), a("a1"), a("b1")])
    assert result == "finished"
    assert w.questions == [GUIDE.choose.ask, "A zero?", "A one, hurt only?", "B one?"]
    assert w.answers() == [("alpha", 0, "a0"), ("alpha", 1, "a1"), ("beta", 1, "b1")]
    assert [(m.kind, m.value) for m in w.marks] == [("role", "hurt"), ("end", None)]
    said = w.said
    order = ["Hello and welcome.", GUIDE.choose.ask, "Part 1 of 3: Alpha.", "Alpha narration.",
             "A zero?", "Part 2 of 3: Beta.", "Beta narration.", "B one?",
             "Part 3 of 3: Closing.", "Closing narration.", "Goodbye for now."]
    assert [s for s in said if s in order] == order
    assert ("pause", 2) in w.log
    assert w.log.index(("pause", 2)) < w.log.index(("question", "B one?"))


def test_each_answer_is_stored_before_the_next_question_and_cues_frame_listening() -> None:
    _, w = run(NO_CHOICE, [a("one"), a("two"), a("three")])
    for saved, question in [(("one", 0, "one"), "Q2?"), (("one", 1, "two"), "Q3?")]:
        assert w.log.index(("saved", saved)) < w.log.index(("question", question))
    for i, (kind, _) in enumerate(w.log):
        if kind == "heard":
            assert w.log[i - 1] == ("cue", "listening")
        if kind == "saved":
            assert w.log[i + 1] == ("cue", "saved")
    assert [(e.ended, e.seconds) for e in w.entries] == [("silence", 1.0)] * 3
    assert w.marks[-1].kind == "end"


def test_next_texts_are_prepared_while_the_user_answers() -> None:
    _, w = run(NO_CHOICE, [a("one"), a("two"), a("three")])
    prepared = [texts for kind, texts in w.log if kind == "prepare"]
    assert ["Q2?"] in prepared
    assert ["Part 2 of 2: Two.", "Second part.", "Q3?"] in prepared
    assert ["Bye."] in prepared
    # the hint comes before the user is listened to for that question
    assert w.log.index(("prepare", ["Q2?"])) < w.log.index(("heard", a("one")))


def test_other_role_hears_its_own_prompts() -> None:
    _, w = run(GUIDE, [a("I did"), a("a0"), a("b0"), a("b1")])
    assert w.questions[1:] == ["A zero?", "B zero, broke only?", "B one?"]
    assert w.answers() == [("alpha", 0, "a0"), ("beta", 0, "b0"), ("beta", 1, "b1")]


def test_role_is_asked_again_then_every_question_is_asked() -> None:
    _, w = run(GUIDE, [a("hmm, not sure"), a("both really"), a(""), *map(a, "wxyz")])
    assert w.questions[:3] == [GUIDE.choose.ask] * 3
    assert Msg.ROLE_UNCLEAR.format() in w.notices()
    assert Msg.ROLE_EVERY_QUESTION.format() in w.notices()
    assert [m.kind for m in w.marks] == ["end"]  # no role mark: everyone
    assert len(w.entries) == 4  # every prompt of the guide


def test_ambiguous_role_answer_is_not_guessed() -> None:
    _, w = run(GUIDE, [a("me, but I did too"), a("hurt"), *map(a, "xyz")])
    assert w.marks[0].value == "hurt"
    assert w.questions[:2] == [GUIDE.choose.ask] * 2


def test_skipping_the_role_question_asks_everything() -> None:
    _, w = run(GUIDE, [Command("skip"), *map(a, "wxyz")])
    assert Msg.ROLE_EVERY_QUESTION.format() in w.notices()
    assert len(w.entries) == 4


def test_role_by_finish_command_after_words() -> None:
    _, w = run(GUIDE, [Command("finish", pending="the one who was hurt"), *map(a, "xyz")])
    assert w.marks[0].value == "hurt"


def test_stop_at_the_role_question() -> None:
    result, w = run(GUIDE, [Command("stop")])
    assert result == "stopped" and not w.entries and not w.marks
    assert w.notices()[-1] == Msg.STOPPED.format()


# --- commands while answering ------------------------------------------------------


def test_repeat_keeps_what_was_said_and_continues_it() -> None:
    _, w = run(NO_CHOICE, [Command("repeat", pending="part one", seconds=4.0),
                           a("part two", seconds=2.0), a("b"), a("c")])
    assert w.questions[:2] == ["Q1?", "Q1?"]
    assert Msg.KEPT_SO_FAR.format() in w.notices()
    first = w.entries[0]
    assert (first.text, first.seconds) == ("part one\npart two", 6.0)


def test_repeat_with_nothing_said_just_asks_again() -> None:
    _, w = run(NO_CHOICE, [Command("repeat"), a("x"), a("y"), a("z")])
    assert w.questions[:2] == ["Q1?", "Q1?"]
    assert Msg.KEPT_SO_FAR.format() not in w.notices()


def test_help_lists_the_commands_then_asks_again() -> None:
    _, w = run(NO_CHOICE, [Command("help"), a("x"), a("y"), a("z")])
    help_text = next(n for n in w.notices() if n.startswith("You can say"))
    for word in ("done", "repeat", "skip", "back", "pause", "stop"):
        assert word in help_text
    assert w.log.index(("notice", help_text)) < len(w.log) - 1
    assert w.questions[:2] == ["Q1?", "Q1?"]


def test_skip_with_nothing_said_writes_a_skip_mark() -> None:
    _, w = run(NO_CHOICE, [Command("skip"), a("y"), a("z")])
    assert [(m.kind, m.step, m.prompt) for m in w.marks] == [("skip", "one", 0), ("end", None,
                                                                                  None)]
    assert w.answers() == [("one", 1, "y"), ("two", 0, "z")]
    assert Msg.SKIPPED.format() in w.notices()


def test_skip_after_words_saves_them_instead_of_losing_them() -> None:
    _, w = run(NO_CHOICE, [Command("skip", pending="half a thought"), a("y"), a("z")])
    assert w.entries[0].text == "half a thought" and w.entries[0].ended == "command"
    assert [m.kind for m in w.marks] == ["end"]


def test_blank_answer_counts_as_a_skip() -> None:
    _, w = run(NO_CHOICE, [a("   "), a("y"), a("z")])
    assert w.marks[0].kind == "skip" and len(w.entries) == 2


def test_finish_command_saves_the_pending_answer() -> None:
    _, w = run(NO_CHOICE, [Command("finish", pending="all of it", seconds=3.0),
                           a("y", ended="command"), Command("finish")])
    assert [(e.text, e.ended) for e in w.entries] == [("all of it", "command"), ("y", "command")]
    assert w.marks[0].kind == "skip"  # finish with nothing said moves on like skip


def test_back_goes_to_the_previous_question_across_steps_and_appends() -> None:
    _, w = run(NO_CHOICE, [a("one"), a("two"), Command("back"), a("two again"), a("three")])
    assert w.questions == ["Q1?", "Q2?", "Q3?", "Q2?", "Q3?"]
    assert w.answers() == [("one", 0, "one"), ("one", 1, "two"), ("one", 1, "two again"),
                           ("two", 0, "three")]
    assert Msg.GOING_BACK.format() in w.notices()
    assert w.said.count("Second part.") == 1  # no narration again on the way back


def test_back_saves_what_was_said_first() -> None:
    _, w = run(NO_CHOICE, [a("one"), Command("back", pending="unfinished"), a("one again"),
                           a("two now"), a("three")])
    assert w.answers()[:3] == [("one", 0, "one"), ("one", 1, "unfinished"),
                               ("one", 0, "one again")]
    assert w.questions == ["Q1?", "Q2?", "Q1?", "Q2?", "Q3?"]


def test_back_at_the_first_question_stays_there() -> None:
    _, w = run(NO_CHOICE, [Command("back"), a("x"), a("y"), a("z")])
    assert Msg.FIRST_QUESTION.format() in w.notices()
    assert w.questions[:2] == ["Q1?", "Q1?"] and len(w.entries) == 3


def test_pause_waits_for_resume_and_takes_nothing_as_an_answer() -> None:
    _, w = run(NO_CHOICE, [
        Command("pause", pending="before the break"),
        a("talking to someone else"), Command("skip"), Command("help"),
        Command("resume", pending="more talk"),
        a("after the break"), a("y"), a("z")])
    assert w.entries[0].text == "before the break\nafter the break"
    assert "talking to someone else" not in " ".join(e.text for e in w.entries)
    assert [m.kind for m in w.marks] == ["end"]
    notices = w.notices()
    assert Msg.PAUSED.format(resume="resume") in notices
    assert notices.count(Msg.STILL_PAUSED.format(resume="resume")) == 2  # once + for help
    assert Msg.WELCOME_BACK.format() in notices
    assert w.questions[:2] == ["Q1?", "Q1?"]


def test_typed_text_on_a_break_is_not_kept_and_says_so_every_time() -> None:
    """Typed text is surely meant for Reflect: each line gets the reminder that nothing is
    kept on a break (speech gets it once: it may be a conversation in the room)."""
    _, w = run(NO_CHOICE, [
        Command("pause"), Answer("my real answer", 0.0, "typed"),
        Answer("and more of it", 0.0, "typed"), Command("resume"), a("x"), a("y"), a("z")])
    assert w.notices().count(Msg.STILL_PAUSED.format(resume="resume")) == 2
    assert [e.text for e in w.entries] == ["x", "y", "z"]


def test_a_notice_that_comes_with_an_answer_is_said_after_it_is_saved() -> None:
    _, w = run(NO_CHOICE, [Answer("heard so far", 4.0, "device-lost", notice="Mic gone."),
                           a("y"), a("z")])
    assert w.entries[0].ended == "device-lost"
    saved = w.log.index(("saved", ("one", 0, "heard so far")))
    assert saved < w.log.index(("notice", "Mic gone.")) < w.log.index(("question", "Q2?"))


def test_stop_while_paused_saves_what_came_before_the_pause() -> None:
    result, w = run(NO_CHOICE, [a("one"), Command("pause", pending="kept"), Command("stop")])
    assert result == "stopped"
    assert w.answers() == [("one", 0, "one"), ("one", 1, "kept")]


def test_resume_when_not_paused_is_ignored() -> None:
    _, w = run(NO_CHOICE, [Command("resume"), a("x"), a("y"), a("z")])
    assert len(w.entries) == 3 and w.questions[:2] == ["Q1?", "Q1?"]


def test_stop_saves_pending_and_writes_nothing_more() -> None:
    result, w = run(NO_CHOICE, [a("one"), Command("stop", pending="last words", seconds=2.5)])
    assert result == "stopped"
    assert w.answers() == [("one", 0, "one"), ("one", 1, "last words")]
    assert w.entries[1].ended == "command"
    assert w.marks == []  # no end mark, no skip mark
    assert w.said[-1] == Msg.STOPPED.format()
    assert "Bye." not in w.said


def test_stop_with_nothing_said_writes_nothing() -> None:
    result, w = run(NO_CHOICE, [Command("stop")])
    assert result == "stopped" and w.entries == [] and w.marks == []


def interrupted(heard: Answer | None = None) -> Interrupted:
    """What the ear raises when SIGTERM comes while it listens, with the answer so far."""
    stop = Interrupted(signal.SIGTERM)
    stop.heard = heard
    return stop


def test_a_stop_request_mid_answer_saves_it_quietly_then_ends() -> None:
    world = World([a("one"), Command("repeat", pending="first words", seconds=1.0),
                   interrupted(Answer("and the rest", 2.0, "interrupted", 0.8))])
    with pytest.raises(Interrupted) as raised:
        Session(NO_CHOICE, world, world, world, now=world.now).run()
    assert raised.value.saved
    assert world.answers() == [("one", 0, "one"), ("one", 1, "first words\nand the rest")]
    entry = world.entries[1]
    assert (entry.ended, entry.seconds, entry.confidence) == ("interrupted", 3.0, 0.8)
    assert world.log[-1][0] == "saved"  # nothing said, cued or marked after the save
    assert world.marks == []


def test_a_stop_request_with_nothing_said_saves_nothing() -> None:
    world = World([a("one"), interrupted()])
    with pytest.raises(Interrupted) as raised:
        Session(NO_CHOICE, world, world, world, now=world.now).run()
    assert not raised.value.saved
    assert world.answers() == [("one", 0, "one")] and world.marks == []


def test_a_stop_request_at_the_role_question_keeps_no_role() -> None:
    world = World([interrupted(Answer("i was hurt", 1.0, "interrupted"))])
    with pytest.raises(Interrupted):
        Session(GUIDE, world, world, world, now=world.now).run()
    assert world.entries == [] and world.marks == []


def test_a_failed_save_stops_the_session_before_the_next_question() -> None:
    world = World([a("lost?"), a("never asked")])
    world.fail_saving = True
    with pytest.raises(ReflectError) as err:
        Session(NO_CHOICE, world, world, world, now=world.now).run()
    assert "lost?" in str(err.value)
    assert world.questions == ["Q1?"]


def test_unknown_language_says_commands_are_english() -> None:
    guide = Guide(id="de", title="De", language="de", steps=NO_CHOICE.steps)
    _, w = run(guide, [a("x"), a("y"), a("z")])
    assert Msg.COMMANDS_IN_ENGLISH.format(help="help") in w.notices()


def test_a_korean_guide_is_spoken_and_commanded_in_korean() -> None:
    """Its own lines are Korean, the help names the Korean phrases, and "넘어가" skips."""
    guide = Guide(id="ko", title="Ko", language="ko", steps=NO_CHOICE.steps)
    _, w = run(guide, [Command(CommandName.HELP), Command(CommandName.SKIP), a("y"), a("z")])
    notices = w.notices()
    assert spoken(Msg.HELP_HINT, "ko", help="도움말") in notices
    assert any(n.startswith("답을 마쳤으면 다 했어요,") for n in notices), notices
    assert spoken(Msg.SKIPPED, "ko") in notices
    assert not any(Msg.COMMANDS_IN_ENGLISH.format(help="help") == n for n in notices)
    assert Commands("ko").match("넘어가") == CommandName.SKIP


def test_extra_command_words_reach_the_session_help() -> None:
    world = World([Command("help"), a("x"), a("y"), a("z")])
    commands = Commands("en", extra={"finish": []})
    Session(NO_CHOICE, world, world, world, commands=commands, now=world.now).run()
    assert any("done" in n for n in world.notices())


# --- resume --------------------------------------------------------------------------


def test_resume_in_the_middle_of_a_step_skips_its_narration() -> None:
    rec = record(GUIDE, role="hurt", answered=[("alpha", 0)])
    result, w = run(GUIDE, [a("a1"), a("b1")], rec)
    assert result == "finished"
    assert w.questions == ["A one, hurt only?", "B one?"]
    assert "Hello and welcome." not in w.said and "Alpha narration." not in w.said
    assert "Beta narration." in w.said
    assert w.notices()[0] == Msg.RESUMED.format(number=1, total=3, title="Alpha")
    assert [m.kind for m in w.marks] == ["end"]  # the role is not asked or written again


def test_resume_at_the_start_of_a_step_narrates_it() -> None:
    rec = record(GUIDE, role="broke", answered=[("alpha", 0)])
    _, w = run(GUIDE, [a("b0"), a("b1")], rec)
    assert w.questions == ["B zero, broke only?", "B one?"]
    assert "Beta narration." in w.said and "Alpha narration." not in w.said


def test_resume_counts_skipped_questions_as_done() -> None:
    rec = record(NO_CHOICE, answered=[("one", 0)], skipped=[("one", 1)])
    _, w = run(NO_CHOICE, [a("three")], rec)
    assert w.questions == ["Q3?"]


def test_resume_goes_to_the_first_gap_even_with_later_answers() -> None:
    rec = record(NO_CHOICE, answered=[("one", 0), ("two", 0)])
    _, w = run(NO_CHOICE, [a("two")], rec)
    assert w.questions == ["Q2?"] and w.answers() == [("one", 1, "two")]
    assert "Second part." not in w.said  # a step answered before is not narrated again


def test_resume_without_a_role_mark_asks_every_question() -> None:
    rec = record(GUIDE, answered=[("alpha", 0)])
    _, w = run(GUIDE, [a("x"), a("y"), a("z")], rec)
    assert w.questions == ["A one, hurt only?", "B zero, broke only?", "B one?"]


def test_resume_of_a_session_stopped_before_anything_starts_over() -> None:
    _, w = run(GUIDE, [a("me"), *map(a, "xyz")], record(GUIDE))
    assert w.said[0] == "Hello and welcome." and w.questions[0] == GUIDE.choose.ask


def test_resume_with_every_question_done_closes_the_session() -> None:
    rec = record(NO_CHOICE, answered=[("one", 0), ("one", 1), ("two", 0)])
    result, w = run(NO_CHOICE, [], rec)
    assert result == "finished" and w.questions == []
    assert w.said == [Msg.RESUMED_AT_END.format(), "Bye."]
    assert [m.kind for m in w.marks] == ["end"]


def test_resume_of_a_finished_session_says_so_and_writes_nothing() -> None:
    rec = record(NO_CHOICE, answered=[("one", 0)], finished=True)
    result, w = run(NO_CHOICE, [], rec)
    assert result == "finished"
    assert w.said == [Msg.ALREADY_FINISHED.format()]
    assert w.entries == [] and w.marks == []
