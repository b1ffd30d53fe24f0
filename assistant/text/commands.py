"""Command phrases per language, and the one matcher for typed and spoken input.

A command counts only when the WHOLE utterance is a command: "skip", "let's skip it" or
"can you repeat that" are commands, while "I want to stop feeling this way" is an answer.
Both sides are normalised the same way (lower case, no punctuation or apostrophes, filler
words dropped) and the remaining words must equal one phrase exactly. Exact equality over
a small phrase set is what keeps a command word inside a longer answer from cutting it off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from assistant.errors import BadInput
from assistant.messages import Msg
from assistant.turns import CommandName

NAMES = tuple(CommandName)
# Replies to a read-back ("I heard: ..."): commands only then, content at any other time,
# so an answer of "yes" or "no" is never taken for one.
REPLIES = frozenset({CommandName.KEEP, CommandName.REDO, CommandName.ADD})

# The first phrase of each command is the one named in help lines.
PHRASES: dict[str, dict[CommandName, tuple[str, ...]]] = {
    "en": {
        CommandName.FINISH: ("done", "next", "I'm done", "that's all", "that's it", "finished",
                             "I'm finished", "next question", "move on", "I've finished"),
        CommandName.REPEAT: ("repeat", "say that again", "again", "repeat that", "say again",
                             "what was the question", "one more time", "come again", "pardon",
                             "I didn't catch that"),
        CommandName.SKIP: ("skip", "pass", "skip that", "I pass", "pass on this one", "skip ahead"),
        CommandName.BACK: ("back", "go back", "previous", "previous question", "last question",
                           "go back one"),
        CommandName.PAUSE: ("pause", "wait", "hold on", "hang on", "one moment", "give me a moment",
                            "give me a minute", "wait a moment", "wait a minute", "take a break"),
        CommandName.RESUME: ("resume", "continue", "I'm ready", "ready", "go on", "carry on",
                             "I'm back", "let's go"),
        CommandName.STOP: ("stop", "end session", "quit", "stop the session", "end the session",
                           "exit", "enough for today", "that's enough for today"),
        CommandName.HELP: ("help", "what can I say", "commands", "what are the commands",
                           "help me"),
        CommandName.SCRATCH: ("scratch that", "strike that", "delete that", "take that back",
                              "scratch the last sentence", "remove that"),
        CommandName.KEEP: ("keep", "keep it", "yes", "that's right", "correct", "right",
                           "sounds right"),
        CommandName.REDO: ("redo", "no", "redo that", "start over", "try again",
                           "let me try again"),
        CommandName.ADD: ("add", "add more", "add to it", "let me add", "I want to add", "more",
                          "there's more"),
    },
    # Each word is one the Korean model knows (a grammar of words it lacks hears nothing):
    # polite and plain forms alike, as people say them to a device.
    "ko": {
        CommandName.FINISH: ("다 했어요", "다 됐어요", "됐어요", "다음", "다음 질문", "끝"),
        CommandName.REPEAT: ("다시", "다시 말해 주세요", "한 번 더", "다시 한 번", "뭐라고"),
        CommandName.SKIP: ("넘어가", "넘어가 주세요", "패스", "통과"),
        CommandName.BACK: ("이전", "이전 질문", "뒤로", "돌아가"),
        CommandName.PAUSE: ("잠깐", "잠시", "기다려", "기다려 주세요"),
        CommandName.RESUME: ("계속", "계속해", "준비 됐어", "다시 시작"),
        CommandName.STOP: ("그만", "그만해", "그만 할게요", "멈춰", "끝내기", "종료"),
        CommandName.HELP: ("도움말", "도와줘", "명령어", "뭐라고 말하면 돼요"),
        CommandName.SCRATCH: ("지워", "지워 줘", "지워 주세요", "방금 거 지워", "취소"),
        CommandName.KEEP: ("네", "예", "응", "맞아", "좋아요", "그대로", "유지"),
        CommandName.REDO: ("아니요", "아니", "다시 할게요", "처음부터"),
        CommandName.ADD: ("추가", "더 있어요", "더 할게요", "덧붙여"),
    },
}

# Words that carry no meaning in a short command ("um, skip it please" is "skip").
FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("um", "uh", "er", "erm", "hmm", "oh", "well", "so", "just", "now", "please",
           "okay", "ok", "lets", "let us", "it", "this one", "that one", "the question",
           "question", "can you", "could you", "would you", "will you", "thanks",
           "thank you"),
    "ko": ("음", "어", "저", "저기", "그", "좀", "그냥", "제발", "이거", "그거"),
}

FALLBACK = "en"
_BY_VALUE = {name.value: name for name in CommandName}  # as guides and settings name them

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NOT_WORD = re.compile(r"[^\w]+")
_NOT_GRAMMAR = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; apostrophes vanish ("I'm" -> "im")."""
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).split()


class Commands:
    """The command phrase set of one language, with a guide's or the user's extra phrases."""

    def __init__(self, language: str = FALLBACK,
                 extra: Mapping[str, Iterable[str]] | None = None) -> None:
        self.fallback = language not in PHRASES
        self.language = FALLBACK if self.fallback else language
        self._fillers = [words(f) for f in FILLERS.get(self.language, ())]
        self._fillers.sort(key=len, reverse=True)  # "this one" goes before "one" could
        table = {name: list(PHRASES[self.language][name]) for name in NAMES}
        for name, phrases in (extra or {}).items():
            if name not in _BY_VALUE:
                raise BadInput(Msg.COMMAND_UNKNOWN, name=name, names=", ".join(NAMES))
            table[_BY_VALUE[name]].extend(phrases)
        self._first = {name: phrases[0] for name, phrases in table.items()}
        self._table = table
        self._index: dict[tuple[str, ...], CommandName] = {}
        for name, phrases in table.items():
            for phrase in phrases:
                key = self._key(phrase)
                if not key:  # only filler words: it could never be said on its own
                    continue
                other = self._index.setdefault(key, name)
                if other != name:
                    raise BadInput(Msg.COMMAND_CLASH, phrase=phrase,
                                       first=other, second=name)

    def _key(self, text: str) -> tuple[str, ...]:
        """The words of `text` with filler phrases taken out, wherever they stand."""
        ws = words(text)
        out: list[str] = []
        i = 0
        while i < len(ws):
            filler = next((f for f in self._fillers if ws[i:i + len(f)] == f), None)
            if filler:
                i += len(filler)
            else:
                out.append(ws[i])
                i += 1
        return tuple(out)

    def match(self, text: str, replies: bool = False) -> CommandName | None:
        """The command `text` is, when all of it is one; otherwise None (it is content).
        Replies to a read-back (REPLIES) count only when `replies` says one is awaited."""
        key = self._key(text)
        name = self._index.get(key) if key else None
        return None if name in REPLIES and not replies else name

    def phrases(self, names: Iterable[CommandName]) -> list[str]:
        """The phrases of these commands as a recognizer's grammar takes them: lower case,
        apostrophes kept (a model's words have them), other punctuation gone."""
        wanted = set(names)
        said = {_NOT_GRAMMAR.sub(" ", phrase.lower().replace("\u2019", "'")).strip()
                for name, phrases in self._table.items() if name in wanted
                for phrase in phrases}
        return sorted(" ".join(phrase.split()) for phrase in said - {""})

    def word(self, name: CommandName) -> str:
        """The phrase to name in help lines ("done", "repeat", ...)."""
        return self._first[name]

    def words(self, *names: CommandName) -> dict[str, str]:
        """The phrases of these commands by their names, as a help message's fields."""
        return {name.value: self._first[name] for name in names}


def finishes_answer(name: CommandName | None, pending: bool) -> bool:
    """A finish phrase after some answer (`pending`) ends that answer -- it is kept as
    said, the phrase left out -- where on its own it is the command to move on."""
    return name == CommandName.FINISH and pending


def pick_option(options: Mapping[str, Sequence[str]], text: str) -> str | None:
    """The one option whose id or words occur in `text` (as whole words); None if not one.
    Unlike a command, an option may stand inside a longer answer ("I was the one hurt")."""
    said = words(text)

    def occurs(phrase: str) -> bool:
        w = words(phrase)
        return bool(w) and any(said[i:i + len(w)] == w for i in range(len(said) - len(w) + 1))

    hits = [option for option, phrases in options.items()
            if any(occurs(p) for p in (option.replace("-", " "), *phrases))]
    return hits[0] if len(hits) == 1 else None
