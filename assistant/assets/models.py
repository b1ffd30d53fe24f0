"""Vosk speech models: the catalogue Reflect can download, a tag's language in Vosk's
spelling, and what a complete model folder holds. Which models are installed is
installedmodels.py's, which one a run uses modelchoice.py's, and the install itself
modelinstall.py's.

The sizes and md5 sums below are the ones the official model list publishes
(https://alphacephei.com/vosk/models, model-list.json), cross-checked against public
projects that pin them; an entry without them is downloaded with a notice and only its
layout is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import BadInput
from assistant.messages import Msg


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


def language_of(name: str) -> str:
    """A model's language: from the catalogue, else from Vosk's naming scheme."""
    for info in CATALOGUE:
        if info.name == name:
            return info.language
    match = re.match(r"vosk-model-(?:small-)?([a-z]{2,3}(?:-[a-z]{2})?)-", name)
    return match.group(1) if match else "?"


def suggested(language: str, catalogue: Iterable[ModelInfo] = CATALOGUE) -> ModelInfo | None:
    """The catalogue's model for a language: the exact tag if listed, else the first."""
    same = [i for i in catalogue if primary(i.language) == primary(language)]
    exact = [i for i in same if i.language == language.lower().replace("_", "-")]
    return (exact or same or [None])[0]


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
