"""What the speech benchmarks share: a sound card to play on, the aplay check for pyttsx3's
own playback (the baseline), measurements in fresh processes, and medians that leave out
runs where nothing was heard.

Not a benchmark itself (scripts/bench runs scripts/bench_*.py only)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOUD = 800  # a sample above this on the speaker's monitor is sound coming out


def require_aplay() -> None:
    """pyttsx3 speaks by itself through aplay; without it the baseline measures nothing."""
    if not shutil.which("aplay"):
        sys.exit("The pyttsx3 say() baseline plays with aplay, which is not installed: "
                 "run scripts/setup (it installs alsa-utils).")


@contextmanager
def sound_card() -> Iterator[None]:
    """The virtual sound card in PULSE_SERVER, or one started for the run and stopped after
    it; its variables are in os.environ meanwhile, so every process started plays on it."""
    if os.environ.get("PULSE_SERVER"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="reflect-bench-audio-")
    script = str(REPO / "scripts" / "virtual-audio")
    env = {**os.environ, "REFLECT_AUDIO_DIR": folder}
    saved = dict(os.environ)
    try:
        lines = subprocess.run([script, "start"], env=env, capture_output=True, text=True,
                               check=True).stdout
        os.environ.update(line.removeprefix("export ").split("=", 1)
                          for line in lines.splitlines())
        yield
    finally:
        subprocess.run([script, "stop"], env=env, check=False)
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)


def in_fresh_process(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run Python with `args` (a script and its arguments, or -c and code) in a new
    process, no engine or device state carried over, and return the JSON its last line
    holds; when it fails, exit with its stderr."""
    done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"a measurement failed ({' '.join(args)[-200:]}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def heard(values: Iterable[float]) -> list[float]:
    """The runs where sound was heard (NaN: none was)."""
    return [v for v in values if v == v]


def median(values: Iterable[float]) -> float | None:
    """The median of the runs where sound was heard; None if there were none."""
    good = heard(values)
    return statistics.median(good) if good else None


def ratio(values: Iterable[float], base: Iterable[float]) -> str:
    """The median of `values` as a multiple of the median of `base` ("n/a" without both)."""
    top, bottom = median(values), median(base)
    return "n/a" if top is None or not bottom else f"{top / bottom:.2f}x"


def longest_quiet(pcm: Any, rate: int) -> float:
    """Seconds of the longest quiet (10 ms blocks with nothing above LOUD) between the
    first and the last sound of mono int16 `pcm`: the pause between two sentences."""
    import numpy as np

    block = rate // 100
    loud = [bool(np.abs(pcm[i:i + block].astype(np.int32)).max() > LOUD)
            for i in range(0, len(pcm) - block + 1, block)]
    if True not in loud:
        return 0.0
    inner = loud[loud.index(True):len(loud) - loud[::-1].index(True)]
    longest = run = 0
    for is_loud in inner:
        run = 0 if is_loud else run + 1
        longest = max(longest, run)
    return longest / 100
