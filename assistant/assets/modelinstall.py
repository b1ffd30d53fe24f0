"""Installing and removing Vosk models: an install either puts a complete, verified model
in place or leaves nothing behind but a resumable part (assets/download.py fetches and
checks the zip; this module unpacks it), and a removal never leaves half a model under
its name."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import TextIO

from assistant import files
from assistant.assets.download import TIMEOUT, DiskTrouble, Published, fetch, human_size
from assistant.assets.installedmodels import package_models
from assistant.assets.models import ModelInfo, layout_problem
from assistant.config import paths
from assistant.errors import BadInput, ReflectError, reason
from assistant.messages import Msg

CHUNK = 1 << 16


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


def remove(name: str) -> Path:
    """Delete a model folder, complete or not (and any partial download of it)."""
    package = next((m for m in package_models() if m.name == name), None)
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
