"""Which speech model a run uses: --model, REFLECT_MODEL or the model setting (a Vosk
folder or name, or `whisper:NAME`) when given, else the best installed model for the
guide's language; and, when there is none, the one sentence that says what to install."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.assets import whispers
from assistant.assets.download import human_size
from assistant.assets.installedmodels import for_language, installed
from assistant.assets.models import layout_problem, primary, suggested
from assistant.config import Settings
from assistant.errors import BadInput, Unavailable
from assistant.messages import Msg


def _explicit(value: str, origin: str) -> Path:
    """The model folder a user named (a path, or an installed model's name), checked."""
    path = Path(value).expanduser()
    if not path.exists() and "/" not in value:  # a bare name: an installed model
        path = next((m.path for m in installed() if m.name == value), path)
    if not path.exists():
        raise BadInput(Msg.MODEL_PATH_MISSING, path=path, origin=origin)
    missing = layout_problem(path)
    if missing:
        raise BadInput(Msg.MODEL_NOT_A_MODEL, path=path, origin=origin, missing=missing)
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
