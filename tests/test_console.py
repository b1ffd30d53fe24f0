"""Typed input and plain-line output (ConsoleEar / ConsoleVoice) on in-memory streams."""

from __future__ import annotations

import io
import signal
from itertools import count

import pytest

from assistant.messages import Msg
from assistant.terminal.console import ConsoleEar, ConsoleVoice
from assistant.terminal.interrupts import StopRequest
from assistant.turns import Answer, Command, Interrupted


def ear(typed: str) -> ConsoleEar:
    ticks = count()
    return ConsoleEar(io.StringIO(typed), io.StringIO(), clock=lambda: float(next(ticks)))


def test_multi_line_answer_ends_at_an_empty_line() -> None:
    e = ear("first line\nsecond line\n\nnext answer\n\n")
    heard = e.listen()
    assert isinstance(heard, Answer)
    assert (heard.text, heard.ended) == ("first line\nsecond line", "typed")
    assert heard.seconds > 0
    assert e.listen().text == "next answer"


def test_done_alone_ends_the_answer_and_is_not_part_of_it() -> None:
    e = ear("I was done with it\nDone.\n")
    assert e.listen() == Answer("I was done with it", 1.0, "typed")


def test_empty_lines_before_any_text_end_nothing() -> None:
    e = ear("\n\n\nafter thinking\n\n")
    assert e.listen().text == "after thinking"


def test_a_command_line_returns_the_command_with_the_lines_before_it() -> None:
    e = ear("half a thought\nskip this one\nrepeat\n")
    first = e.listen()
    assert isinstance(first, Command)
    assert (first.name, first.pending) == ("skip", "half a thought")
    assert e.listen() == Command("repeat", "", 0.0)


def test_command_words_inside_a_line_are_content() -> None:
    e = ear("I want to stop feeling this way\n\n")
    assert e.listen().text == "I want to stop feeling this way"


def test_done_alone_with_nothing_typed_is_the_finish_command() -> None:
    assert ear("done\n").listen() == Command("finish", "", 0.0)


def test_end_of_input_keeps_pending_text_then_stops() -> None:
    e = ear("typed but never ended")
    first = e.listen()
    assert isinstance(first, Answer) and first.ended == "end-of-input"
    assert first.text == "typed but never ended"
    assert e.listen() == Command("stop")
    assert e.listen() == Command("stop")  # and stays stopped


def test_bytes_that_are_not_utf8_do_not_lose_the_answer() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"caf\xe9 au lait\n\n"), encoding="utf-8",
                              errors="surrogateescape")
    heard = ConsoleEar(stream, io.StringIO()).listen()
    assert heard.text == "caf\ufffd au lait"
    heard.text.encode("utf-8")  # savable


def test_a_stop_request_while_typing_carries_the_lines_so_far() -> None:
    class Interrupting(io.StringIO):
        """Typed lines, then Ctrl-C: the signal handler raises where the ear waits."""

        def readline(self, size: int = -1) -> str:
            line = super().readline(size)
            if not line:
                stop._handle(signal.SIGINT, None)
            return line

    stop = StopRequest()
    e = ConsoleEar(Interrupting("half typed\nand more\n"), io.StringIO(), clock=lambda: 0.0,
                   stop=stop)
    with pytest.raises(Interrupted) as raised:
        e.listen()
    assert raised.value.heard == Answer("half typed\nand more", 0.0, "interrupted")
    assert raised.value.exit_code == 130
    assert e.listen() == Command("stop")  # and it stays stopped


def test_end_of_input_with_nothing_pending_is_stop() -> None:
    assert ear("").listen() == Command("stop")


def test_the_typing_hint_is_printed_once() -> None:
    e = ear("a\n\nb\n\n")
    e.listen()
    e.listen()
    assert e.out.getvalue().count(Msg.TYPED_HINT.format()) == 1


def test_voice_prints_plain_lines_with_questions_marked() -> None:
    out = io.StringIO()
    v = ConsoleVoice(out)
    v.say("Part 1 of 2: Start.", "title")
    v.say("Some narration\nover two lines.", "narration")
    v.pause(5)
    v.prepare(["ignored"])
    v.say("What happened?", "question")
    v.cue("listening")
    v.cue("saved")
    assert out.getvalue() == (
        "Part 1 of 2: Start.\n\nSome narration\nover two lines.\n\n"
        "Question: What happened?\n\nSaved.\n")
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
