"""Guide loading and validation: every kind of bad guide is refused with exit status 2, a
message naming file, line and key path, no traceback, and nothing written anywhere."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant import guides as guide
from assistant.errors import EXIT_BAD_INPUT, ReflectError
from assistant.text.commands import Commands

GOOD = """\
id: evening
title: An evening check-in
intro: A few quiet questions.
choose:
  id: mood
  ask: Calm or restless?
  options:
    calm: [calm, fine]
    restless: [restless, "no"]
steps:
  - id: today
    title: Today
    say: |
      Think about your day.
    pause: 1.5
    prompts:
      - ask: What went well?
      - ask: What kept you busy?
        for: restless
      - ask: What helped you rest?
        for: [calm]
  - id: tomorrow
    title: Tomorrow
    say: Only narration here.
outro: Good night.
"""


def write(tmp_path: Path, text: str | bytes, name: str = "guide.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def files_under(*roots: Path) -> set[Path]:
    return {p for root in roots if root.exists() for p in root.rglob("*")}


def test_a_good_guide_loads_into_the_dataclasses(tmp_path: Path) -> None:
    g = guide.load(write(tmp_path, GOOD))
    assert (g.id, g.title, g.language, g.intro, g.outro) == (
        "evening", "An evening check-in", "en", "A few quiet questions.", "Good night.")
    assert g.choose == guide.Choice("mood", "Calm or restless?",
                                    {"calm": ("calm", "fine"), "restless": ("restless", "no")})
    today, tomorrow = g.steps
    assert today.say == "Think about your day." and today.pause == 1.5
    assert [p.roles for p in today.prompts] == [(), ("restless",), ("calm",)]
    assert [i for i, _ in today.prompts_for("calm")] == [0, 2]
    assert tomorrow.prompts == () and tomorrow.say == "Only narration here."
    assert g.path == tmp_path / "guide.yaml" and not g.bundled


def test_only_id_title_and_one_step_are_required(tmp_path: Path) -> None:
    g = guide.load(write(tmp_path, "id: tiny\ntitle: Tiny\nsteps: [{id: a, title: A, say: Hi}]"))
    assert g.language == "en" and g.choose is None and g.intro == "" and len(g.steps) == 1


def test_text_is_kept_as_written_not_as_yaml_guesses_it(tmp_path: Path) -> None:
    g = guide.load(write(tmp_path, "id: t\ntitle: 1.10\nsteps:\n  - {id: a, title: no, say: on}\n"))
    assert (g.title, g.steps[0].title, g.steps[0].say) == ("1.10", "no", "on")


def test_a_guide_adds_command_phrases_one_or_a_list(tmp_path: Path) -> None:
    g = guide.load(write(tmp_path, GOOD + "commands:\n  skip: [pass it, nope]\n"
                                          "  stop: good night\n"))
    assert g.commands == {"skip": ("pass it", "nope"), "stop": ("good night",)}
    commands = Commands(g.language, extra=g.commands)
    assert commands.match("pass it") == "skip" and commands.match("good night") == "stop"
    assert guide.load(write(tmp_path, GOOD)).commands == {}


# Each bad guide: (file text, what the message must say). Lines are checked too, as
# "guide.yaml:LINE: key.path: ...".
BAD = {
    "unknown key, with the close one suggested": (
        GOOD.replace("    prompts:", "    promtps:"),
        ["guide.yaml:16: steps[0]: unknown key `promtps` (did you mean `prompts`?)"]),
    "unknown top-level key": (
        GOOD.replace("outro:", "outtro:"),
        ["guide.yaml:25: unknown key `outtro` (did you mean `outro`?)"]),
    "wrong type: text where a list belongs": (
        "id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n    prompts: What went well?\n",
        ["guide.yaml:6: steps[0].prompts: expected a list (lines starting with -), "
         "found `What went well?`"]),
    "wrong type: a list where text belongs": (
        GOOD.replace("title: Today", "title: [To, day]"),
        ["guide.yaml:12: steps[0].title: expected text, found a list"]),
    "wrong type: a question that is not a mapping": (
        GOOD.replace("      - ask: What went well?", "      - What went well?"),
        ["guide.yaml:17: steps[0].prompts[0]: expected a mapping (key: value lines), "
         "found `What went well?`"]),
    "wrong type: pause that is not a number": (
        GOOD.replace("pause: 1.5", "pause: a while"),
        ["guide.yaml:15: steps[0].pause: expected a number of seconds from 0 to 60, "
         "found `a while`"]),
    "a pause that only looks like a number": (
        GOOD.replace("pause: 1.5", "pause: 0x_"),
        ["guide.yaml:15: steps[0].pause: expected a number of seconds from 0 to 60, "
         "found `0x_`"]),
    "a pause tagged as a number that is not one": (
        GOOD.replace("pause: 1.5", "pause: !!int abc"),
        ["guide.yaml:15: steps[0].pause: expected a number of seconds from 0 to 60"]),
    "a pause with too many digits to read": (
        GOOD.replace("pause: 1.5", "pause: " + "9" * 5000),
        ["guide.yaml:15: steps[0].pause: expected a number of seconds from 0 to 60"]),
    "empty text": (
        GOOD.replace("What went well?", '""'),
        ["guide.yaml:17: steps[0].prompts[0].ask: the text is empty"]),
    "empty title": (
        GOOD.replace("title: Tomorrow", "title:"),
        ["guide.yaml:23: steps[1].title: the text is empty"]),
    "duplicate step ids": (
        GOOD.replace("id: tomorrow", "id: today"),
        ["guide.yaml:22: steps[1].id: the step id `today` is already used by steps[0]"]),
    "`for` naming an option choose does not define": (
        GOOD.replace("for: restless", "for: anxious"),
        ["guide.yaml:19: steps[0].prompts[1].for: `anxious` is not an option of `choose`; "
         "expected one of: calm, restless"]),
    "`for` without any choose block": (
        GOOD.replace("choose:\n  id: mood\n  ask: Calm or restless?\n  options:\n"
                     "    calm: [calm, fine]\n    restless: [restless, \"no\"]\n", ""),
        ["guide.yaml:13: steps[0].prompts[1].for: `restless` is named here, but the guide "
         "has no `choose` block", "guide.yaml:15: steps[0].prompts[2].for: `calm`"]),
    "choose with no options": (
        GOOD.replace("  options:\n    calm: [calm, fine]\n    restless: [restless, \"no\"]\n",
                     "  options: {}\n"),
        ["guide.yaml:7: choose.options: `choose` needs at least two options, found 0"]),
    "an option with no words": (
        GOOD.replace("calm: [calm, fine]", "calm: []"),
        ["guide.yaml:8: choose.options.calm: expected at least one word or phrase"]),
    "guide id outside [a-z0-9-]": (
        GOOD.replace("id: evening", "id: ../Evening"),
        ["guide.yaml:1: id: `../Evening` is not a usable id; use lowercase letters, digits "
         "and dashes"]),
    "step id outside [a-z0-9-]": (
        GOOD.replace("id: tomorrow", "id: Tomorrow Night"),
        ["guide.yaml:22: steps[1].id: `Tomorrow Night` is not a usable id"]),
    "missing required keys": (
        "intro: Hello\n",
        ["guide.yaml:1: `id` is missing", "guide.yaml:1: `title` is missing",
         "guide.yaml:1: `steps` is missing"]),
    "no steps": (
        "id: a\ntitle: A\nsteps: []\n",
        ["guide.yaml:3: steps: expected at least one step"]),
    "a step with nothing to say or ask": (
        "id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n",
        ["guide.yaml:4: steps[0]: this step has neither `say` nor `prompts`"]),
    "a key given twice": (
        GOOD.replace("outro: Good night.", "outro: Good night.\noutro: Bye."),
        ["guide.yaml:26: outro: `outro` is given twice"]),
    "bad language code": (
        GOOD.replace("intro:", "language: English\nintro:"),
        ["guide.yaml:3: language: `English` is not a language code"]),
    "not YAML at all": (
        "id: a\ntitle: [unclosed\nsteps: 3\n",
        ["guide.yaml:3: this is not valid YAML"]),
    "two documents in one file": (
        "id: a\n---\nid: b\n", ["guide.yaml:2: this is not valid YAML: but found another"]),
    "a control character": (
        "id: a\ntitle: A\x07\nsteps: []\n",
        ["guide.yaml:2: this is not valid YAML: unacceptable character #x0007"]),
    "an escape for a character that cannot be shown or spoken": (
        'id: a\ntitle: "A\\ud800"\nsteps: [{id: s, title: S, say: Hi}]\n',
        ["guide.yaml:2: title: the text holds the character U+D800"]),
    "an empty file": (
        "", ["guide.yaml:1: the file is empty"]),
    "a top level that is not a mapping": (
        "- just\n- a list\n",
        ["guide.yaml:1: expected a mapping (key: value lines), found a list"]),
    "a command that does not exist": (
        GOOD + "commands:\n  skipp: [pass it]\n",
        ["guide.yaml:27: commands: unknown key `skipp` (did you mean `skip`?); the keys "
         "allowed here are: finish, repeat, skip"]),
    "a command with no phrases": (
        GOOD + "commands:\n  skip: []\n",
        ["guide.yaml:27: commands.skip: expected at least one phrase for this command"]),
    "a command phrase that is not text": (
        GOOD + "commands:\n  stop: [good night, [bye]]\n",
        ["guide.yaml:27: commands.stop[1]: expected text, found a list"]),
    "an empty command phrase": (
        GOOD + "commands:\n  stop:\n",
        ["guide.yaml:27: commands.stop: the text is empty"]),
    "commands that are not a mapping": (
        GOOD + "commands: [skip, stop]\n",
        ["guide.yaml:26: commands: expected a mapping (key: value lines), found a list"]),
    "nesting deeper than any guide needs": (
        "[" * 5000 + "]" * 5000 + "\n",
        ["guide.yaml:1: the YAML is nested more than 16 levels deep"]),
}


@pytest.mark.parametrize("text,expected", BAD.values(), ids=BAD.keys())
def test_bad_guides_are_refused_through_the_cli(cli, tmp_path: Path, reflect_home: Path,
                                                text: str, expected: list[str]) -> None:
    path = write(tmp_path, text)
    before = files_under(tmp_path, reflect_home)
    result = cli("guides", "check", str(path))
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    message = result.stderr.replace(str(tmp_path) + "/", "")
    assert message.startswith("guide.yaml is not a usable guide; fix the ")
    for part in expected:
        assert part in message, message
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert files_under(tmp_path, reflect_home) == before


def test_all_problems_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = GOOD.replace("id: evening", "id: Evening").replace("for: restless", "for: x") \
        .replace("title: Tomorrow", "titel: Tomorrow")
    with pytest.raises(guide.GuideError) as caught:
        guide.load(write(tmp_path, text))
    lines = [p.split(":")[1] for p in caught.value.problems]
    assert len(caught.value.problems) == 4  # bad id, unknown option, unknown key, no title
    assert lines == sorted(lines, key=int)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "fix the 4 problems below" in str(caught.value)


TAGS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
    "!!python/name:os.system",
    "!custom {marker}",
]


@pytest.mark.parametrize("tag", TAGS)
def test_object_constructing_tags_are_refused_without_running_anything(
        cli, tmp_path: Path, reflect_home: Path, tag: str) -> None:
    marker = tmp_path / "ran"
    text = GOOD.replace("outro: Good night.", "outro: " + tag.format(marker=marker))
    path = write(tmp_path, text)
    before = files_under(tmp_path, reflect_home)
    started = time.perf_counter()
    with pytest.raises(guide.GuideError):
        guide.load(path)
    assert time.perf_counter() - started < 0.5  # a guard against running anything slow
    result = cli("guides", "check", str(path))
    assert result.returncode == EXIT_BAD_INPUT
    assert ":25: outro: the YAML tag !" in result.stderr and "is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists() and files_under(tmp_path, reflect_home) == before


BOMB = """\
id: lol
title: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_is_refused_before_anything_expands(cli, tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)
    started = time.perf_counter()
    with pytest.raises(guide.GuideError) as caught:
        guide.load(path)
    # A guard, not a benchmark: expanding these 9**9 strings would take minutes and GBs.
    assert time.perf_counter() - started < 1.0
    assert caught.value.problems == [
        f"{path}:2: anchors and aliases (&name, *name) are not allowed in guides; write the "
        "text out in full"]
    result = cli("guides", "check", str(path))
    assert result.returncode == EXIT_BAD_INPUT and "anchors and aliases" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_over_one_mib_is_refused_before_parsing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "#" * (1024 * 1024) + "\n")
    result = cli("guides", "check", str(path))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.strip() == (f"{path}: the file is larger than 1 MiB; Reflect reads "
                                     "guides and articles up to 1 MiB.")


def test_text_that_is_not_utf8_is_refused_with_its_line(cli, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("Good night.", "Bonne nuit, caf\xe9.")
                 .encode("latin-1"))
    result = cli("guides", "check", str(path))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.strip() == (f"{path}:25: the text is not UTF-8 (byte 0xe9); save "
                                     "the file as UTF-8 and try again.")


def test_a_missing_file_is_one_sentence_and_status_2(cli, tmp_path: Path) -> None:
    result = cli("guides", "check", str(tmp_path / "nope.yaml"))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.startswith(f"Cannot read {tmp_path / 'nope.yaml'}: ")
    assert result.stderr.count("\n") == 1


def test_check_reports_each_file_and_fails_if_any_fails(cli, tmp_path: Path) -> None:
    good = write(tmp_path, GOOD, "good.yaml")
    bad = write(tmp_path, GOOD.replace("id: tomorrow", "id: today"), "bad.yaml")
    result = cli("guides", "check", str(good), str(bad))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stdout == (f"{good}: a valid guide, `evening`, with 2 steps and "
                             "3 questions.\n")
    assert f"{bad} is not a usable guide" in result.stderr
    assert cli("guides", "check", str(good)).returncode == 0


def test_the_users_guides_folder_is_listed_and_found_first(cli, reflect_home: Path) -> None:
    from assistant import config

    folder = config.paths().guides_dir
    folder.mkdir(parents=True)
    (folder / "evening.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "mine.yaml").write_text(
        GOOD.replace("id: evening", "id: rebuilding-trust").replace("An evening", "My own"),
        encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\n", encoding="utf-8")

    skipped: list[ReflectError] = []
    found = guide.available(skipped)
    assert [(g.id, g.bundled) for g in found] == [
        ("rebuilding-trust", True), ("rebuilding-trust-ko", True), ("evening", False),
        ("rebuilding-trust", False)]
    assert [str(e.fields["path"]) for e in skipped] == [str(folder / "broken.yaml")]
    assert guide.find("rebuilding-trust").title == "My own check-in"  # the user's wins
    assert guide.find("evening").path == folder / "evening.yaml"

    result = cli("guides", "list")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "rebuilding-trust: Rebuilding trust after betrayal (en, 10 steps, comes with Reflect)",
        "rebuilding-trust-ko: 배신 뒤에 신뢰를 다시 쌓기 (ko, 10 steps, comes with Reflect)",
        f"evening: An evening check-in (en, 2 steps, yours, in {folder / 'evening.yaml'})",
        f"rebuilding-trust: My own check-in (en, 2 steps, yours, in {folder / 'mine.yaml'})",
        f"Put your own guides (YAML files) in {folder}.",
    ]
    assert result.stderr == (f"Left out {folder / 'broken.yaml'}, which has problems; "
                             f"`reflect guides check {folder / 'broken.yaml'}` lists them.\n")

    # A broken file named like the id is shown, not silently passed over.
    result = cli("guides", "show", "broken")
    assert result.returncode == EXIT_BAD_INPUT and "`title` is missing" in result.stderr


def test_an_unknown_guide_id_names_guides_list(cli) -> None:
    result = cli("guides", "show", "no-such-guide")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == ("There is no guide called `no-such-guide`; `reflect guides list` "
                             "shows the guides you have.\n")


def test_show_prints_plain_lines_with_role_tagged_questions(cli, tmp_path: Path) -> None:
    result = cli("guides", "show", str(write(tmp_path, GOOD)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "An evening check-in (guide evening, language en, 2 steps)",
        "Introduction: A few quiet questions.",
        "Choice, asked before step 1: Calm or restless? Options: calm, restless.",
        "",
        "Step 1 of 2: Today (id today)",
        "Narration: Think about your day.",
        "Then 1.5 seconds of quiet.",
        "Question 1, for everyone: What went well?",
        "Question 2, for restless: What kept you busy?",
        "Question 3, for calm: What helped you rest?",
        "",
        "Step 2 of 2: Tomorrow (id tomorrow)",
        "Narration: Only narration here.",
        "",
        "Closing words: Good night.",
    ]
