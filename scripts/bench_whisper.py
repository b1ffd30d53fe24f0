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

Usage: scripts/bench whisper [--vosk PATH] [--runs N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from english import TWO_CITIES, Joe, human_reading, quiet, wer

from assistant import voices, whispers
from assistant.speech import whisper
from assistant.speech.recognizers import open_model

ANSWERS = (
    ("I went for a long walk by the river this morning.", "It was cold, but the light on "
     "the water was beautiful, and I stayed longer than I meant to."),
    ("I talked to my sister on the phone.", "She asked me how I was, and for once I told "
     "her the truth.", "It felt strange, but good."),
    ("Tonight I will read a book and go to bed early.", "Tomorrow I want to write down what "
     "I could not say out loud."),
)
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
    segments, _ = engine.transcribe(pcm.astype(np.float32) / 32768.0, language="en",
                                    beam_size=whisper.BEAM, condition_on_previous_text=False)
    return " ".join(s.text.strip() for s in segments), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vosk", type=Path, help="an English Vosk model folder")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    model = open_model(whispers.find(whispers.CATALOGUE[0]))
    rec = model.recognizer()
    joe = Joe(voices.named("en_US-joe-medium"))
    recordings = [("human reading (two_cities)", human_reading(), TWO_CITIES)]
    for n, sentences in enumerate(ANSWERS, 1):
        parts = [quiet(0.5)]
        for sentence in sentences:
            parts += [joe.says(sentence), quiet(1.2)]
        recordings.append((f"joe answer {n}", np.concatenate(parts), " ".join(sentences)))
    vosk = None
    if args.vosk:
        vosk = open_model(args.vosk).recognizer()
    else:
        print("No English Vosk model given (--vosk): the baseline is one whole-file "
              "transcription by the same engine.")
    print("recording, seconds, WER utterances, WER whole file, RTF utterances (live line "
          "on), RTF live line off, RTF whole file, longest feed s, end of answer to words s")
    flushes = []
    for name, pcm, reference in recordings:
        seconds = len(pcm) / whisper.RATE
        on, off, base = [], [], []
        for _ in range(args.runs):
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


if __name__ == "__main__":
    main()
