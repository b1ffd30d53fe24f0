"""`journal read`'s walk with a fake Voice and Ear: questions and answers in order, and
next, repeat, back, stop and help between answers. The real CLI writing to a speaker file
is in test_spoken_repair.py."""

from __future__ import annotations

from test_session import T0, World

from assistant.cli.recital import LISTEN, Recital
from assistant.messages import Msg
from assistant.text.commands import Commands
from assistant.turns import Command, Entry, Heard


def entries(*texts: str) -> list[Entry]:
    return [Entry("s", i, "Step", f"Q{i}?", text, T0, 1.0, "silence")
            for i, text in enumerate(texts)]


def read(heard: list[Heard | None], *texts: str) -> World:
    world = World(heard)
    Recital(entries(*texts), world, world, Commands("en")).run()
    assert not world.heard, f"the script was not used up: {world.heard}"
    return world


def test_each_question_then_its_answer_in_order_and_answers_are_never_prepared() -> None:
    w = read([None, None, None], "one", "two", "three")
    assert w.said == ["Q0?", "one", "Q1?", "two", "Q2?", "three", Msg.READ_DONE.format()]
    assert [texts for kind, texts in w.log if kind == "prepare"] == [["Q0?", "Q1?", "Q2?"]]


def test_repeat_back_and_next_move_as_asked() -> None:
    w = read([Command("repeat"), Command("finish"), Command("back"), None, None, None],
             "one", "two", "three")
    assert [t for t in w.said if not t.startswith("Q")][:-1] == [
        "one", "one", "two", "one", "two", "three"]


def test_stop_ends_the_reading_and_help_names_the_commands() -> None:
    w = read([Command("help"), Command("stop")], "one", "two")
    assert w.said[-1] == Msg.READ_DONE.format()
    assert "two" not in w.said
    assert any("repeat" in n and "back" in n for n in w.notices())


def test_each_pause_for_a_command_is_short() -> None:
    assert read([None, None], "a", "b").waits == [LISTEN, LISTEN]
