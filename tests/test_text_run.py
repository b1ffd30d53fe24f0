"""`reflect run --text` and `reflect resume` end to end: the real CLI in a subprocess, typed
answers through a pipe, and the journal read back from the real files."""

from __future__ import annotations

import stat

import pytest
from sessions import only_session, typed

from assistant.config import paths
from assistant.guides.finder import find
from assistant.journal import open_journal
from assistant.messages import Msg


@pytest.mark.parametrize("name", ["rebuilding-trust", "rebuilding-trust-ko"])
def test_bundled_guide_completes_from_a_pipe(cli, name: str) -> None:
    """Each bundled guide, English and Korean, answered whole by typing."""
    guide = find(name)
    role = next(iter(guide.choose.options)) if guide.choose else None
    asked = [(step, i, prompt.ask) for step in guide.steps
             for i, prompt in step.prompts_for(role)]
    assert len(asked) >= 3
    answers = [f"Answer {n}: something true about step {step.id}."
               for n, (step, _, _) in enumerate(asked)]
    answers[1] = "An answer\nover two lines."
    typed_in = (typed(role) if role else "") + typed(*answers)

    done = cli("run", "--text", name, input=typed_in)

    assert done.returncode == 0, done.stderr
    record = only_session()
    assert record.finished and record.guide == guide.id and not record.set_aside
    assert record.role == role
    got = [(e.step, e.prompt, e.question, e.text) for e in record.entries]
    assert got == [(s.id, i, q, a) for (s, i, q), a in zip(asked, answers, strict=True)]
    text = record.path.read_text(encoding="utf-8")
    for (step, _, question), answer in zip(asked, answers, strict=True):
        block = text.split(f"## {step.title} \u2014 {question}\n", 1)[1]
        assert block.split("\n", 1)[1].startswith(answer + "\n")  # right under its question
    for _, _, question in asked:
        assert f"Question: {question}" in done.stdout
    assert "\x1b" not in done.stdout
    assert str(record.path) in done.stdout
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(record.path.parent.stat().st_mode) == 0o700


def test_role_decides_the_questions(cli, small_guide: str) -> None:
    done = cli("run", "--text", small_guide,
               input=typed("I did", "it happened", "I was afraid", "time", "a walk"))
    assert done.returncode == 0, done.stderr
    record = only_session()
    assert record.role == "broke" and record.finished
    assert [(e.step, e.prompt) for e in record.entries] == [
        ("first", 0), ("first", 2), ("second", 0), ("second", 1)]
    assert "How did it feel to be hurt?" not in done.stdout


def test_typed_commands_act_and_never_become_answers(cli, small_guide: str) -> None:
    session = (
        typed("me")
        + "help\n"                              # lists the commands, asks again
        + "what happened was long\nrepeat\n"    # kept, question again
        + "and it went on\n\n"                  # continues the kept text
        + "skip this one\n"                     # skip mark for the hurt question
        + "pause\nnot an answer\n\nI'm ready\n"  # nothing while paused is taken
        + "go back\n"                           # back to the skipped question
        + "it hurt\n\n"
        + typed("rest", "a walk")
    )
    done = cli("run", "--text", small_guide, input=session)
    assert done.returncode == 0, done.stderr
    record = only_session()
    assert [(e.step, e.prompt, e.text) for e in record.entries] == [
        ("first", 0, "what happened was long\nand it went on"),
        ("first", 1, "it hurt"),
        ("second", 0, "rest"),
        ("second", 1, "a walk"),
    ]
    assert [(m.kind, m.step, m.prompt) for m in record.marks] == [
        ("role", None, None), ("skip", "first", 1), ("end", None, None)]
    assert "You can say done" in done.stdout
    assert Msg.PAUSED.format(resume="resume") in done.stdout
    assert "not an answer" not in record.path.read_text(encoding="utf-8")


def test_stop_then_resume_goes_on_with_the_same_role(cli, small_guide: str) -> None:
    first = cli("run", "--text", small_guide, input=typed("hurt", "one") + "two\nstop\n")
    assert first.returncode == 0, first.stderr
    record = only_session()
    assert not record.finished
    assert Msg.RESUME_HOW.format(session=record.id) in first.stdout
    assert [e.text for e in record.entries] == ["one", "two"]

    second = cli("resume", "--text", input=typed("three", "four"))
    assert second.returncode == 0, second.stderr
    assert Msg.RESUMED.format(number=2, total=3, title="Second part") in second.stdout
    assert "Welcome to a short test session." not in second.stdout
    assert "Question: What happened?" not in second.stdout
    record = only_session()
    assert record.finished
    assert [(e.step, e.prompt, e.text) for e in record.entries] == [
        ("first", 0, "one"), ("first", 1, "two"), ("second", 0, "three"),
        ("second", 1, "four")]


def test_end_of_input_saves_the_unfinished_answer(cli, small_guide: str) -> None:
    done = cli("run", "--text", small_guide, input=typed("me") + "cut off by the pipe")
    assert done.returncode == 0, done.stderr
    entry = only_session().entries[0]
    assert (entry.text, entry.ended) == ("cut off by the pipe", "end-of-input")


def test_resume_of_a_finished_session_says_so(cli, small_guide: str) -> None:
    cli("run", "--text", small_guide, input=typed("me", "a", "b", "c", "d"))
    record = only_session()
    assert record.finished
    again = cli("resume", "--text", record.id, input="")
    assert again.returncode == 0
    assert Msg.ALREADY_FINISHED.format() in again.stdout
    assert only_session().path.read_bytes() == record.path.read_bytes()


def test_nothing_to_resume_is_one_sentence(cli) -> None:
    done = cli("resume", "--text", input="")
    assert done.returncode == 1
    assert done.stderr.strip() == Msg.NOTHING_TO_RESUME.format()


def test_unknown_guide_is_one_sentence(cli) -> None:
    done = cli("run", "--text", "no-such-guide", input="")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "no-such-guide" in done.stderr
    assert not paths().journal_dir.exists() or not any(paths().journal_dir.iterdir())


def test_encrypted_typed_session_and_resume(cli, small_guide: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"REFLECT_PASSPHRASE": "correct horse"}
    first = cli("run", "--text", "--encrypt", small_guide,
                input=typed("me", "a secret answer") + "stop\n", env=env)
    assert first.returncode == 0, first.stderr
    (path,) = paths().journal_dir.iterdir()
    assert b"secret" not in path.read_bytes()
    second = cli("resume", "--text", input=typed("x", "y", "z"), env=env)
    assert second.returncode == 0, second.stderr
    monkeypatch.setenv("REFLECT_PASSPHRASE", "correct horse")
    (record,) = open_journal().sessions()
    assert record.finished
    assert [e.text for e in record.entries] == ["a secret answer", "x", "y", "z"]
