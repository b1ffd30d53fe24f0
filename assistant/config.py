"""Where Reflect keeps its files, and the user's settings.

`REFLECT_HOME` puts every file Reflect reads or writes under one directory (tests and
portable installs use it); otherwise the platform's user directories are used
(platformdirs gives the right XDG/macOS/Windows locations without hand-written rules).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "reflect"
CHECKOUT = Path(__file__).resolve().parent.parent


def _in_checkout() -> bool:
    """True when running from a source checkout, where models live in `models/`."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "models").is_dir()


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    models_dir: Path

    @property
    def journal_dir(self) -> Path:
        return self.data_dir / "journal"

    @property
    def guides_dir(self) -> Path:
        """The user's own guides, listed beside the bundled ones."""
        return self.data_dir / "guides"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.yaml"


def paths() -> Paths:
    """Resolve the directories now (the environment may change between calls in tests)."""
    home = os.environ.get("REFLECT_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "cache", root / "models")
    import platformdirs

    data = Path(platformdirs.user_data_dir(APP))
    models = CHECKOUT / "models" if _in_checkout() else data / "models"
    return Paths(
        Path(platformdirs.user_config_dir(APP)),
        data,
        Path(platformdirs.user_cache_dir(APP)),
        models,
    )


@dataclass
class Settings:
    """Every setting with its default; the settings file, environment and options override."""

    guide: str = "rebuilding-trust"
    voice: str | None = None
    rate: int | None = None
    volume: float = 1.0
    input_device: str | None = None
    output_device: str | None = None
    model: str | None = None
    answer_silence: float = 3.0
    max_answer: float = 300.0
    tones: bool = True
    encrypt: bool = False
    keep_audio: bool = False
