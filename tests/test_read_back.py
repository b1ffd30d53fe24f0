"""Read-back and repair with a fake Voice, Ear and store: "I heard: ..." after a doubtful
spoken answer, then keep, redo, add, scratch; and "scratch that" while answering.

The same flows run on the real parts (Korean model, recordings) in test_spoken_repair.py.
"""

from __future__ import annotations

from test_readable import timed
from test_session import NO_CHOICE, World, a

from assistant.answers import REPLY_WAIT
from assistant.messages import Msg
from assistant.session import Session
from assistant.turns import Answer, Command, Heard


def said(text: str, conf: float = 1.0) -> Answer:
    words = timed(text, conf=conf)
    return Answer(text, words[-1].end, "silence", conf, words=words)


def doubtful(text: str) -> Answer:
    return said(text, conf=0.3)


def run(heard: list[Heard | None], read_back: str = "unsure") -> World:
    world = World(heard)
    assert Session(NO_CHOICE, world, world, world, now=world.now,
                   read_back=read_back).run() == "finished"
    assert not world.heard, f"the script was not used up: {world.heard}"
    return world


def read_backs(world: World) -> list[str]:
    """Each read-back as it was said: "I heard:", then the answer."""
    notices = world.notices()
    return [f"{n} {notices[i + 1]}" for i, n in enumerate(notices) if n == "I heard:"]


def test_a_sure_answer_is_not_read_back_and_a_doubtful_one_is_after_it_is_saved() -> None:
    w = run([said("i was hurt"), doubtful("he lied"), None, said("done now")])
    assert read_backs(w) == ["I heard: He lied."]
    saved = w.log.index(("saved", ("one", 1, "He lied.")))
    assert saved < w.log.index(("notice", "I heard:"))  # on disk before it is said
    assert [e.text for e in w.entries] == ["I was hurt.", "He lied.", "Done now."]


def test_silence_keep_next_and_enter_each_keep_the_answer() -> None:
    for reply in (None, Command("keep"), Command("finish"), Command("skip")):
        w = run([doubtful("x"), reply, a("y"), a("z")])
        assert [e.text for e in w.entries] == ["X.", "y", "z"]
        assert w.questions == ["Q1?", "Q2?", "Q3?"]


def test_redo_replaces_the_take_and_the_journal_keeps_both() -> None:
    w = run([doubtful("he lide"), Command("redo"), said("he lied"), a("y"), a("z")])
    assert Msg.SAY_IT_AGAIN.format() in w.notices()
    assert [(e.step, e.prompt, e.text) for e in w.entries[:2]] == [
        ("one", 0, "He lide."), ("one", 0, "He lied.")]  # the newest is the answer
    assert w.questions == ["Q1?", "Q2?", "Q3?"]  # not asked again: "say it again" is enough


def test_add_saves_one_entry_holding_both_takes() -> None:
    w = run([doubtful("he lied"), Command("add"), said("and i left"), a("y"), a("z")])
    assert Msg.GO_ON.format() in w.notices()
    assert w.entries[1].text == "He lied.\nAnd I left."
    assert [w.text for w in w.entries[1].words] == ["he", "lied", "and", "i", "left"]


def test_words_instead_of_a_reply_are_added_and_read_back_again() -> None:
    w = run([doubtful("he lied"), doubtful("to me"), None, a("y"), a("z")])
    assert read_backs(w) == ["I heard: He lied.", "I heard: He lied.\nTo me."]
    assert w.entries[1].text == "He lied.\nTo me."


def test_help_at_a_read_back_names_the_replies_then_waits_again() -> None:
    w = run([doubtful("x"), Command("help"), Command("keep"), a("y"), a("z")])
    assert any("keep" in n and "redo" in n and "add" in n for n in w.notices())
    assert len(w.entries) == 3


def test_read_back_never_and_always() -> None:
    assert read_backs(run([doubtful("x"), a("y"), a("z")], "never")) == []
    assert read_backs(run([said("x"), None, a("y"), a("z")], "always")) == ["I heard: X."]


def test_typed_answers_are_never_read_back() -> None:
    assert read_backs(run([a("x"), a("y"), a("z")], "always")) == []


def test_a_reply_is_awaited_only_briefly() -> None:
    assert run([doubtful("x"), None, a("y"), a("z")]).waits == [None, REPLY_WAIT, None, None]


def test_scratch_that_drops_the_last_sentence_and_says_which() -> None:
    words = timed("it started in spring", 0.9, "he never told me")
    w = run([Command("scratch", "it started in spring he never told me", 4.0, words),
             Command("scratch"), said("it was may"), a("y"), a("z")])
    assert Msg.SCRATCHED.format(text="He never told me.") in w.notices()
    assert Msg.SCRATCHED.format(text="It started in spring.") in w.notices()
    assert w.entries[0].text == "It was may."
    assert w.questions == ["Q1?", "Q2?", "Q3?"]  # listening goes on: no question again


def test_scratch_with_nothing_said_says_so() -> None:
    w = run([Command("scratch"), a("x"), a("y"), a("z")])
    assert Msg.NOTHING_TO_SCRATCH.format() in w.notices()


def test_scratch_at_a_read_back_saves_the_answer_without_its_last_sentence() -> None:
    words = timed("he lied", 0.9, "i think", conf=0.3)
    w = run([Answer("he lied i think", 2.0, "silence", 0.3, words=words),
             Command("scratch"), Command("keep"), a("y"), a("z")])
    assert [e.text for e in w.entries[:2]] == ["He lied. I think.", "He lied."]
