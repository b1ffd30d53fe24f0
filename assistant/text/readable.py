"""Readable text from a recognizer's words: sentences, capitals, full stops and questions.

A recognizer hands over lower-case words with no punctuation ("i think the hardest part
was"); its word timings say where the speaker paused, and a pause of `sentence_pause`
seconds or more between two words ends a sentence (PARAGRAPH_PAUSE starts a new
paragraph). Only case and punctuation change: the words themselves are never changed,
lost or reordered, so `journal show` can still line the text up with the words.

The rules are few and per language (`RULES`): English capitalises "i" and its
contractions and ends a sentence that starts with a question word with "?". Korean has no
capitals; its sentences end with "." or, when they ask, "?" -- a question by its ending
(-까, -니, -냐, -나요, -은가요/-는가요: "어땠나요", "그랬을까"), or by a question word
(왜, 뭐, 어떻게, 언제, 어디, 누구, ...) in a sentence that ends in -요, -어, -아 or -해 and holds
no indirect question (-지, -는지: "어떻게 해야 할지 모르겠어요" tells, not asks). Any other
language written with letter case gets capitals and full stops; one written without and
with no rules here (Japanese, say) is left as the recognizer wrote it.

An engine that writes its own case and punctuation (Whisper) knows its sentences better
than a pause does: its words are kept as written (`written`), its sentences end at its
own marks, and only the paragraphs come from pauses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.turns import Word

SENTENCE_PAUSE = 0.5  # default `sentence_pause`: see the note on measuring it in the README
PARAGRAPH_PAUSE = 2.0  # a pause this long inside an answer starts a new paragraph
UNSURE = 0.6  # a word the recognizer is less sure of than this is marked `word(?)`
UNSURE_SHARE = 0.1  # an answer with at least this share of unsure words is read back


@dataclass(frozen=True)
class Rules:
    """How one language's sentences are written."""

    questions: frozenset[str] = frozenset()  # a sentence starting with one asks something
    proper: dict[str, str] = field(default_factory=dict)  # always written so ("i" -> "I")
    cased: bool = True  # its script has capitals (the first word of a sentence gets one)
    asks: tuple[str, ...] = ()  # a sentence whose last word ends so asks something
    # a sentence holding one of these words (as a word's start: particles follow it)
    # asks something when its last word ends with one of `asked` and no word with `told`
    askers: tuple[str, ...] = ()
    asked: tuple[str, ...] = ()
    told: tuple[str, ...] = ()

    def is_question(self, words: Sequence[str]) -> bool:
        last = words[-1]
        if words[0] in self.questions or last.endswith(self.asks):
            return True
        return (any(w.startswith(self.askers) for w in words) and last.endswith(self.asked)
                and not any(w.endswith(self.told) for w in words))


RULES: dict[str, Rules] = {
    "en": Rules(
        questions=frozenset((
            "what", "why", "how", "when", "where", "who", "whom", "whose", "which", "am",
            "is", "are", "was", "were", "do", "does", "did", "can", "could", "would",
            "should", "will", "shall")),
        proper={"i": "I", "i'm": "I'm", "i've": "I've", "i'd": "I'd", "i'll": "I'll"},
    ),
    "ko": Rules(
        cased=False,
        asks=("까", "니", "냐", "나요", "은가요", "는가요"),
        askers=("왜", "뭐", "뭘", "무엇", "무슨", "어떻게", "어떤", "어땠", "언제", "어디",
                "누구", "누가", "어느", "얼마", "몇"),
        asked=("요", "어", "아", "해"),
        told=("지", "는지"),
    ),
}
_CASED = Rules()  # a language with letter case and no rules of its own

_WORD_CORE = re.compile(r"^(.*?)([.?]?)$", re.S)  # a word, and the stop readable() put after it
_MARKS = frozenset(".,?!;:")
_ENDS = frozenset(".?!")


def written(words: Sequence[Word], cased: bool = True) -> bool:
    """Whether the engine wrote these words with case or punctuation of its own (Vosk
    writes lower case and apostrophes only). In a script without case a capital tells
    nothing (the Korean model now and then writes a Latin "G")."""
    return any((cased and c.isupper()) or c in _MARKS for w in words for c in w.text)


def rules_for(language: str) -> Rules:
    return RULES.get(language.split("-")[0].lower(), _CASED)


def sentences(words: Sequence[Word], pause: float, cased: bool = True) -> list[list[Word]]:
    """`words` cut into sentences: after each of the engine's own full stops when it
    wrote them, else where the gap between two words is `pause` seconds or more
    (`cased`: whether the language's script has capitals, see `written`)."""
    if not written(words, cased):
        return at_pauses(words, pause)
    out: list[list[Word]] = [[]]
    for word in words:
        out[-1].append(word)
        if word.text[-1:] in _ENDS:
            out.append([])
    return [s for s in out if s]


def at_pauses(words: Sequence[Word], pause: float) -> list[list[Word]]:
    """`words` cut where the gap between two words is `pause` seconds or more."""
    out: list[list[Word]] = []
    for i, word in enumerate(words):
        if not out or word.start - words[i - 1].end >= pause:
            out.append([])
        out[-1].append(word)
    return out


def has_case(text: str) -> bool:
    """Whether `text` is written in a script with capital letters: most of its letters
    are (a Korean model sometimes writes a Latin "G" among its Hangul)."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.lower() != c.upper() for c in letters) * 2 > len(letters)


def readable(words: Sequence[Word], language: str,
             sentence_pause: float = SENTENCE_PAUSE) -> str:
    """The words as text a person wants to read: paragraphs of sentences."""
    plain = " ".join(w.text for w in words)
    rules = rules_for(language)
    if rules.cased and not has_case(plain):
        return plain  # a script without capitals, in a language with no rules for it
    if written(words, rules.cased):
        return "\n".join(" ".join(w.text for w in para)
                         for para in at_pauses(words, PARAGRAPH_PAUSE))
    return "\n".join(
        " ".join(_sentence([w.text for w in s], rules)
                 for s in sentences(para, sentence_pause, rules.cased))
        for para in at_pauses(words, PARAGRAPH_PAUSE))


def _sentence(words: list[str], rules: Rules) -> str:
    out = [rules.proper.get(w, w) for w in words]
    if rules.cased:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out) + ("?" if rules.is_question(words) else ".")


def marked(text: str, words: Sequence[Word], mark: Callable[[str], str]) -> str:
    """`text` with `mark` applied to each word the recognizer was unsure of. The words
    are lined up with the text's in order; when they do not line up (the text was edited
    by hand), the text comes back unmarked."""
    tokens = re.split(r"(\s+)", text)
    spoken = [i for i, t in enumerate(tokens) if t and not t.isspace()]
    if len(spoken) != len(words):
        return text
    for i, word in zip(spoken, words, strict=True):
        core, stop = _WORD_CORE.match(tokens[i]).groups()  # type: ignore[union-attr]
        if tokens[i].lower() == word.text.lower():  # written with its mark (Whisper)
            core, stop = tokens[i], ""
        if core.lower() != word.text.lower():
            return text
        if is_unsure(word):
            tokens[i] = mark(core) + stop
    return "".join(tokens)


def is_unsure(word: Word) -> bool:
    return word.conf is not None and word.conf < UNSURE


def worth_reading_back(mode: str, words: Sequence[Word]) -> bool:
    """Whether a spoken answer is read back: `mode` is the read_back setting (never,
    unsure, always); "unsure" when enough of its words were doubtful."""
    if not words or mode == "never":
        return False
    return mode == "always" or sum(map(is_unsure, words)) >= UNSURE_SHARE * len(words)
