"""Where Reflect keeps its files, and the user's settings: each one's type, default, range
and choices, and which value is in force (default < file < environment < option).

`REFLECT_HOME` puts every file Reflect reads or writes under one directory (tests and
portable installs use it); otherwise the platform's user directories are used
(platformdirs gives the right XDG/macOS/Windows locations without hand-written rules).
How a value is written as text is text/settingvalues.py's, and how the settings file is
read and written text/settingsfile.py's; this module is their one public face.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.text import settingvalues
from assistant.text.commands import NAMES
from assistant.text.settingvalues import show_value

__all__ = ["APP", "CHECKOUT", "CHOICES", "Paths", "Settings", "check_key", "env_name",
           "load_settings", "parse_value", "paths", "read_settings_file", "save_setting",
           "setting_keys", "settings_with_sources", "show_value"]

APP = "reflect"
CHECKOUT = Path(__file__).resolve().parent.parent


def _in_checkout() -> bool:
    """True when running from a source checkout, where models live in `models/`."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "models").is_dir()


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    models_dir: Path

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def voices_dir(self) -> Path:
        """Piper voices that `reflect voices download` installed."""
        return self.data_dir / "voices"

    @property
    def guides_dir(self) -> Path:
        """The user's own guides, listed beside the bundled ones."""
        return self.data_dir / "guides"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.yaml"


def paths() -> Paths:
    """Resolve the directories now (the environment may change between calls in tests)."""
    home = os.environ.get("REFLECT_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "cache", root / "models")
    import platformdirs

    data = Path(platformdirs.user_data_dir(APP))
    models = CHECKOUT / "models" if _in_checkout() else data / "models"
    return Paths(
        Path(platformdirs.user_config_dir(APP)),
        data,
        Path(platformdirs.user_cache_dir(APP)),
        models,
    )


@dataclass
class Settings:
    """Every setting with its default; the settings file, environment and options override."""

    guide: str = "rebuilding-trust"
    voice: str | None = None
    rate: int | None = None
    volume: float = 1.0
    input_device: str | None = None
    output_device: str | None = None
    model: str | None = None
    answer_silence: float = 3.0
    max_answer: float = 300.0
    sentence_pause: float = 0.5  # a pause between words this long ends a sentence
    read_back: str = "unsure"  # say what was heard: never, when unsure, or always
    commands: dict[str, list[str]] | None = None  # extra phrases per command name
    tones: bool = True
    # While Reflect speaks, listen for commands (stop, skip, repeat...) and act at once; off
    # is half-duplex: nothing is heard until Reflect has finished speaking.
    barge_in: bool = True
    encrypt: bool = False
    model_url: str = "https://alphacephei.com/vosk/models"
    voice_url: str = "https://huggingface.co/rhasspy/piper-voices/resolve/main"


# Every number has a finite range, checked wherever it comes from: without one, `nan`, `inf`
# or 1e308 seconds of silence never end an answer, and a rate espeak-ng cannot speak at
# hangs pyttsx3.
_LIMITS: dict[str, tuple[float, float]] = {
    "volume": (0.0, 1.0),  # pyttsx3's own scale: silent to full
    "rate": (80, 450),  # espeak-ng's own range, words per minute (espeakRATE_MINIMUM/MAXIMUM)
    # Under half a second, the pause for a breath between words would end an answer; over
    # a minute of quiet, nobody is still answering.
    "answer_silence": (0.5, 60.0),
    # Long enough for a sentence; at most an hour of speech held as one answer.
    "max_answer": (5.0, 3600.0),
    # Under 0.2 s every breath between words would split a sentence; over 3 s (the default
    # answer_silence) the answer would already have ended on that silence.
    "sentence_pause": (0.2, 3.0),
}
# The values a text setting may take, checked wherever it comes from (options offer them).
CHOICES: dict[str, tuple[str, ...]] = {"read_back": ("never", "unsure", "always")}


def _kinds() -> dict[str, tuple[type, bool]]:
    """Each setting's base type and whether it may be empty, read from the dataclass."""
    hints = get_type_hints(Settings)
    kinds = {}
    for f in fields(Settings):
        hint = hints[f.name]
        args = [a for a in getattr(hint, "__args__", ()) if a is not type(None)]
        base = args[0] if args else hint
        kinds[f.name] = (get_origin(base) or base, bool(args))
    return kinds


def _expected(key: str) -> str:
    kind, optional = _kinds()[key]
    if key in CHOICES:
        text = Msg.EXPECT_ONE_OF.format(choices=", ".join(CHOICES[key]))
    elif kind is dict:
        text = Msg.EXPECT_COMMANDS.format(names=", ".join(NAMES))
    else:
        words = {bool: Msg.EXPECT_BOOL, int: Msg.EXPECT_INT, float: Msg.EXPECT_FLOAT,
                 str: Msg.EXPECT_TEXT}
        text = words[kind].format()
    if key in _LIMITS:
        low, high = _LIMITS[key]
        text = Msg.EXPECT_RANGE.format(what=text, low=f"{low:g}", high=f"{high:g}")
    return Msg.EXPECT_OR_NONE.format(what=text) if optional else text


def setting_keys() -> list[str]:
    return [f.name for f in fields(Settings)]


def check_key(key: str, where: str, fix: str = "") -> str:
    """The key itself, or a ReflectError naming the closest real key."""
    if key in setting_keys():
        return key
    close = difflib.get_close_matches(key, setting_keys(), n=1)
    hint = Msg.SETTING_HINT.format(key=close[0]) if close else ""
    raise BadInput(Msg.SETTING_UNKNOWN, key=key, where=where,
                   keys=", ".join(setting_keys()), hint=hint, fix=fix)


def parse_value(key: str, value: Any, where: str, fix: str = "") -> Any:
    """Turn a value from YAML (already typed), from text (environment, `config set`) or
    from an option into the setting's type; anything else -- a number out of its range,
    `nan` and `inf` included, text that is not one of its CHOICES -- is reported with the
    key, what is expected and `fix`, the way to put it right where it came from."""
    kind, optional = _kinds()[key]
    try:
        parsed = settingvalues.typed(kind, optional, value)
        if parsed is None:  # an optional setting left empty
            return None
        if kind in (int, float):
            low, high = _LIMITS[key]
            if not low <= parsed <= high:  # nan is within no range, nor is inf
                raise ValueError
        if key in CHOICES and parsed not in CHOICES[key]:
            raise ValueError
    except (ValueError, OverflowError):
        raise BadInput(Msg.SETTING_BAD_VALUE, key=key, value=value, where=where,
                       expected=_expected(key), fix=fix) from None
    return parsed


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The settings file's values, checked."""
    from assistant.text import settingsfile  # here: `reflect --help` reads CHOICES without yaml

    path = path or paths().settings_file
    where = str(path)
    checked = {}
    for k, v in settingsfile.read(path).items():
        key = check_key(str(k), where, Msg.SETTING_FIX_UNKNOWN_IN_FILE.format(path=path))
        checked[key] = parse_value(key, v, where,
                                   Msg.SETTING_FIX_FILE.format(key=key, path=path))
    return checked


def env_name(key: str) -> str:
    return f"REFLECT_{key.upper()}"


def settings_with_sources(overrides: dict[str, Any] | None = None
                          ) -> tuple[Settings, dict[str, str]]:
    """Settings and where each value came from: default < file < environment < option."""
    values: dict[str, Any] = {}
    sources = dict.fromkeys(setting_keys(), Msg.SETTING_FROM_DEFAULT.format())
    for key, value in read_settings_file().items():
        values[key], sources[key] = value, Msg.SETTING_FROM_FILE.format()
    for key in setting_keys():
        name = env_name(key)
        if name in os.environ:
            values[key] = parse_value(key, os.environ[name], name,
                                      Msg.SETTING_FIX_ENV.format(name=name))
            sources[key] = Msg.SETTING_FROM_ENV.format(name=name)
    for key, value in (overrides or {}).items():
        if value is not None:
            if key not in sources:
                raise KeyError(key)  # options are wired in code: a wrong name is a bug
            values[key] = parse_value(key, value, Msg.SETTING_WHERE_OPTION.format(
                option="--" + key.replace("_", "-")))
            sources[key] = Msg.SETTING_FROM_OPTION.format()
    return replace(Settings(), **values), sources


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The settings in force now; `overrides` are command-line options (None = not given)."""
    return settings_with_sources(overrides)[0]


def save_setting(key: str, text: str) -> Any:
    """Check and store one value in the settings file (0600 in a 0700 dir); returns it."""
    from assistant.text import settingsfile

    where = Msg.SETTING_WHERE_COMMAND.format()
    key = check_key(key, where)
    value = parse_value(key, text, where)
    path = paths().settings_file
    # The rest of the file is kept as it is, unchecked: `config set` is how a bad value in
    # it gets fixed, so a bad value elsewhere must not stop it.
    current = {k: v for k, v in settingsfile.read(path).items() if str(k) != key}
    current[key] = value
    settingsfile.write(path, current)
    return value
