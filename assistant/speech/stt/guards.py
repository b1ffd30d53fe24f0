"""What Whisper makes up, kept out of an entry. Pure logic on its segments and words.

Whisper is a language model over sound: given silence or noise it writes fluent text
("Thank you.", a caption credit), and given a hard stretch it can loop on one phrase.
Three guards stand between it and the journal:
- the recognizer only ever transcribes stretches the speech detector called speech
  (stt/whisper.py), and the ear drops words that fall outside them (listening/take.py);
- a segment Whisper itself doubts holds speech is dropped: its no-speech probability over
  NO_SPEECH while its words are unlikely (mean log-probability under LOW_LOGPROB) --
  Whisper's own rule, made stricter here because it let the "Thank you." it writes over
  the quiet after an answer through at 0.60 and -1.14 -- or, when none of its words does
  Whisper believe (each under UNLIKELY), a no-speech probability over DOUBT (the "Yes."
  and "Yeah." it wrote for breaths between sentences: 0.36 and 0.44, each word under
  0.1; a real "Skip." said alone had 0.08, its word at 0.08 too). One that compresses
  too well (a loop, COMPRESSION) goes as well;
- a run of more than REPEATS copies of the same phrase in a row is cut to one copy (and a
  command, never said twice, to its first copy: `once`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from assistant.turns import Word

NO_SPEECH = 0.5
LOW_LOGPROB = -0.8
DOUBT = 0.2
COMPRESSION = 2.4
REPEATS = 3  # "no, no, no" is said; a fourth copy in a row is a loop
LONGEST_PHRASE = 8  # words: longer loops are caught by COMPRESSION
UNLIKELY = 0.2  # a word's probability: real speech has words above it in every segment


class Said(Protocol):
    probability: float


class Segment(Protocol):
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float
    words: Sequence[Said] | None


def trusted(segment: Segment) -> bool:
    """Whether a segment is speech Whisper heard, not text it made up (a segment without
    word probabilities -- a live transcript -- is judged on the rest)."""
    if segment.no_speech_prob > NO_SPEECH and segment.avg_logprob < LOW_LOGPROB:
        return False
    if segment.no_speech_prob > DOUBT and segment.words and all(
            w.probability < UNLIKELY for w in segment.words):
        return False
    return segment.compression_ratio <= COMPRESSION


def _key(word: Word) -> str:
    return "".join(c for c in word.text.lower() if c.isalnum())


def unrepeated(words: Sequence[Word]) -> list[Word]:
    """`words` with every run of more than REPEATS copies of a phrase (1 to LONGEST_PHRASE
    words, compared without case and punctuation) cut to its first copy."""
    out = list(words)
    keys = [_key(w) for w in out]
    i = 0
    while i < len(out):
        for n in range(1, LONGEST_PHRASE + 1):
            copies = 1
            while keys[i + copies * n:i + (copies + 1) * n] == keys[i:i + n]:
                copies += 1
            if copies > REPEATS:
                del out[i + n:i + copies * n]
                del keys[i + n:i + copies * n]
                break
        i += 1
    return out


def once(words: Sequence[Word]) -> list[Word]:
    """`words` cut to their first copy when they are one phrase said over and over, the
    last copy perhaps cut short ("Move on. Move on. Move"): a loop of Whisper's, for text
    that is never said twice in a row (a command)."""
    keys = [_key(w) for w in words]
    for n in range(1, len(keys)):
        if all(keys[i] == keys[i - n] for i in range(n, len(keys))):
            return list(words[:n])
    return list(words)
