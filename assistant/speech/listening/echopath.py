"""Does the sound system cancel Reflect's own voice before the microphone hears it?

With barge-in (listening/bargein.py) Reflect listens while it speaks, and tells its own voice
from the user's by loudness (listening/echo.py). PulseAudio's `module-echo-cancel` (PipeWire
has one too, and its PulseAudio server understands the same `pactl` commands) takes most
of that echo out first, and a session records from the default source -- so what counts
is whether the default source is the one such a module makes.

Asked of the local sound server with `pactl` only; no pactl, no server, an error or a slow
answer all mean "no echo canceller found", never an exception.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TIMEOUT = 2.0  # seconds per pactl call: a local server answers in milliseconds
MODULE = "module-echo-cancel"
# The source a module-echo-cancel makes when it is given no source_name: PulseAudio names
# it after its master ("<master>.echo-cancel"), PipeWire's PulseAudio server like this.
PIPEWIRE_SOURCE = "echo-cancel-source"

# Runs `pactl ARGS` and returns what it printed; raises (OSError, CalledProcessError,
# TimeoutExpired, ...) when it cannot.
Runner = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class EchoPath:
    """What the sound server said: its default source (None when no server answered) and
    whether that source is an echo-cancelled one."""

    source: str | None
    cancelled: bool


def pactl(args: Sequence[str]) -> str:
    """The real runner: pactl on this machine's (or PULSE_SERVER's) sound server."""
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                          env={**os.environ, "LC_ALL": "C"}).stdout


def find(run: Runner = pactl) -> EchoPath:
    """The echo path a session's microphone (the default source) takes."""
    try:
        default = _default_source(run)
    except Exception:  # no pactl, no sound server: no echo canceller found
        return EchoPath(None, False)
    if not default:
        return EchoPath(None, False)
    try:
        modules = run(["list", "short", "modules"])
        sources = run(["list", "short", "sources"])
    except Exception:
        return EchoPath(default, False)
    return EchoPath(default, default in cancelled_sources(modules, sources))


def _default_source(run: Runner) -> str:
    try:
        return run(["get-default-source"]).strip()
    except subprocess.CalledProcessError:  # pactl before 15 has no get-default-source
        info = run(["info"])
        found = re.search(r"^Default Source:\s*(\S+)", info, re.MULTILINE)
        return found.group(1) if found else ""


def cancelled_sources(modules: str, sources: str) -> set[str]:
    """The names of the sources loaded echo-cancel modules make, from `pactl list short
    modules` and `pactl list short sources` (tab-separated: index, name, arguments or
    driver, ...). A source counts only while a module-echo-cancel is loaded."""
    loaded = [columns[2] if len(columns) > 2 else ""
              for columns in _rows(modules) if len(columns) > 1 and columns[1] == MODULE]
    if not loaded:
        return set()
    names = {PIPEWIRE_SOURCE}
    for arguments in loaded:
        given = _argument(arguments, "source_name")
        if given:
            names.add(given)
        else:
            master = _argument(arguments, "source_master")
            if master:
                names.add(f"{master}.echo-cancel")
    names.update(columns[1] for columns in _rows(sources)
                 if len(columns) > 2 and MODULE in columns[2])  # PulseAudio's driver
    return names


def _rows(listing: str) -> list[list[str]]:
    return [line.split("\t") for line in listing.splitlines() if line.strip()]


def _argument(arguments: str, key: str) -> str:
    found = re.search(rf"(?:^|\s){key}=(?:\"([^\"]*)\"|'([^']*)'|(\S+))", arguments)
    return next((group for group in found.groups() if group), "") if found else ""
