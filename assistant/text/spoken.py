"""Reflect's own spoken lines in the guide's language.

messages.py is the one catalogue of every sentence, in English; the lines Reflect says
aloud during a session (its cues, help, read-back, notices) are here once more for each
other language it speaks (SPOKEN), with the same fields, so a Korean guide is heard in
Korean from its first question to its last notice. A command is named in them as itself
followed by ", 하고" ("멈춰, 하고 말하세요"), which reads right after any word: the
particle 이라고/라고 would hang on the phrase's last sound. A language with no lines here
is spoken in English (`reflect doctor` says so), as its commands are (text/commands.py).
Errors and everything only printed stay in English.
"""

from __future__ import annotations

from assistant.messages import Msg

SPOKEN: dict[str, dict[Msg, str]] = {
    "ko": {
        Msg.ALREADY_FINISHED: "이 세션은 이미 끝났어요. 새 세션은 reflect run 으로 시작해요.",
        Msg.COMMANDS_IN_ENGLISH: (
            "아직은 영어 명령어만 알아들어요. {help}, 하고 말하면 알려 드려요."),
        Msg.FIRST_QUESTION: "첫 번째 질문이라서 돌아갈 곳이 없어요.",
        Msg.GOING_BACK: "하나 전으로 돌아갈게요.",
        Msg.GO_ON: "말씀하세요.",
        Msg.HELP: (
            "답을 마쳤으면 {finish}, 질문을 다시 들으려면 {repeat}, 질문을 건너뛰려면 {skip}, "
            "앞 질문으로 가려면 {back}, 쉬려면 {pause}, 오늘은 끝내려면 {stop}, 하고 말하세요. "
            "방금 한 문장을 지우려면 {scratch}, 하고 말하세요. 말한 것은 그때그때 저장돼요."),
        Msg.HELP_HINT: "언제든 {help}, 하고 말하면 할 수 있는 말을 알려 드려요.",
        Msg.HELP_REPLY: (
            "읽어 드린 대로 저장되어 있어요. 그대로 두려면 {keep}, 하고 말하거나 아무 말도 "
            "하지 마세요. 다시 답하려면 {redo}, 더 말하려면 {add}, 마지막 문장을 지우려면 "
            "{scratch}, 하고 말하세요."),
        Msg.KEPT_SO_FAR: "지금까지 하신 말은 저장했어요. 질문을 다시 드릴게요.",
        Msg.MAX_ANSWER_REACHED: "한 번에 저장하는 가장 긴 답이라서 여기까지 저장했어요.",
        Msg.MIC_LOST: (
            "마이크가 멈췄어요. 지금까지 하신 말은 저장되어 있어요. 이제부터는 답을 입력해 "
            "주세요."),
        Msg.NOTHING_TO_SCRATCH: "아직 지울 것이 없어요.",
        Msg.PART: "{total}개 중 {number}번째: {title}.",
        Msg.PAUSED: (
            "네, 잠시 쉬어요. 쉬는 동안에는 아무것도 저장하지 않아요. 준비되면 {resume}, "
            "하고 말하세요."),
        Msg.READ_BACK: "이렇게 들었어요:",
        Msg.READ_DONE: "마지막 답이었어요.",
        Msg.READ_HELP: (
            "답을 하나 들을 때마다, 다음으로 가려면 {finish}, 다시 들으려면 {repeat}, 앞의 "
            "답으로 가려면 {back}, 끝내려면 {stop}, 하고 말하세요. 엔터를 누르면 읽던 것을 "
            "건너뛰어요."),
        Msg.RESUMED: "다시 오셨네요. {total}개 중 {number}번째, {title} 부터 이어 갈게요.",
        Msg.RESUMED_AT_END: "다시 오셨네요. 모든 질문에 답하셨으니 마무리할게요.",
        Msg.ROLE_EVERY_QUESTION: (
            "괜찮아요. 모든 질문을 드릴 테니, 맞지 않는 질문은 건너뛰셔도 돼요."),
        Msg.ROLE_THANKS: "고마워요.",
        Msg.ROLE_UNCLEAR: "죄송해요, 잘 알아듣지 못했어요.",
        Msg.SAY_IT_AGAIN: "네, 다시 말씀하세요.",
        Msg.SCRATCHED: "지웠어요: {text}",
        Msg.SHOW_NO_ANSWER: "(답 없음)",
        Msg.SKIPPED: "네, 이 질문은 넘어갈게요.",
        Msg.STILL_LISTENING: "천천히 하세요. 준비되면 언제든 듣고 있어요.",
        Msg.STILL_PAUSED: (
            "아직 쉬는 중이라 방금 말은 저장하지 않았어요. 준비되면 {resume}, 하고 "
            "말하세요."),
        Msg.STOPPED: (
            "네, 여기서 멈출게요. 답은 모두 저장되어 있고, 다음에 여기서부터 이어 갈 수 있어요."),
        Msg.TYPING_INSTEAD: "지금은 입력한 답으로 세션을 이어 가요.",
        Msg.WELCOME_BACK: "다시 오셨네요.",
    },
}


def spoken(msg: Msg, language: str, **fields: object) -> str:
    """`msg` in `language` when Reflect speaks it (in English where it has no line)."""
    return SPOKEN.get(language, {}).get(msg, msg.value).format(**fields)


def speaks(language: str) -> bool:
    """Whether Reflect has its spoken lines in `language` (English it always has)."""
    return language == "en" or language in SPOKEN
