"""Benchmark `reflect journal search` over a large generated journal.

Generates SESSIONS x ANSWERS entries (default 200 x 50 = 10,000) in the journal's own format
under a temporary REFLECT_HOME, then times, side by side in the same run:
  - `reflect journal search WORD` end to end (a fresh process, as a user runs it),
  - Journal.search in-process (the parsing and matching alone),
  - the baseline `grep -ri WORD` over the same files,
for a rare word and for a common one, and prints each median with its ratio to the
baseline. The target: end to end < 0.5 s for both.

Usage: scripts/bench journal [--sessions N] [--answers N] [--runs N] [--encrypted]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.config import paths  # noqa: E402
from assistant.journal import Entry, Journal, Mark  # noqa: E402

WORDS = [
    "trust", "time", "talk", "felt", "hurt", "listen", "honest", "week", "again", "because",
    "small", "promise", "kept", "sorry", "afraid", "angry", "hope", "wanted", "said", "never",
    "always", "together", "morning", "evening", "call", "message", "home", "friend", "family",
    "work", "change", "slowly", "careful", "open", "quiet", "safe",
]
NEEDLE = "lighthouse"  # rare: planted in about 1 answer in 500
COMMON = "trust"  # in about three answers out of four: every file is parsed, many lines print
PASSPHRASE = "benchmark passphrase"
TARGET = 0.5


def generate(directory: Path, sessions: int, answers: int, encrypted: bool) -> int:
    """Write the journal through the real Writer (sealed when encrypted); returns how many
    answers hold the needle. fsync is skipped here only to keep generation quick."""
    rng = random.Random(7)
    cipher = None
    if encrypted:
        from assistant.journal.crypto import Cipher

        cipher = Cipher.create(PASSPHRASE)
    journal = Journal(directory, cipher)
    start = datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
    planted = 0
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # generation speed only; the timed part never writes
    try:
        for s in range(sessions):
            began = start + timedelta(days=s)
            with journal.start("rebuilding-trust", "vosk-model-small-en-us-0.15",
                               started=began) as writer:
                writer.mark(Mark("role", began, value="hurt"))
                for a in range(answers):
                    words = rng.choices(WORDS, k=rng.randint(20, 90))
                    if rng.random() < 0.002:
                        words.insert(rng.randrange(len(words)), NEEDLE.capitalize())
                        planted += 1
                    text = "\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12))
                    writer.answer(Entry(f"step-{a // 3}", a % 3, f"Step {a // 3}",
                                        f"Question {a} about what happened?", text,
                                        began + timedelta(minutes=a), 30.0 + a, "silence",
                                        0.9))
                writer.mark(Mark("end", began + timedelta(hours=1)))
    finally:
        os.fsync = real_fsync
    return planted


def median_time(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--answers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--encrypted", action="store_true", help="time a sealed journal")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reflect-bench-") as home:
        env = {**os.environ, "REFLECT_HOME": home, "REFLECT_PASSPHRASE": PASSPHRASE}
        os.environ.update(env)
        directory = paths().journal_dir
        planted = generate(directory, args.sessions, args.answers, args.encrypted)
        size = sum(p.stat().st_size for p in directory.iterdir())
        total = args.sessions * args.answers
        print(f"journal: {args.sessions} sessions x {args.answers} answers = {total} entries, "
              f"{size / 1e6:.1f} MB{', encrypted' if args.encrypted else ''}; "
              f"'{NEEDLE}' planted in {planted} answers")

        command = [sys.executable, "-m", "assistant", "journal", "search"]
        found = subprocess.run([*command, NEEDLE], env=env, cwd=REPO, capture_output=True,
                               text=True, check=True).stdout
        hits = sum(1 for line in found.splitlines() if not line.startswith(" "))
        if hits != planted:
            print(f"search found {hits} answers, expected {planted}", file=sys.stderr)
            return 1

        def python_start() -> None:
            subprocess.run([sys.executable, "-c", "pass"], check=True)

        figures = [("python -c pass (startup alone)", None, median_time(python_start, args.runs))]
        for word in (NEEDLE, COMMON):
            from assistant.journal import open_journal

            matches = len(open_journal().search(word))
            figures += [
                (f"grep -ri {word} (baseline)", word, median_time(lambda w=word: subprocess.run(
                    ["grep", "-ri", w, str(directory)], capture_output=True), args.runs)),
                (f"Journal.search in-process ({matches} hits)", word,
                 median_time(lambda w=word: open_journal().search(w), args.runs)),
                ("reflect journal search (end to end)", word, median_time(
                    lambda w=word: subprocess.run([*command, w], env=env, cwd=REPO,
                                                  capture_output=True, check=True),
                    args.runs)),
            ]
    print(f"median of {args.runs} runs:")
    baseline = {word: seconds for name, word, seconds in figures if "baseline" in name}
    for name, word, seconds in figures:
        ratio = f"{seconds / baseline[word]:6.1f} x grep" if word else ""
        print(f"  {name:<42} {seconds * 1000:8.1f} ms   {ratio}")
    worst = max(seconds for name, _, seconds in figures if "end to end" in name)
    verdict = "met" if worst < TARGET else "NOT met"
    print(f"target: end to end under {TARGET} s for a rare and a common word -- {verdict}")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
