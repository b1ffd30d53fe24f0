"""Loading guides: YAML turned into schema.py's dataclasses, checked on the way, so
nothing else ever sees an unchecked guide; and finding a guide by id or path.

The YAML is only *composed* by the strict loader of text/plainyaml.py (shared with the
settings file), which refuses anchors, aliases and nesting deeper than a guide needs.
Nothing is constructed from the tree until every tag has been checked, and text is taken
from the scalars as written: YAML's guesses (`no` -> False, `1.10` -> 1.1) change no word.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from assistant import config
from assistant.errors import BadInput, ReflectError, reason
from assistant.guides.schema import Choice, Guide, Prompt, Step
from assistant.messages import Msg
from assistant.text import plainyaml
from assistant.text.commands import NAMES

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 16  # a guide needs 6 (steps > step > prompts > prompt > for > word)
MAX_PAUSE = 60.0
ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # ids end up in file names
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
SUFFIXES = (".yaml", ".yml")
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


# --- reading ----------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """A guide's or article's text; refuses files over 1 MiB or not UTF-8 before parsing."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise BadInput(Msg.UNREADABLE_FILE, path=path,
                           reason=reason(err)) from None
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
        problem = (_where(name, line, "", Msg.GUIDE_TOO_DEEP, depth=MAX_DEPTH) if err.too_deep
                   else _where(name, line, "", Msg.GUIDE_ALIAS))
        raise GuideError(name, [problem]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).split("\n")[0]
        line = mark.line + 1 if mark else text.count("\n", 0, getattr(err, "position", 0)) + 1
        raise GuideError(name, [_where(name, line, "", Msg.GUIDE_NOT_YAML, problem=problem)]
                         ) from None
    if root is None:
        raise GuideError(name, [_where(name, 1, "", Msg.GUIDE_EMPTY_FILE)])
    check = _Check(name, loader)
    for node, tag in loader.bad_tags:
        check.fail(node, _path_to(root, node) or "", Msg.GUIDE_TAG, tag=tag)
    check.quiet = {id(node) for node, _ in loader.bad_tags}  # the tag says all there is
    built = _guide(check, root, path, bundled)
    if check.problems or built is None:
        raise GuideError(name, [text for _, text in sorted(check.problems, key=lambda p: p[0])])
    return replace(built, digest=digest(text))


def digest(text: str) -> str:
    """What the journal records of the guide a session follows, to notice it changed."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- finding ----------------------------------------------------------------------------


def bundled() -> list[Guide]:
    """The guides shipped inside the package (read through importlib, so a wheel works)."""
    folder = resources.files("assistant").joinpath("guides")
    found = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(SUFFIXES):
            where = item if isinstance(item, Path) else None
            found.append(parse(item.read_text("utf-8"), item.name, path=where, bundled=True))
    return found


def available(skipped: list[ReflectError] | None = None) -> list[Guide]:
    """Bundled guides, then the user's own (`bundled` False). Invalid files in the user's
    folder are left out, and their errors appended to `skipped` when it is given."""
    guides = bundled()
    folder = config.paths().guides_dir
    if folder.is_dir():
        for file in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES):
            try:
                guides.append(load(file))
            except ReflectError as err:
                if skipped is not None:
                    skipped.append(err)
    return guides


def find(name_or_path: str) -> Guide:
    """A guide by path, or by id: the user's guides folder first, then the bundled ones."""
    if not ID.fullmatch(name_or_path):
        return load(Path(name_or_path).expanduser())
    folder = config.paths().guides_dir
    for suffix in SUFFIXES:
        named = folder / f"{name_or_path}{suffix}"
        if named.is_file():  # the user's file of that name: show its problems, never skip it
            return load(named)
    for found in sorted(available(), key=lambda g: g.bundled):  # the user's first
        if found.id == name_or_path:
            return found
    if Path(name_or_path).is_file():
        return load(Path(name_or_path))
    raise BadInput(Msg.GUIDE_UNKNOWN, name=name_or_path)


# --- the node tree (composed by assistant.text.plainyaml) ------------------------------------

_NULL, _INT, _FLOAT = plainyaml.NULL, plainyaml.INT, plainyaml.FLOAT


def _path_to(node: Node, target: Node, path: str = "") -> str | None:
    """The key path (`steps[0].say`) from `node` down to `target`, if it is below it."""
    if node is target:
        return path
    children: list[tuple[str, Node]] = []
    if isinstance(node, MappingNode):
        children = [(_join(path, str(k.value)), v) for k, v in node.value]
    elif isinstance(node, SequenceNode):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(node.value)]
    for child_path, child in children:
        found = _path_to(child, target, child_path)
        if found is not None:
            return found
    return None


class _Check:
    """Collects every problem as "file:line: key.path: what is expected"."""

    def __init__(self, name: str, loader: plainyaml.Loader) -> None:
        self.name = name
        self.loader = loader
        self.problems: list[tuple[int, str]] = []  # (line, message): shown in file order
        self.quiet: set[int] = set()  # ids of nodes not to report again

    def fail(self, node: Node, path: str, msg: Msg, **fields: object) -> None:
        if id(node) not in self.quiet:
            line = node.start_mark.line + 1
            self.problems.append((line, _where(self.name, line, path, msg, **fields)))

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


def _where(name: str, line: int, path: str, msg: Msg, **fields: object) -> str:
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


# --- the schema ----------------------------------------------------------------------------

_GUIDE_KEYS = {"id": True, "title": True, "language": False, "source": False, "intro": False,
               "choose": False, "commands": False, "steps": True, "outro": False}
_CHOOSE_KEYS = {"id": True, "ask": True, "options": True}
_STEP_KEYS = {"id": True, "title": True, "say": False, "prompts": False, "pause": False}
_PROMPT_KEYS = {"ask": True, "for": False}


def _guide(check: _Check, root: Node, path: Path | None, bundled: bool) -> Guide | None:
    top = check.mapping(root, "", _GUIDE_KEYS)
    gid = check.ident(top["id"], "id") if "id" in top else None
    title = check.text(top["title"], "title") if "title" in top else None
    texts = {key: check.text(top[key], key) or "" for key in ("source", "intro", "outro")
             if key in top}
    language = "en"
    if "language" in top:
        language = check.text(top["language"], "language") or language
        if not LANGUAGE.fullmatch(language):
            check.fail(top["language"], "language", Msg.GUIDE_BAD_LANGUAGE, value=language)
    choice = _choice(check, top["choose"]) if "choose" in top else None
    commands = _commands(check, top["commands"]) if "commands" in top else {}
    steps = _steps(check, top["steps"], choice) if "steps" in top else []
    if gid is None or title is None or not steps:
        return None
    return Guide(id=gid, title=title, steps=tuple(steps), language=language, choose=choice,
                 commands=commands, path=path, bundled=bundled, **texts)


def _commands(check: _Check, node: Node) -> dict[str, tuple[str, ...]]:
    """Command name -> the guide's phrases for it (one, or a list), added to the language's
    by `Commands(extra=...)`, which also finds a phrase given to two commands."""
    found = check.mapping(node, "commands", dict.fromkeys(NAMES, False))
    commands = {}
    for name, value in found.items():
        path = f"commands.{name}"
        items = check.items(value, path, Msg.GUIDE_NO_PHRASES, one=True)
        said = [check.text(item, path if item is value else f"{path}[{i}]")
                for i, item in enumerate(items)]
        commands[name] = tuple(phrase for phrase in said if phrase)
    return commands


def _choice(check: _Check, node: Node) -> Choice:
    keys = check.mapping(node, "choose", _CHOOSE_KEYS)
    cid = check.ident(keys["id"], "choose.id") if "id" in keys else None
    ask = check.text(keys["ask"], "choose.ask") if "ask" in keys else None
    options = _options(check, keys["options"]) if "options" in keys else {}
    given = keys.get("options")
    if isinstance(given, MappingNode) and len(given.value) < 2:  # badly named ones count too
        check.fail(given, "choose.options", Msg.GUIDE_FEW_OPTIONS, count=len(given.value))
    return Choice(cid or "", ask or "", options)  # even when broken: `for:` is checked against it


def _options(check: _Check, node: Node) -> dict[str, tuple[str, ...]]:
    """Option id -> the words that pick it, lower-cased (transcripts are lower case)."""
    if not isinstance(node, MappingNode):
        check.expected(node, "choose.options", Msg.GUIDE_A_MAPPING)
        return {}
    options: dict[str, tuple[str, ...]] = {}
    for key_node, value in node.value:
        option = check.ident(key_node, "choose.options")
        if option is None:
            continue
        path = f"choose.options.{option}"
        if option in options:
            check.fail(key_node, path, Msg.GUIDE_DUPLICATE_KEY, key=option)
            continue
        items = check.items(value, path, Msg.GUIDE_NO_WORDS)
        said = [check.text(item, f"{path}[{i}]") for i, item in enumerate(items)]
        options[option] = tuple(" ".join(w.lower().split()) for w in said if w)
    return options


def _steps(check: _Check, node: Node, choice: Choice | None) -> list[Step]:
    items = check.items(node, "steps", Msg.GUIDE_NO_STEPS)
    steps: list[Step] = []
    first: dict[str, int] = {}  # step id -> index where it first appears
    for n, item in enumerate(items):
        path = f"steps[{n}]"
        keys = check.mapping(item, path, _STEP_KEYS)
        sid = check.ident(keys["id"], f"{path}.id") if "id" in keys else None
        if sid is not None and sid in first:
            check.fail(keys["id"], f"{path}.id", Msg.GUIDE_DUPLICATE_STEP, id=sid,
                       first=first[sid])
        elif sid is not None:
            first[sid] = n
        title = check.text(keys["title"], f"{path}.title") if "title" in keys else None
        say = check.text(keys["say"], f"{path}.say") if "say" in keys else None
        prompts = [_prompt(check, p, f"{path}.prompts[{i}]", choice)
                   for i, p in enumerate(check.sequence(keys["prompts"], f"{path}.prompts"))
                   ] if "prompts" in keys else []
        pause = check.number(keys["pause"], f"{path}.pause", MAX_PAUSE) if "pause" in keys else 0.0
        if isinstance(item, MappingNode) and "say" not in keys and not prompts:
            check.fail(item, path, Msg.GUIDE_EMPTY_STEP)
        if sid and title and None not in prompts and pause is not None:
            steps.append(Step(sid, title, say or "", tuple(p for p in prompts if p), pause))
    return steps


def _prompt(check: _Check, node: Node, path: str, choice: Choice | None) -> Prompt | None:
    keys = check.mapping(node, path, _PROMPT_KEYS)
    ask = check.text(keys["ask"], f"{path}.ask") if "ask" in keys else None
    roles: list[str] = []
    if "for" in keys:
        # one option id, or a list of them
        for item in check.items(keys["for"], f"{path}.for", Msg.GUIDE_NO_ROLES, one=True):
            role = check.ident(item, f"{path}.for")
            if role is None:
                continue
            if choice is None:
                check.fail(item, f"{path}.for", Msg.GUIDE_NO_CHOOSE, option=role)
            elif choice.options and role not in choice.options:  # none: reported above
                check.fail(item, f"{path}.for", Msg.GUIDE_UNKNOWN_OPTION, option=role,
                           options=", ".join(choice.options))
            roles.append(role)
    return None if ask is None else Prompt(ask, tuple(roles))
