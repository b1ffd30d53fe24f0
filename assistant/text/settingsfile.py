"""The settings file as plain YAML: read into a mapping whose values are left unchecked
(config.py checks them), and written back whole, private, or not at all.

It is read with the guides' strict loader (plainyaml.py): an anchor, an alias, a tag
outside plain data or deep nesting is refused with the line, before anything is built
from it (an alias expanded into an error message once made a 300-byte file a 39 MB
message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml import Mark

from assistant import files
from assistant.errors import BadInput, ReflectError, reason
from assistant.messages import Msg
from assistant.text import plainyaml

MAX_DEPTH = 4  # a mapping of values (2 levels); `commands` is a mapping of lists (4)


def read(path: Path) -> dict[Any, Any]:
    """The settings file as YAML left it (values unchecked); an absent file is an empty one."""
    try:
        root, loader = plainyaml.compose(path.read_text(encoding="utf-8"), MAX_DEPTH)
        if loader.bad_tags:
            node, tag = loader.bad_tags[0]
            raise _not_plain(path, node.start_mark, Msg.SETTINGS_TAG.format(tag=tag))
        raw = loader.construct_document(root) if root is not None else {}
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ReflectError(Msg.UNREADABLE_FILE, path=path, reason=reason(err)) from None
    except plainyaml.Refused as err:
        what = (Msg.SETTINGS_TOO_DEEP.format(depth=MAX_DEPTH) if err.too_deep
                else Msg.SETTINGS_ALIAS.format())
        raise _not_plain(path, err.mark, what) from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, OverflowError) as err:
        # ValueError: a date such as 2024-13-45, or an int of more than 4300 digits
        mark = getattr(err, "problem_mark", None)
        line = Msg.SETTINGS_AT_LINE.format(line=mark.line + 1) if mark else ""
        raise BadInput(Msg.SETTINGS_FILE_BROKEN, path=path, line=line) from None
    if not isinstance(raw, dict):
        raise BadInput(Msg.SETTINGS_FILE_BROKEN, path=path, line="")
    return raw


def _not_plain(path: Path, mark: Mark, what: str) -> ReflectError:
    """The one sentence for YAML that Reflect does not read, naming the file and line."""
    return BadInput(Msg.SETTINGS_NOT_PLAIN, path=path, line=mark.line + 1, what=what)


def write(path: Path, values: dict[Any, Any]) -> None:
    """Replace the file with `values` (0600 in a 0700 dir)."""
    data = yaml.safe_dump(values, sort_keys=False, allow_unicode=True).encode("utf-8")
    try:
        files.private_dir(path.parent)
        files.replace_private(path, data)
    except OSError as err:
        raise ReflectError(Msg.SETTINGS_WRITE_FAILED, path=path, reason=reason(err)) from None
