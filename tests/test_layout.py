"""The shape of the code, checked: arrows point down only (the parts never import the
conductor, the app, the CLI or the terminal), the session knows no engine, device or file
code, only the engine modules and the app name Vosk, pyttsx3 and sounddevice, no module
grows past 400 lines, and no decision is taken by comparing an error's message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
TOP = ("assistant.session", "assistant.app", "assistant.cli", "assistant.terminal")
PARTS = ("speech", "journal", "guides")
ENGINES = {"vosk", "pyttsx3", "sounddevice"}
# Where each engine may be named: the module that wraps it, and app.py that chooses it.
ENGINE_HOMES = {
    "vosk": {"assistant.speech.vosk"},
    "pyttsx3": {"assistant.speech.espeak"},
    "sounddevice": {"assistant.speech.devices", "assistant.speech.quiet"},
}
MOST_LINES = 400
CATALOGUE = "assistant.messages"  # the one module allowed to be long: it is data


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("name", [n for n in modules() if within(n, tuple(
    f"assistant.{p}" for p in PARTS))])
def test_no_part_imports_the_conductor_the_app_the_cli_or_the_terminal(name: str) -> None:
    wrong = sorted(i for i in imports(modules()[name]) if within(i, TOP))
    assert wrong == [], f"{name} imports {wrong}"


def test_the_session_imports_no_engine_device_or_file_code() -> None:
    allowed = ("assistant.turns", "assistant.messages", "assistant.guides.schema",
               "assistant.speech.commands")
    found = {i for i in imports(modules()["assistant.session"]) if i.split(".")[0] not in
             ("__future__", "collections", "dataclasses", "datetime", "typing")}
    wrong = sorted(i for i in found if not within(i, allowed))
    assert wrong == [], f"session.py imports {wrong}"


def test_only_the_engine_modules_and_the_app_name_the_engines() -> None:
    wrong = []
    for name, path in modules().items():
        for engine in {i.split(".")[0] for i in imports(path)} & ENGINES:
            if name not in ENGINE_HOMES[engine] | {"assistant.app"}:
                wrong.append(f"{name} imports {engine}")
    assert wrong == []


@pytest.mark.parametrize("name", [n for n in modules() if n != CATALOGUE])
def test_no_module_is_over_400_lines(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, f"{name} has {lines} lines"


def test_no_decision_compares_an_error_message() -> None:
    """Errors are told apart by kind (errors.py), never by `err.msg is Msg.X`."""
    wrong = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and (
                    node.left.attr == "msg"):
                wrong.append(f"{name}:{node.lineno}")
    assert wrong == []
