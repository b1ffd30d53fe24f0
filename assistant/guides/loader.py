"""Loading a guide: its file read safely, its YAML composed strictly, then checked and
built (checks.py, build.py), so nothing else ever sees an unchecked guide.

The YAML is only *composed* by the strict loader of text/plainyaml.py (shared with the
settings file), which refuses anchors, aliases and nesting deeper than a guide needs.
Nothing is constructed from the tree until every tag has been checked.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import yaml

from assistant.errors import BadInput, reason
from assistant.guides import build
from assistant.guides.checks import Check, GuideError, path_to, where
from assistant.guides.schema import Guide
from assistant.messages import Msg
from assistant.text import plainyaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 16  # a guide needs 6 (steps > step > prompts > prompt > for > word)


def read_text(path: Path) -> str:
    """A guide's or article's text; refuses files over 1 MiB or not UTF-8 before parsing."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise BadInput(Msg.UNREADABLE_FILE, path=path, reason=reason(err)) from None
    if len(data) > MAX_BYTES:
        raise BadInput(Msg.GUIDE_FILE_TOO_BIG, path=path)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise BadInput(Msg.GUIDE_NOT_UTF8, path=path,
                       line=data.count(b"\n", 0, err.start) + 1,
                       byte=f"0x{data[err.start]:02x}") from None


def load(path: Path) -> Guide:
    """The guide in `path`. ReflectError (exit 2) if it cannot be read, is over 1 MiB or is
    not UTF-8; GuideError listing every problem if its content is not a valid guide."""
    return parse(read_text(path), str(path), path=path)


def parse(text: str, name: str, *, path: Path | None = None, bundled: bool = False) -> Guide:
    """Validate guide YAML `text` (`name` is the file shown in messages) into a Guide."""
    try:
        root, loader = plainyaml.compose(text, MAX_DEPTH)
    except plainyaml.Refused as err:
        line = err.mark.line + 1
        problem = (where(name, line, "", Msg.GUIDE_TOO_DEEP, depth=MAX_DEPTH) if err.too_deep
                   else where(name, line, "", Msg.GUIDE_ALIAS))
        raise GuideError(name, [problem]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).split("\n")[0]
        line = mark.line + 1 if mark else text.count("\n", 0, getattr(err, "position", 0)) + 1
        raise GuideError(name, [where(name, line, "", Msg.GUIDE_NOT_YAML, problem=problem)]
                         ) from None
    if root is None:
        raise GuideError(name, [where(name, 1, "", Msg.GUIDE_EMPTY_FILE)])
    check = Check(name, loader)
    for node, tag in loader.bad_tags:
        check.fail(node, path_to(root, node) or "", Msg.GUIDE_TAG, tag=tag)
    check.quiet = {id(node) for node, _ in loader.bad_tags}  # the tag says all there is
    built = build.guide(check, root, path, bundled)
    if check.problems or built is None:
        raise GuideError(name, [text for _, text in sorted(check.problems, key=lambda p: p[0])])
    return replace(built, digest=digest(text))


def digest(text: str) -> str:
    """What the journal records of the guide a session follows, to notice it changed."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
