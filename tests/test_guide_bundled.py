"""The guide that ships with Reflect: valid, complete for every role, and made to be heard."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from assistant import guides as guide
from assistant.text.commands import pick_option

BUNDLED = Path(guide.__file__).parent / "rebuilding-trust.yaml"
ARC = ["what-betrayal-does", "slow-to-relearn", "honest-talk", "responsibility", "boundaries",
       "time-and-patience", "self-trust", "openness", "new-moments", "closing"]


@pytest.fixture(scope="module")
def trust() -> guide.Guide:
    return guide.find("rebuilding-trust")


def test_it_passes_guides_check(cli) -> None:
    result = cli("guides", "check", str(BUNDLED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{BUNDLED}: a valid guide, `rebuilding-trust`, with 10 ")


def test_it_is_found_by_id_and_marked_as_bundled(trust: guide.Guide) -> None:
    assert trust.bundled and trust.path == BUNDLED
    assert [g.id for g in guide.available() if g.bundled] == [
        "rebuilding-trust", "rebuilding-trust-ko"]


def test_it_follows_the_whole_arc(trust: guide.Guide) -> None:
    assert [s.id for s in trust.steps] == ARC


def test_every_role_gets_two_or_three_questions_in_every_step(trust: guide.Guide) -> None:
    assert trust.choose is not None
    assert set(trust.choose.options) == {"hurt", "broke", "both"}
    for role in trust.choose.options:
        for step in trust.steps:
            asked = step.prompts_for(role)
            assert 2 <= len(asked) <= 3, (role, step.id, asked)
    # The questions really differ by role where the article speaks to one side.
    hurt, broke = ({p.ask for s in trust.steps for _, p in s.prompts_for(r)}
                   for r in ("hurt", "broke"))
    assert len(hurt - broke) >= 10 and len(broke - hurt) >= 10


def test_each_spoken_option_picks_its_role_and_no_other(trust: guide.Guide) -> None:
    """Uses the session's own matcher, so what the guide offers is what a user can say."""
    assert trust.choose is not None
    for role, phrases in trust.choose.options.items():
        assert len(phrases) >= 8, role  # generous: people answer in many ways
        for phrase in (role, *phrases):
            assert pick_option(trust.choose.options, phrase) == role, phrase
    assert pick_option(trust.choose.options, "the one who broke the trust") == "broke"
    assert pick_option(trust.choose.options, "I think I was the one who was hurt") == "hurt"
    assert pick_option(trust.choose.options, "honestly, a bit of both") == "both"


def spoken_words(text: str) -> int:
    return len(re.findall(r"[\w']+", text))


def test_narration_is_short_enough_to_listen_to(trust: guide.Guide) -> None:
    """About 20-60 seconds of speech each: 50-150 words at an unhurried pace."""
    for step in trust.steps:
        assert 50 <= spoken_words(step.say) <= 150, step.id
        sentences = [s for s in re.split(r"[.?!]\s", step.say) if s.strip()]
        assert max(spoken_words(s) for s in sentences) <= 30, step.id  # heard, not read
    for text in (trust.intro, trust.outro):
        assert 30 <= spoken_words(text) <= 150


def test_questions_are_open_ones(trust: guide.Guide) -> None:
    for step in trust.steps:
        for prompt in step.prompts:
            assert prompt.ask.endswith("?"), prompt.ask
            first = prompt.ask.split()[0].lower()
            assert first not in {"do", "did", "is", "are", "can", "have", "will"}, prompt.ask


def test_the_intro_is_gentle_and_honest_about_what_this_is(trust: guide.Guide) -> None:
    intro = " ".join(trust.intro.lower().split())
    assert "not therapy" in intro
    assert "say pause or stop at any time" in intro
    assert "nothing here asks you to forgive, or to stay together" in intro
    everything = " ".join([trust.intro, trust.outro, *(s.say for s in trust.steps),
                           *(p.ask for s in trust.steps for p in s.prompts)]).lower()
    for pressure in ("you must forgive", "you should forgive", "you have to forgive",
                     "must reconcile", "should reconcile", "get back together"):
        assert pressure not in everything


def test_show_reads_it_as_plain_role_tagged_lines(cli) -> None:
    result = cli("guides", "show", "rebuilding-trust")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Rebuilding trust after betrayal (guide rebuilding-trust, language en, " \
                       "10 steps)"
    assert "Step 4 of 10: Responsibility and amends (id responsibility)" in lines
    assert ("Question 1, for hurt: What would an apology need to include for you to "
            "believe it?") in lines
    assert "Question 6, for everyone: What do you wish the other person understood about " \
           "how slow this feels?" in lines
    assert not any("\t" in line or "\x1b" in line for line in lines)


def test_it_ships_in_the_wheel(tmp_path: Path) -> None:
    """The guide is package data, so `pip install reflect` gets it."""
    import os
    import shutil
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    src = tmp_path / "src"  # a copy: building leaves build/ and *.egg-info behind
    shutil.copytree(repo / "assistant", src / "assistant",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo / name, src / name)
    env = {**os.environ, "HOME": str(tmp_path / "home")}  # build tools leave files in HOME
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True,
                   env=env)
    (wheel,) = (tmp_path / "dist").glob("reflect-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("assistant/guides/rebuilding-trust.yaml") == BUNDLED.read_bytes()


def test_the_korean_guide_walks_the_same_arc_for_the_same_roles(trust: guide.Guide) -> None:
    """Its translation, step for step: the same ids and roles, so that a Korean session
    asks each role what the English one asks; every question is asked as one."""
    korean = guide.find("rebuilding-trust-ko")
    assert korean.bundled and korean.language == "ko"
    assert [s.id for s in korean.steps] == [s.id for s in trust.steps] == ARC
    assert [[p.roles for p in s.prompts] for s in korean.steps] == [
        [p.roles for p in s.prompts] for s in trust.steps]
    assert korean.choose is not None and trust.choose is not None
    assert korean.choose.options.keys() == trust.choose.options.keys()
    assert all(p.ask.rstrip().endswith("?") for s in korean.steps for p in s.prompts)
