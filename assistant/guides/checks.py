"""Checking a guide's YAML node tree, one node at a time, collecting every problem as
"file:line: key.path: what is expected" instead of stopping at the first, so one run of
`guides check` shows them all; and GuideError, which reports them.

What a node must be (a mapping with known keys, a list, plain printable text, an id, a
number of seconds in range) is checked here; which keys a guide, step or prompt holds is
build.py's, which asks these checks. Text is taken from the scalars as written: YAML's
guesses (`no` -> False, `1.10` -> 1.1) change no word.
"""

from __future__ import annotations

import difflib
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.text import plainyaml

ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # ids end up in file names
# Characters YAML will not read and a terminal or speech engine cannot take.
UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class GuideError(BadInput):
    """A guide that cannot be used; `problems` holds every one found, each as
    "file:line: key.path: what is expected", so one run of `guides check` shows them all."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        count = Msg.GUIDE_ONE_PROBLEM if len(problems) == 1 else Msg.GUIDE_PROBLEMS
        super().__init__(Msg.GUIDE_INVALID, path=name,
                         count=count.format(count=len(problems)), problems="\n".join(problems))


_NULL, _INT, _FLOAT = plainyaml.NULL, plainyaml.INT, plainyaml.FLOAT


def path_to(node: Node, target: Node, path: str = "") -> str | None:
    """The key path (`steps[0].say`) from `node` down to `target`, if it is below it."""
    if node is target:
        return path
    children: list[tuple[str, Node]] = []
    if isinstance(node, MappingNode):
        children = [(_join(path, str(k.value)), v) for k, v in node.value]
    elif isinstance(node, SequenceNode):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(node.value)]
    for child_path, child in children:
        found = path_to(child, target, child_path)
        if found is not None:
            return found
    return None


class Check:
    """Collects every problem as "file:line: key.path: what is expected"."""

    def __init__(self, name: str, loader: plainyaml.Loader) -> None:
        self.name = name
        self.loader = loader
        self.problems: list[tuple[int, str]] = []  # (line, message): shown in file order
        self.quiet: set[int] = set()  # ids of nodes not to report again

    def fail(self, node: Node, path: str, msg: Msg, **fields: object) -> None:
        if id(node) not in self.quiet:
            line = node.start_mark.line + 1
            self.problems.append((line, where(self.name, line, path, msg, **fields)))

    def expected(self, node: Node, path: str, what: Msg) -> None:
        self.fail(node, path, Msg.GUIDE_EXPECTED, what=what.format(), found=_found(node))

    def mapping(self, node: Node, path: str, keys: dict[str, bool]) -> dict[str, Node]:
        """The known keys' value nodes; unknown, duplicate and missing keys are problems.
        `keys` maps each allowed key to whether it is required."""
        if not isinstance(node, MappingNode):
            self.expected(node, path, Msg.GUIDE_A_MAPPING)
            return {}
        found: dict[str, Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            if key in found:
                self.fail(key_node, _join(path, key), Msg.GUIDE_DUPLICATE_KEY, key=key)
            elif key in keys:
                found[key] = value
            else:
                close = difflib.get_close_matches(key, keys, n=1)
                hint = Msg.GUIDE_DID_YOU_MEAN.format(key=close[0]) if close else ""
                self.fail(key_node, path, Msg.GUIDE_UNKNOWN_KEY, key=key, hint=hint,
                          allowed=", ".join(keys))
        for key, required in keys.items():
            if required and key not in found:
                self.fail(node, path, Msg.GUIDE_MISSING_KEY, key=key)
        return found

    def sequence(self, node: Node, path: str) -> list[Node]:
        if isinstance(node, SequenceNode):
            return node.value
        self.expected(node, path, Msg.GUIDE_A_LIST)
        return []

    def items(self, node: Node, path: str, empty: Msg, one: bool = False) -> list[Node]:
        """A list's items, an empty one reported as `empty`; with `one`, a single value
        may stand for a list of one (`for: calm`)."""
        if one and isinstance(node, ScalarNode):
            return [node]
        items = self.sequence(node, path)
        if isinstance(node, SequenceNode) and not items:
            self.fail(node, path, empty)
        return items

    def text(self, node: Node, path: str) -> str | None:
        """A scalar's text as written; YAML's guess at its type is ignored."""
        if not isinstance(node, ScalarNode):
            self.expected(node, path, Msg.GUIDE_A_TEXT)
            return None
        if node.tag == _NULL or not node.value.strip():
            self.fail(node, path, Msg.GUIDE_EMPTY_TEXT)
            return None
        odd = UNPRINTABLE.search(node.value)  # escapes like "\ud800" get past the reader
        if odd:
            self.fail(node, path, Msg.GUIDE_BAD_CHARACTER, code=f"U+{ord(odd.group()):04X}")
            return None
        return node.value.strip()

    def ident(self, node: Node, path: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not ID.fullmatch(value):
            self.fail(node, path, Msg.GUIDE_BAD_ID, value=value)
            return None
        return value

    def number(self, node: Node, path: str, most: float) -> float | None:
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT):
            try:  # "0x_", "!!int abc" or 5000 digits look like numbers to the resolver
                value = float(self.loader.construct_object(node))
            except (ValueError, OverflowError, yaml.YAMLError):
                value = -1.0
            if 0 <= value <= most:
                return value
        self.fail(node, path, Msg.GUIDE_BAD_SECONDS, most=f"{most:g}", found=_found(node))
        return None


def where(name: str, line: int, path: str, msg: Msg, **fields: object) -> str:
    """One problem as GuideError lists it: "file:line: key.path: what is expected"."""
    return f"{name}:{line}: " + (f"{path}: " if path else "") + msg.format(**fields)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _found(node: Node) -> str:
    if isinstance(node, MappingNode):
        return Msg.GUIDE_A_MAPPING.format()
    if isinstance(node, SequenceNode):
        return Msg.GUIDE_A_LIST.format()
    if node.tag == _NULL or not str(node.value).strip():
        return Msg.GUIDE_NOTHING.format()
    value = str(node.value)
    return f"`{value[:40]}...`" if len(value) > 40 else f"`{value}`"

