"""The command matcher: a command only when the whole utterance is one."""

from __future__ import annotations

import pytest

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.text.commands import NAMES, PHRASES, Commands, words
from assistant.turns import CommandName


@pytest.fixture(scope="module")
def en() -> Commands:
    return Commands("en")


@pytest.mark.parametrize(("said", "name"), [
    ("skip", "skip"),
    ("Skip this one.", "skip"),
    ("let's skip it", "skip"),
    ("Let\u2019s skip it, please", "skip"),
    ("pass", "skip"),
    ("next question", "finish"),
    ("next", "finish"),
    ("done", "finish"),
    ("I'm done", "finish"),
    ("I\u2019m done.", "finish"),
    ("that's all", "finish"),
    ("repeat", "repeat"),
    ("Can you repeat that?", "repeat"),
    ("say that again please", "repeat"),
    ("um, what was the question", "repeat"),
    ("again", "repeat"),
    ("go back", "back"),
    ("previous question", "back"),
    ("pause", "pause"),
    ("wait a minute", "pause"),
    ("hold on", "pause"),
    ("resume", "resume"),
    ("continue", "resume"),
    ("okay, I'm ready", "resume"),
    ("stop", "stop"),
    ("Stop!", "stop"),
    ("stop the session", "stop"),
    ("end session", "stop"),
    ("quit", "stop"),
    ("help", "help"),
    ("What can I say?", "help"),
    ("uh help please", "help"),
])
def test_whole_utterance_commands(en: Commands, said: str, name: str) -> None:
    assert en.match(said) == name


@pytest.mark.parametrize("said", [
    "I want to stop feeling this way",
    "I was done with waiting for an apology",
    "skip the part where I lied",
    "we can go back to how it was",
    "please help me understand why",
    "repeat after me",
    "it was the next day",
    "",
    "   ",
    "um",
    "okay.",
    "please",
])
def test_longer_answers_and_fillers_alone_are_content(en: Commands, said: str) -> None:
    assert en.match(said) is None


def test_every_command_has_phrases_and_a_help_word(en: Commands) -> None:
    assert set(PHRASES["en"]) == set(NAMES)
    for name in NAMES:
        assert en.match(en.word(name), replies=True) == name


def test_replies_to_a_read_back_are_words_of_an_answer_at_any_other_time(
        en: Commands) -> None:
    for said, name in [("yes", "keep"), ("keep it", "keep"), ("no", "redo"),
                       ("let me try again", "redo"), ("add more", "add")]:
        assert en.match(said, replies=True) == name
        assert en.match(said) is None  # "no" is an answer to "is there anything else?"
    assert en.match("scratch that") == "scratch"
    assert en.match("I want to scratch that itch") is None


def test_typed_and_spoken_forms_match_alike(en: Commands) -> None:
    # vosk gives lower case without punctuation; a keyboard gives capitals and apostrophes
    assert en.match("i'm done") == en.match("I'M DONE!") == en.match("im done") == "finish"
    assert words("That's  all, really?") == ["thats", "all", "really"]


def test_extra_phrases_from_a_guide_or_settings() -> None:
    cmds = Commands("en", extra={"skip": ["not this one", "maybe later"], "stop": ["enough"]})
    assert cmds.match("not this one") == "skip"
    assert cmds.match("Maybe later.") == "skip"
    assert cmds.match("Enough.") == "stop"
    assert cmds.match("skip") == "skip"  # the built-in phrases stay


def test_extra_phrase_that_clashes_is_one_clear_error() -> None:
    with pytest.raises(ReflectError) as err:
        Commands("en", extra={"stop": ["repeat that"]})
    assert err.value.msg is Msg.COMMAND_CLASH
    assert "repeat that" in str(err.value) and "stop" in str(err.value)


def test_extra_phrase_for_unknown_command() -> None:
    with pytest.raises(ReflectError) as err:
        Commands("en", extra={"rewind": ["rewind"]})
    assert err.value.msg is Msg.COMMAND_UNKNOWN


def test_unknown_language_falls_back_to_english() -> None:
    de = Commands("de")
    assert de.fallback and de.language == "en"
    assert de.match("skip it") == "skip"
    assert not Commands("en").fallback


def test_korean_commands_are_whole_korean_utterances() -> None:
    """Korean has phrases of its own, filler words too; an answer that holds a command
    word is still an answer, and the replies count only when one is awaited."""
    ko = Commands("ko")
    assert not ko.fallback and ko.language == "ko"
    assert ko.match("음 그만") == CommandName.STOP
    assert ko.match("다시 한 번") == CommandName.REPEAT
    assert ko.match("좀 넘어가 주세요") == CommandName.SKIP
    assert ko.match("오늘은 그만 생각하고 싶어요") is None
    assert ko.match("아니요") is None and ko.match("아니요", replies=True) == CommandName.REDO
    assert ko.match("skip") is None  # English is not heard in a Korean session
