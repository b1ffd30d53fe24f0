"""Settings: the YAML file, REFLECT_* variables and options, in that order of strength,
every value checked against its type; `reflect config path | show | set`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from assistant.config import (
    Settings,
    load_settings,
    paths,
    save_setting,
    settings_with_sources,
)
from assistant.messages import EXIT_BAD_INPUT, Msg, ReflectError


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
    ("rate", "fast", "a whole number of at least 1, or none"),
    ("rate", "1.5", "a whole number of at least 1, or none"),
    ("tones", "maybe", "true or false"),
    ("answer_silence", "0", "a number of at least 0.1"),
    ("encrypt", "none", "true or false"),
    ("guide", " ", "a piece of text"),
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
    assert "a number of at least 0.1" in str(caught.value)


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
        "a number of at least 1.")
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
