"""Finding guides: the bundled ones (read through importlib, so a wheel works), the user's
own in their guides folder, and one guide by id or path, the user's before the bundled."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from assistant import config
from assistant.errors import BadInput, ReflectError
from assistant.guides.checks import ID
from assistant.guides.loader import load, parse
from assistant.guides.schema import Guide
from assistant.messages import Msg

SUFFIXES = (".yaml", ".yml")


def bundled() -> list[Guide]:
    """The guides shipped inside the package (read through importlib, so a wheel works),
    by id: a guide's translations (its id and the language) follow it."""
    folder = resources.files("assistant").joinpath("guides")
    found = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name.rsplit(".", 1)[0]):
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
