"""Building a Guide from its composed YAML: which keys the guide, its choice, each step
and each prompt hold, and what each value must be, so that schema.py's dataclasses are
only ever made from a tree that checks.py found no problem in.

The checks that span keys are here too: a step id used twice, `for:` naming an option the
guide's `choose:` does not offer, a step with nothing to say or ask.
"""

from __future__ import annotations

import re
from pathlib import Path

from yaml.nodes import MappingNode, Node

from assistant.guides.checks import Check
from assistant.guides.schema import Choice, Guide, Prompt, Step
from assistant.messages import Msg
from assistant.text.commands import NAMES

MAX_PAUSE = 60.0
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")

_GUIDE_KEYS = {"id": True, "title": True, "language": False, "source": False, "intro": False,
               "choose": False, "commands": False, "steps": True, "outro": False}
_CHOOSE_KEYS = {"id": True, "ask": True, "options": True}
_STEP_KEYS = {"id": True, "title": True, "say": False, "prompts": False, "pause": False}
_PROMPT_KEYS = {"ask": True, "for": False}


def guide(check: Check, root: Node, path: Path | None, bundled: bool) -> Guide | None:
    """The guide at `root`, or None when a part it cannot go without is broken; every
    problem found, fatal or not, is in `check`."""
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


def _commands(check: Check, node: Node) -> dict[str, tuple[str, ...]]:
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


def _choice(check: Check, node: Node) -> Choice:
    keys = check.mapping(node, "choose", _CHOOSE_KEYS)
    cid = check.ident(keys["id"], "choose.id") if "id" in keys else None
    ask = check.text(keys["ask"], "choose.ask") if "ask" in keys else None
    options = _options(check, keys["options"]) if "options" in keys else {}
    given = keys.get("options")
    if isinstance(given, MappingNode) and len(given.value) < 2:  # badly named ones count too
        check.fail(given, "choose.options", Msg.GUIDE_FEW_OPTIONS, count=len(given.value))
    return Choice(cid or "", ask or "", options)  # even when broken: `for:` is checked against it


def _options(check: Check, node: Node) -> dict[str, tuple[str, ...]]:
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


def _steps(check: Check, node: Node, choice: Choice | None) -> list[Step]:
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


def _prompt(check: Check, node: Node, path: str, choice: Choice | None) -> Prompt | None:
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
