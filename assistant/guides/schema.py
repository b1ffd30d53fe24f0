"""What a guide is, once loaded and checked: frozen dataclasses the session walks.

Only build.py makes them (from YAML that checks.py has found no problem in), so nothing
else ever sees an unchecked guide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Prompt:
    ask: str
    roles: tuple[str, ...] = ()  # the YAML `for:`; empty means everyone

    def is_for(self, role: str | None) -> bool:
        return not self.roles or role is None or role in self.roles


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    say: str = ""
    prompts: tuple[Prompt, ...] = ()
    pause: float = 0.0

    def prompts_for(self, role: str | None) -> list[tuple[int, Prompt]]:
        """The prompts this role hears, with their index in the step (the journal's key)."""
        return [(i, p) for i, p in enumerate(self.prompts) if p.is_for(role)]


@dataclass(frozen=True)
class Choice:
    id: str
    ask: str
    options: dict[str, tuple[str, ...]]  # option id -> words that pick it (lower case)


@dataclass(frozen=True)
class Guide:
    id: str
    title: str
    steps: tuple[Step, ...]
    language: str = "en"
    source: str = ""
    intro: str = ""
    outro: str = ""
    choose: Choice | None = None
    # command name -> the guide's own phrases for it, added to its language's
    commands: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)
    bundled: bool = field(default=False, compare=False)  # shipped with Reflect, not the user's
    digest: str = field(default="", compare=False)  # of the YAML text: a changed guide shows
