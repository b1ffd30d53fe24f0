"""Speaking figures: how long from a say() request until sound comes out of the speaker.

Four ways of speaking the same guide sentences, each in a fresh process, measured on the
virtual sound card (a capture of the speaker's monitor tells when sound really comes out):
  prepared     Voice, text rendered ahead by prepare() (in memory): only playback is left
  disk cache   Voice in a new process, text rendered by an earlier run (read from disk)
  on demand    Voice, nothing ahead: pyttsx3 renders when say() is called
  pyttsx3      the baseline: pyttsx3's own engine.say() + runAndWait(); on Linux it
               writes a temp WAV and runs `aplay`, so this includes starting aplay
Columns: request -> first sound, request -> say() returns minus the speech's length (the
time spent on anything but speaking; negative when say() returns while the sound server
still plays the last few milliseconds), each as median (lowest..highest), and the first
figure's median as a ratio to the pyttsx3 baseline. Sound onsets are read from 10 ms
capture blocks, so differences below about 10 ms are noise.

Starts its own virtual sound card unless PULSE_SERVER is set.
Usage: scripts/bench speech [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import REPO, heard, ratio, require_aplay, sound_card

sys.path.insert(0, str(REPO))

TEXTS = [
    "Take a moment to notice how you are sitting, and how your breath moves.",
    "Think of one small promise that was kept this week, by you or by someone else.",
    "What would you like the other person to understand about that day?",
    "When you are ready, say what comes to mind; there is no wrong answer.",
    "Picture the next time you meet, and what you hope will be different.",
]
CASES = ("prepared", "disk cache", "on demand", "pyttsx3")


def measure(case: str, cache: Path, runs: int) -> list[dict[str, float]]:
    """In this process: speak `runs` texts the `case` way; first-sound and overhead times."""
    os.environ["PULSE_SOURCE"] = "speaker.monitor"  # the capture below hears the speaker
    from bench_listen import Monitor  # the same speaker capture as the listening bench

    from assistant.config import Settings
    from assistant.speech import devices

    monitor = Monitor()
    monitor.stream.start()
    texts = [TEXTS[i % len(TEXTS)] + f" ({case}, {i})" for i in range(runs)]
    if case == "disk cache":  # the texts of the earlier "prepared" run
        texts = [TEXTS[i % len(TEXTS)] + f" (prepared, {i})" for i in range(runs)]
    if case == "pyttsx3":
        import pyttsx3

        engine = pyttsx3.init()
        engine.say("")  # pyttsx3 2.99's first runAndWait() returns before anything is said,
        engine.runAndWait()  # and that sound then plays during the next one

        def say(text: str) -> None:
            engine.say(text)
            engine.runAndWait()
    else:
        from assistant.speech.voice import Voice

        voice = Voice(devices.Speaker(None), Settings(tones=False),
                      None if case == "on demand" else cache)
        if case == "prepared":
            voice.prepare(texts)
            for text in texts:
                voice.render(text)  # wait until they are all ready
        say = voice.say
    timings = []
    for text in texts:
        time.sleep(0.5)
        asked = time.monotonic()
        say(text)
        timings.append((asked, time.monotonic()))
    time.sleep(0.3)
    monitor.stream.stop()
    out = []
    for (asked, returned), length in zip(timings, lengths(texts, cache.parent), strict=True):
        heard = monitor.onset(asked)
        out.append({"sound": (heard - asked) if heard else float("nan"),
                    "overhead": returned - asked - length})
    return out


def lengths(texts: list[str], tmp: Path) -> list[float]:
    """Seconds of speech in each text as Reflect renders it (after the measurement: once
    pyttsx3 has rendered to a file, its say() would write files instead of speaking)."""
    from assistant.config import Settings
    from assistant.speech import audio
    from assistant.speech.voice import Voice

    voice = Voice(audio.SpeakerFile(tmp / "lengths.wav"), Settings(), None)
    return [len(pcm) / rate for pcm, rate in map(voice.render, texts)]


def ms(values: list[float]) -> str:
    """Median (lowest..highest) in milliseconds; runs where no sound was heard are left out."""
    good = [1000 * v for v in heard(values)]
    if not good:
        return "n/a"
    return f"{statistics.median(good):.0f} ({min(good):.0f}..{max(good):.0f}) ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.cache, args.runs)))
        return 0
    require_aplay()
    with sound_card(), tempfile.TemporaryDirectory(prefix="reflect-bench-") as tmp:
        rows = {}
        for case in CASES:
            done = subprocess.run(
                [sys.executable, __file__, "--case", case, "--runs", str(args.runs),
                 "--cache", str(Path(tmp) / "speech")],
                capture_output=True, text=True, check=True)
            rows[case] = json.loads(done.stdout.strip().splitlines()[-1])
    base = [r["sound"] for r in rows["pyttsx3"]]
    print(f"From say() to sound at the speaker ({args.runs} sentences each):")
    print(f"{'how':<14}{'request -> sound':>22}{'time not speaking':>24}{'vs pyttsx3':>12}")
    for case, runs in rows.items():
        sound = [r["sound"] for r in runs]
        print(f"{case:<14}{ms(sound):>22}{ms([r['overhead'] for r in runs]):>24}"
              f"{ratio(sound, base):>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
