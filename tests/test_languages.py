"""Reflect in the guide's language (text/spoken.py, text/commands.py): every line the
session, the ear and the recital say aloud has its Korean, with the same fields, and a
language with none is spoken in English. Pure logic, no audio."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from assistant.messages import Msg
from assistant.text.commands import PHRASES
from assistant.text.spoken import SPOKEN, speaks, spoken

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# What speaks during a session or a reading: each Msg named there is said aloud.
SPEAKERS = ("session.py", "answers.py", "speech/listening/ear.py", "cli/recital.py")


def said_aloud() -> set[Msg]:
    found = set()
    for module in SPEAKERS:
        for node in ast.walk(ast.parse((PACKAGE / module).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Msg"):
                found.add(Msg[node.attr])
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_scan_finds_the_lines_said_aloud() -> None:
    assert {Msg.READ_BACK, Msg.HELP, Msg.STILL_LISTENING, Msg.READ_DONE} <= said_aloud()


@pytest.mark.parametrize("language", sorted(SPOKEN))
def test_every_line_said_aloud_is_in_each_spoken_language(language: str) -> None:
    missing = sorted(m.name for m in said_aloud() - SPOKEN[language].keys())
    assert missing == [], f"{language} lacks {missing}"


@pytest.mark.parametrize("language", sorted(SPOKEN))
def test_each_line_has_the_fields_of_its_english(language: str) -> None:
    wrong = [m.name for m, text in SPOKEN[language].items() if fields(text) != fields(m.value)]
    assert wrong == []


def test_a_language_speaks_its_own_lines_or_english() -> None:
    assert spoken(Msg.READ_BACK, "ko") == "이렇게 들었어요:"
    assert spoken(Msg.PAUSED, "ko", resume="계속").endswith("계속, 하고 말하세요.")
    assert spoken(Msg.READ_BACK, "de") == Msg.READ_BACK.value
    assert speaks("en") and speaks("ko") and not speaks("de")


def test_each_spoken_language_has_its_commands_too() -> None:
    assert set(SPOKEN) <= set(PHRASES)
