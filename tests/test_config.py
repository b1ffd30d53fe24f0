"""Settings: the YAML file, REFLECT_* variables and options, in that order of strength,
every value checked against its type; `reflect config path | show | set`."""

from __future__ import annotations

import stat
import time
from dataclasses import fields
from pathlib import Path

import pytest

from assistant.config import (
    Settings,
    load_settings,
    parse_value,
    paths,
    save_setting,
    settings_with_sources,
    show_value,
)
from assistant.errors import EXIT_BAD_INPUT, ReflectError
from assistant.messages import Msg
from assistant.text.commands import NAMES

COMMANDS_EXPECTED = Msg.EXPECT_COMMANDS.format(names=", ".join(NAMES)) + ", or none"


def write_file(text: str) -> Path:
    path = paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    assert load_settings() == Settings()


def test_file_then_environment_then_options(monkeypatch: pytest.MonkeyPatch) -> None:
    write_file("answer_silence: 4\nmax_answer: 60\ntones: no\ninput_device: 3\nrate: 150\n")
    monkeypatch.setenv("REFLECT_MAX_ANSWER", "90")
    monkeypatch.setenv("REFLECT_VOLUME", "0.5")
    settings, sources = settings_with_sources({"volume": 0.25, "model": None})
    assert settings.answer_silence == 4.0 and isinstance(settings.answer_silence, float)
    assert settings.max_answer == 90.0
    assert settings.volume == 0.25
    assert settings.tones is False
    assert settings.input_device == "3"  # a bare YAML number names a device index
    assert settings.rate == 150
    assert settings.model is None
    assert sources["answer_silence"] == "from the settings file"
    assert sources["max_answer"] == "from the environment variable REFLECT_MAX_ANSWER"
    assert sources["volume"] == "from the command line"
    assert sources["guide"] == "default"


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("volume", "loud", "a number from 0 to 1"),
    ("volume", "1.5", "a number from 0 to 1"),
    ("rate", "fast", "a whole number from 80 to 450, or none"),
    ("rate", "1.5", "a whole number from 80 to 450, or none"),
    ("tones", "maybe", "true or false"),
    ("answer_silence", "0", "a number from 0.5 to 60"),
    ("encrypt", "none", "true or false"),
    ("guide", " ", "a piece of text"),
    ("read_back", "sometimes", "one of never, unsure, always"),
    ("read_back", "none", "one of never, unsure, always"),
    ("sentence_pause", "0.1", "a number from 0.2 to 3"),
    ("commands", "skipp=pass it", COMMANDS_EXPECTED),
    ("commands", "skip", COMMANDS_EXPECTED),
    ("commands", "skip=pass it,", COMMANDS_EXPECTED),
    ("commands", "skip=?!", COMMANDS_EXPECTED),
    ("commands", "skip=pass; stop", COMMANDS_EXPECTED),
])
def test_bad_values_name_the_key_and_the_type(key: str, value: str, expected: str) -> None:
    with pytest.raises(ReflectError) as caught:
        save_setting(key, value)
    err = caught.value
    assert err.msg is Msg.SETTING_BAD_VALUE and err.exit_code == EXIT_BAD_INPUT
    assert f"The setting {key} cannot be {value!r}" in str(err)
    assert f"it must be {expected}." in str(err)
    assert not paths().settings_file.exists(), "a bad value is never written"


def test_values_from_text() -> None:
    assert save_setting("tones", "off") is False
    assert save_setting("encrypt", "Yes") is True
    assert save_setting("rate", "170") == 170
    assert save_setting("answer_silence", "2.5") == 2.5
    assert save_setting("voice", "English (Great Britain)") == "English (Great Britain)"
    assert save_setting("voice", "none") is None
    settings = load_settings()
    assert (settings.tones, settings.encrypt, settings.rate, settings.answer_silence,
            settings.voice) == (False, True, 170, 2.5, None)


def test_unknown_key_suggests_the_close_one() -> None:
    with pytest.raises(ReflectError) as caught:
        save_setting("answer_silense", "3")
    assert caught.value.msg is Msg.SETTING_UNKNOWN
    assert "Did you mean answer_silence?" in str(caught.value)


def test_bad_file_values_name_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_file("rate: true\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert str(path) in str(caught.value) and "rate" in str(caught.value)
    write_file("volum: 0.5\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert "Did you mean volume?" in str(caught.value)


def test_broken_yaml_says_where() -> None:
    path = write_file("guide: one\n  bad: [\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.msg is Msg.SETTINGS_FILE_BROKEN
    assert str(path) in str(caught.value) and "line" in str(caught.value)
    write_file("- just\n- a list\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.msg is Msg.SETTINGS_FILE_BROKEN


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLECT_ANSWER_SILENCE", "long")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert "REFLECT_ANSWER_SILENCE" in str(caught.value)
    assert "a number from 0.5 to 60" in str(caught.value)


def test_the_file_is_private() -> None:
    save_setting("guide", "rebuilding-trust")
    path = paths().settings_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["settings.yaml"]  # no temp files


def test_config_commands(cli) -> None:
    where = cli("config", "path")
    assert where.returncode == 0
    assert where.stdout.strip() == str(paths().settings_file)
    done = cli("config", "set", "answer_silence", "4.5")
    assert done.returncode == 0
    assert done.stdout.strip() == (
        f"answer_silence is now 4.5 (saved in {paths().settings_file}).")
    shown = cli("config", "show", env={"REFLECT_TONES": "false"}).stdout.splitlines()
    assert "answer_silence: 4.5 (from the settings file)" in shown
    assert "tones: false (from the environment variable REFLECT_TONES)" in shown
    assert "model: none (default)" in shown
    assert "model_url: https://alphacephei.com/vosk/models (default)" in shown
    bad = cli("config", "set", "max_answer", "forever")
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr.strip() == (
        "The setting max_answer cannot be 'forever' (in `reflect config set`): it must be "
        "a number from 5 to 3600.")
    unknown = cli("config", "set", "colour", "blue")
    assert unknown.returncode == EXIT_BAD_INPUT and "no setting called colour" in unknown.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr


def test_every_message_is_its_own_member() -> None:
    """Enum members with equal text silently become one; each sentence must stay separate
    so that a change to one never changes another."""
    assert len(list(Msg)) == len(Msg.__members__)


def test_a_bad_value_in_the_file_says_how_to_fix_it_and_that_fix_works(cli) -> None:
    path = write_file("volume: loud\nrate: 150\ncolour: blue\n")
    bad = cli("config", "show")
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr.strip() == (
        f"The setting volume cannot be 'loud' (in {path}): it must be a number from 0 to 1. "
        f"Change it with `reflect config set volume VALUE`, or edit {path}.")
    assert cli("config", "set", "volume", "0.5").returncode == 0  # the fix it names works
    unknown = cli("config", "show")
    assert f"no setting called colour (in {path})" in unknown.stderr
    assert unknown.stderr.strip().endswith(f"Remove it from {path}.")
    assert "rate: 150" in path.read_text() and "volume: 0.5" in path.read_text()


def test_a_bad_environment_variable_names_the_variable_to_change(cli) -> None:
    bad = cli("config", "show", env={"REFLECT_ANSWER_SILENCE": "soon"})
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr.strip().endswith(
        "Change the environment variable REFLECT_ANSWER_SILENCE, or unset it.")


def test_options_are_checked_like_every_other_value() -> None:
    with pytest.raises(ReflectError) as err:
        load_settings({"answer_silence": -1.0})
    assert err.value.msg is Msg.SETTING_BAD_VALUE
    assert "the option --answer-silence" in str(err.value)


def test_a_settings_file_that_is_not_utf8_is_one_sentence(cli) -> None:
    path = paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"voice: caf\xe9\n")
    bad = cli("config", "show")
    assert bad.returncode == EXIT_BAD_INPUT and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == Msg.SETTINGS_FILE_BROKEN.format(path=path, line="")


# --- numbers: a finite range, whatever the source (issue 9, item 12) ----------------------

RANGES = {"answer_silence": "a number from 0.5 to 60", "max_answer": "a number from 5 to 3600",
          "rate": "a whole number from 80 to 450, or none", "volume": "a number from 0 to 1",
          "sentence_pause": "a number from 0.2 to 3"}
OUT_OF_RANGE = [("sentence_pause", "0.1"), ("sentence_pause", "3.5"), ("sentence_pause", "nan"),
                ("answer_silence", "nan"), ("answer_silence", "inf"),
                ("answer_silence", "-inf"), ("answer_silence", "1e308"),
                ("answer_silence", "1e999"), ("answer_silence", "0.1"),
                ("max_answer", "nan"), ("max_answer", "86400"), ("rate", "10000"),
                ("rate", "20"), ("volume", "nan"), ("volume", "-0.1")]


def test_every_number_setting_has_a_finite_range() -> None:
    numbers = [f.name for f in fields(Settings) if f.type.split(" |")[0] in ("int", "float")]
    assert sorted(numbers) == sorted(RANGES)
    for key in numbers:
        for text in ("nan", "inf", "1e308"):
            with pytest.raises(ReflectError) as caught:
                parse_value(key, text, "a test")
            assert f"it must be {RANGES[key]}." in str(caught.value)
    assert parse_value("answer_silence", "0.5", "a test") == 0.5
    assert parse_value("max_answer", "3600", "a test") == 3600.0
    assert parse_value("rate", "450", "a test") == 450


@pytest.mark.parametrize(("key", "text"), OUT_OF_RANGE)
def test_out_of_range_numbers_in_the_file_are_refused(key: str, text: str) -> None:
    yaml_text = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}.get(text, text)
    path = write_file(f"{key}: {yaml_text}\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.msg is Msg.SETTING_BAD_VALUE
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert f"(in {path}): it must be {RANGES[key]}." in str(caught.value)


@pytest.mark.parametrize(("key", "text"), OUT_OF_RANGE)
def test_out_of_range_numbers_in_the_environment_are_refused(
        key: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"REFLECT_{key.upper()}", text)
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert f"(in REFLECT_{key.upper()}): it must be {RANGES[key]}." in str(caught.value)


@pytest.mark.parametrize(("key", "text"), OUT_OF_RANGE)
def test_out_of_range_numbers_from_options_are_refused(key: str, text: str) -> None:
    value = int(text) if key == "rate" else float(text)  # what argparse hands over
    with pytest.raises(ReflectError) as caught:
        load_settings({key: value})
    option = "--" + key.replace("_", "-")
    assert f"(in the option {option}): it must be {RANGES[key]}." in str(caught.value)


def test_a_400_digit_number_in_the_file_is_refused_not_a_crash() -> None:
    write_file("answer_silence: 1" + "0" * 400 + "\n")
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.msg is Msg.SETTING_BAD_VALUE


def test_config_set_nan_is_one_sentence_and_writes_nothing(cli) -> None:
    bad = cli("config", "set", "answer_silence", "nan")
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr == (
        "The setting answer_silence cannot be 'nan' (in `reflect config set`): it must be "
        "a number from 0.5 to 60.\n")
    assert not paths().settings_file.exists()
    fast = cli("run", "--text", "--rate", "10000", input="stop\n")
    assert fast.returncode == EXIT_BAD_INPUT
    assert fast.stderr == (
        "The setting rate cannot be 10000 (in the option --rate): it must be a whole number "
        "from 80 to 450, or none.\n")
    assert not paths().journal_dir.exists()


# --- the settings file is read as strictly as a guide (issue 9, item 13) -------------------

BILLION_LAUGHS = """\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
voice: [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""  # 9**7 = 4.8 million strings once expanded


def test_a_billion_laughs_settings_file_is_one_short_sentence(cli) -> None:
    path = write_file(BILLION_LAUGHS)
    assert len(path.read_bytes()) < 400
    started = time.monotonic()
    bad = cli("config", "show")
    assert time.monotonic() - started < 10
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr == Msg.SETTINGS_NOT_PLAIN.format(
        path=path, line=1, what=Msg.SETTINGS_ALIAS.format()) + "\n"
    assert len(bad.stderr) < 500 and bad.stdout == ""
    again = cli("config", "set", "voice", "en")  # nor is it read (and expanded) to rewrite it
    assert again.returncode == EXIT_BAD_INPUT and again.stderr == bad.stderr


@pytest.mark.parametrize(("text", "line", "what"), [
    ("rate: 150\nvoice: &v en\n", 2, Msg.SETTINGS_ALIAS.format()),
    ("rate: 150\nvoice: !!binary aGVsbG8=\n", 2, Msg.SETTINGS_TAG.format(tag="!!binary")),
    ("guide: !!python/object:os.system echo\n", 1,
     Msg.SETTINGS_TAG.format(tag="!!python/object:os.system")),
    ("voice: " + "[" * 5000 + "]" * 5000 + "\n", 1, Msg.SETTINGS_TOO_DEEP.format(depth=4)),
])
def test_anchors_tags_and_deep_nesting_are_refused_with_the_line(
        text: str, line: int, what: str) -> None:
    path = write_file(text)
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert str(caught.value) == Msg.SETTINGS_NOT_PLAIN.format(path=path, line=line, what=what)


# --- read-back, sentence pauses and command phrases (issue 12) ----------------------------

COMMANDS_FILE = """\
read_back: always
sentence_pause: 0.8
commands:
  skip: pass it
  stop: [good night, "no more"]
"""


def test_read_back_sentence_pause_and_commands_from_each_source(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().read_back, Settings().sentence_pause, Settings().commands) == (
        "unsure", 0.5, None)
    write_file(COMMANDS_FILE)
    settings = load_settings()
    assert (settings.read_back, settings.sentence_pause) == ("always", 0.8)
    assert settings.commands == {"skip": ["pass it"], "stop": ["good night", "no more"]}
    monkeypatch.setenv("REFLECT_READ_BACK", "never")
    monkeypatch.setenv("REFLECT_SENTENCE_PAUSE", "1.2")
    monkeypatch.setenv("REFLECT_COMMANDS", "redo=once more; add=and another thing")
    settings, sources = settings_with_sources()
    assert (settings.read_back, settings.sentence_pause) == ("never", 1.2)
    assert settings.commands == {"redo": ["once more"], "add": ["and another thing"]}
    assert sources["commands"] == "from the environment variable REFLECT_COMMANDS"
    settings, sources = settings_with_sources({"read_back": "unsure", "sentence_pause": 0.3})
    assert (settings.read_back, settings.sentence_pause) == ("unsure", 0.3)
    assert sources["read_back"] == sources["sentence_pause"] == "from the command line"


@pytest.mark.parametrize("text", [
    "skip=pass it, next one; stop=good night",
    "finish=that is my answer",
    "keep=keep that; redo=one more go, let me start again; add=and also",
])
def test_command_phrases_as_text_round_trip_through_show_value(text: str) -> None:
    value = parse_value("commands", text, "a test")
    assert show_value(value) == text
    assert parse_value("commands", show_value(value), "a test") == value


def test_command_phrases_as_text_are_trimmed_and_merged_by_name() -> None:
    assert parse_value("commands", "  skip = pass it ,next one ", "a test") == {
        "skip": ["pass it", "next one"]}
    assert parse_value("commands", "skip=pass; skip=next one", "a test") == {
        "skip": ["pass", "next one"]}


@pytest.mark.parametrize("text", [
    "commands:\n  skipp: pass it\n",  # no such command
    "commands:\n  skip: []\n",  # no phrase
    "commands:\n  skip: [pass it, 3]\n",  # a phrase that is not text
    "commands:\n  skip: [pass it, \"\"]\n",  # an empty phrase
    "commands:\n  redo: no\n",  # YAML's false, not the word: it must be quoted
    "commands:\n  skip: [\"well, skip\"]\n",  # a phrase the text form could not hold
    "commands: [skip]\n",  # not a mapping
])
def test_bad_command_phrases_in_the_file_are_one_sentence(text: str) -> None:
    path = write_file(text)
    with pytest.raises(ReflectError) as caught:
        load_settings()
    assert caught.value.msg is Msg.SETTING_BAD_VALUE
    assert str(caught.value).startswith("The setting commands cannot be ")
    assert f"(in {path}): it must be {COMMANDS_EXPECTED}." in str(caught.value)


def test_config_set_and_show_the_new_settings(cli) -> None:
    assert cli("config", "set", "read_back", "always").returncode == 0
    assert cli("config", "set", "sentence_pause", "0.75").returncode == 0
    done = cli("config", "set", "commands", "skip=pass it, next one; stop=good night")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "commands is now skip=pass it, next one; stop=good night "
        f"(saved in {paths().settings_file}).")
    shown = cli("config", "show").stdout.splitlines()
    assert "read_back: always (from the settings file)" in shown
    assert "sentence_pause: 0.75 (from the settings file)" in shown
    assert "commands: skip=pass it, next one; stop=good night (from the settings file)" in shown
    assert cli("config", "set", "commands", "none").returncode == 0
    assert "commands: none (from the settings file)" in cli("config", "show").stdout
    bad = cli("config", "set", "read_back", "sometimes")
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stderr == ("The setting read_back cannot be 'sometimes' (in `reflect config "
                          "set`): it must be one of never, unsure, always.\n")


def test_run_takes_read_back_and_sentence_pause_options(cli) -> None:
    shown = cli("run", "--help").stdout
    assert "--read-back {never,unsure,always}" in shown and "--sentence-pause SECONDS" in shown
    slow = cli("resume", "--text", "--sentence-pause", "9")
    assert slow.returncode == EXIT_BAD_INPUT
    assert slow.stderr == ("The setting sentence_pause cannot be 9.0 (in the option "
                           "--sentence-pause): it must be a number from 0.2 to 3.\n")
    odd = cli("run", "--text", "--read-back", "sometimes", input="stop\n")
    assert odd.returncode == EXIT_BAD_INPUT and "invalid choice: 'sometimes'" in odd.stderr
    assert not paths().journal_dir.exists()
