"""A setting's value as a user writes it, turned into its type and back: from YAML
(already typed), from text (an environment variable, `config set`) or from an option, and
shown the way `config set` takes it back.

Only the types are known here (bool, int, float, text, and command phrases as
`skip=pass it, next one; stop=good night`); which setting has which type, and its range
or choices, is config.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assistant.messages import Msg
from assistant.text.commands import NAMES, words

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"", "none", "null", "default"}
# Splits the text form of `commands` (`skip=pass it, next one; stop=good night`), so a
# phrase may not hold them; punctuation means nothing to the command matcher anyway.
_SEPARATORS = re.compile("[,;=]")


def _boolean(value: Any, text: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if text is not None and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    raise ValueError


def _whole(value: Any, text: str | None) -> int:
    parsed = int(text) if text is not None else value
    if isinstance(parsed, bool) or not isinstance(parsed, int):  # YAML's true is an int
        raise ValueError
    return parsed


def _number(value: Any, text: str | None) -> float:
    parsed = float(text) if text is not None else value
    if isinstance(parsed, bool) or not isinstance(parsed, (int, float)):
        raise ValueError
    return float(parsed)  # a 400-digit YAML int overflows here


def _text(value: Any, text: str | None) -> str:
    """Text; a bare YAML number is fine for a device index."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError
    parsed = text if text is not None else str(value)
    if not parsed:
        raise ValueError
    return parsed


def _phrases(value: Any, text: str | None) -> dict[str, list[str]] | None:
    """Command name -> extra phrases, from the file's mapping (a phrase or a list of them
    per name) or from the text form `skip=pass it, next one; stop=good night`."""
    if text is not None:
        pairs = _phrase_pairs(text)
    elif isinstance(value, dict):
        pairs = [(name, [said] if isinstance(said, str) else said)
                 for name, said in value.items()]
    else:
        raise ValueError
    table: dict[str, list[str]] = {}
    for name, said in pairs:
        if name not in NAMES or not isinstance(said, list) or not said:
            raise ValueError
        for phrase in said:
            if not isinstance(phrase, str) or not words(phrase) or _SEPARATORS.search(phrase):
                raise ValueError
        table.setdefault(name, []).extend(phrase.strip() for phrase in said)
    return table or None


def _phrase_pairs(text: str) -> list[tuple[str, Any]]:
    """`skip=pass it, next one; stop=good night` as (name, phrases) pairs, unchecked."""
    pairs = []
    for part in text.split(";"):
        name, equals, said = part.partition("=")
        if not equals:
            raise ValueError
        pairs.append((name.strip(), said.split(",")))
    return pairs


_PARSERS: dict[type, Callable[[Any, str | None], Any]] = {
    bool: _boolean, int: _whole, float: _number, str: _text, dict: _phrases}


def typed(kind: type, optional: bool, value: Any) -> Any:
    """`value` as a `kind` (bool, int, float, str, or dict for command phrases); None when
    it is empty and may be. ValueError (or OverflowError) for anything else."""
    text = value.strip() if isinstance(value, str) else None
    if value is None or (optional and text is not None and text.lower() in _NONE):
        if optional:
            return None
        raise ValueError
    return _PARSERS[kind](value, text)


def show_value(value: Any) -> str:
    """A value as `config set` would take it back: none, true/false, numbers, text, and
    command phrases as `skip=pass it, next one; stop=good night`."""
    if value is None:
        return Msg.SETTING_NONE.format()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{name}={', '.join(said)}" for name, said in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)
