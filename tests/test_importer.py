"""`reflect guides import`: an article copied from a web page becomes a guide skeleton, with
the sections in order, none of the page debris, and YAML that passes `guides check`.

The articles in tests/data/guides/ were written for these tests, debris and all."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import guides as guide
from assistant.errors import EXIT_BAD_INPUT
from assistant.guides import importer
from assistant.messages import Msg

DATA = Path(__file__).parent / "data" / "guides"

# Page furniture in the test articles; none of it may reach the guide.
DEBRIS = ["Hearthside", "logo", "Sign in", "Sign up", "Published", "min read", "Follow",
          "Share", "Unsplash", "Advertisement", "siblings reconciliation", "About the Author",
          "writes about", "notebooks", "Comments", "Be the first", "Related Stories",
          "parents stop speaking", "Facebook", "Privacy", "Terms of Use", "Contact", "©",
          "rights reserved", "Skip to content", "Thanks for reading", "Subscribe",
          "Written by", "everyday courage", "Copyright", "http", "](", "**", "*No*", "---"]


def imported(cli, tmp_path: Path, article: str) -> tuple[Path, guide.Guide]:
    out = tmp_path / "made.yaml"
    result = cli("guides", "import", str(DATA / article), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == Msg.IMPORT_DONE.format(path=out, id=guide.load(out).id,
                                                   steps=len(guide.load(out).steps)) + "\n"
    check = cli("guides", "check", str(out))
    assert check.returncode == 0, check.stderr
    return out, guide.load(out)


def test_a_plain_text_article_becomes_steps_in_order(cli, tmp_path: Path) -> None:
    out, made = imported(cli, tmp_path, "article.txt")
    assert made.id == "making-peace-with-a-sibling-after-years-of"
    assert made.title == "Making Peace With a Sibling After Years of Silence"
    assert made.source == "Making Peace With a Sibling After Years of Silence, by Marta Okonkwo"
    assert [s.title for s in made.steps] == [
        "Making Peace With a Sibling After Years of Silence",  # the text before any heading
        "Notice the story you tell",
        "Start small",  # "1. " numbering dropped
        "What if they do not answer?",  # a question can be a heading
        "Keep your own footing",
        "Final word",
    ]
    assert [s.id for s in made.steps][1:3] == ["notice-the-story-you-tell", "start-small"]
    opening, story, small, *_ = made.steps
    assert opening.say == (
        "A few honest ways to start talking again when too much time has passed.\n"
        "Brothers and sisters often know exactly where the old bruises are. When a quarrel "
        "hardens into years of silence, both people usually tell themselves a tidy story "
        "about who started it.\n"
        "This piece is for anyone who misses a sibling but has no idea where to begin.")
    assert story.say.startswith("Every long silence comes with a script. You may have")
    assert small.say.endswith("Some small openings that people find easier:\n"
                              "a photo from childhood\na question about their kids\n"
                              '"I thought of you today"')
    assert made.steps[-1].say == ("Whatever happens, reaching out says something about who "
                                  "you want to be: someone who leaves the door open.")
    for step in made.steps:
        assert [p.ask for p in step.prompts] == [Msg.IMPORT_ASK_RELATE.format(),
                                                 Msg.IMPORT_ASK_TRY.format()]
    text = out.read_text(encoding="utf-8")
    for debris in DEBRIS:
        assert debris not in text, debris


def test_a_markdown_article_becomes_steps_in_order(cli, tmp_path: Path) -> None:
    out, made = imported(cli, tmp_path, "article.md")
    assert made.title == "Saying No Without Burning Bridges"
    assert made.source == "Saying No Without Burning Bridges, by Ade Mensah"
    assert [s.title for s in made.steps] == [
        "Saying No Without Burning Bridges", "Know what you are protecting",
        "Say it once, plainly", "Leave the door open"]
    assert made.steps[0].say == (  # "Read more in our guide to boundaries." is a promo
        "Saying no to someone you love can feel like a betrayal of the relationship. It is "
        "usually the opposite: a clear no keeps a yes honest.")
    assert made.steps[1].say.endswith("\nIt is easier to be kind when you are not resentful.")
    assert made.steps[-1].say == ('If you would like to help another way, say so: "I can\'t '
                                  'lend money, but I can come over and look at the budget '
                                  'with you."')
    text = out.read_text(encoding="utf-8")
    for debris in DEBRIS:
        assert debris not in text, debris


# Page furniture in the articles below; none of it may reach the guide.
WEB_DEBRIS = ["Skip to main content", "Menu", "Home", "Blog", "Recipes", "Sign in",
              "Get the app", "Subscribe", "Streetwise", "cookies", "min read", "Share on",
              "Tweet", "Pin it", "Email", "Read more", "sleeping better", "sourdough starters",
              "Related", "slow walks", "About the author", "small routines", "Leave a comment",
              "email address", "Required fields", "Website", "You may also like",
              "newsletter", "Written by", "Followers", "on weekdays", "Responses", "Mia",
              "flat", "starter alive", "Rye", "Clap", "Follow", "Happy baking", "©", "Crumb",
              "rights reserved", "http", "](", "*"]


def assert_no_debris(out: Path, made: guide.Guide, author: str) -> None:
    text = out.read_text(encoding="utf-8")
    for debris in WEB_DEBRIS:
        assert debris not in text, debris
    for step in made.steps:  # the author's name belongs in `source` only
        assert author not in step.title + step.say, author


def test_a_web_page_in_markdown_loses_its_nav_share_bar_bio_and_comment_form(
        cli, tmp_path: Path) -> None:
    out, made = imported(cli, tmp_path, "evening-walk.md")
    assert made.title == "Making a Habit of the Evening Walk"  # the H1, not "Menu" or a nav
    assert made.source == "Making a Habit of the Evening Walk, by Lena Ford"
    assert [(s.title, s.say.split("\n")) for s in made.steps] == [
        ("Making a Habit of the Evening Walk",
         ["An evening walk is the cheapest habit you will ever keep. It asks for shoes, twenty "
          "minutes and a door, and it gives back a quieter head."]),
        ("Pick a fixed route", ["Choose a loop you can walk without thinking. When the route "
                                "is decided, the only question left each evening is whether "
                                "to go."]),
        ("Leave the phone in your pocket", ["Listen to the street instead. Most people find "
                                            "that the first ten minutes are noisy in their "
                                            "head and the rest are calm."]),
        ("Walk with someone, sometimes",
         ["Company turns a habit into a date. A neighbour, a parent on the phone, a dog.",
          "Bring a friend",  # a short line in a Markdown article is text, not a heading
          "Once a week is enough; the other evenings are yours.",
          "On rainy days"]),  # a heading with no text under it is kept as text
        ("Take the short loop", ["A ten-minute walk in the rain still counts. Dry socks "
                                 "afterwards are the reward."]),
    ]
    assert_no_debris(out, made, "Lena Ford")


def test_a_web_page_in_plain_text_loses_its_nav_share_bar_bio_and_responses(
        cli, tmp_path: Path) -> None:
    out, made = imported(cli, tmp_path, "first-loaf.txt")
    assert made.title == "Baking Your First Loaf of Bread"
    assert made.source == "Baking Your First Loaf of Bread, by Tom Alder"
    assert [s.title for s in made.steps] == [
        "Baking Your First Loaf of Bread", "Weigh, do not scoop", "Give it time",
        "Thank you all",  # in plain text a short line is a heading, and its text stays
        "Bake until it sounds hollow"]
    assert made.steps[2].say == ("Let the dough rise until it has doubled. Cold kitchens are "
                                 "slower; that is fine.")
    assert made.steps[3].say == ("Many of you wrote in after last week's post, and most of the "
                                 "questions were about the oven: preheat it for longer than "
                                 "you think.")
    assert made.steps[-1].say == "Tap the bottom of the loaf. A hollow knock means it is done."
    assert_no_debris(out, made, "Tom Alder")


@pytest.mark.parametrize("marker", [
    "## About the author", "## Comments", "### Leave a comment", "**Responses (4)**",
    "Written by Ines Marr\n1.2K Followers", "Your email address will not be published.",
    "Related posts\nHow to fold towels"])
def test_an_end_marker_stops_the_article_in_any_dress(tmp_path: Path, marker: str) -> None:
    article = (f"# Tidy Drawers\n\n## Empty it first\n\nTip everything out.\n\n{marker}\n"
               "Ines sorts things for a living.\n\nName * Email * Website\n")
    made = guide.parse(importer.convert(article, tmp_path / "a.md"), "a.yaml")
    assert [(s.title, s.say) for s in made.steps] == [("Empty it first", "Tip everything out.")]


@pytest.mark.parametrize("header", [
    "Home | Blog | Sign in", "Skip to main content\n\nMenu\n\nSign in", "Get the app",
    "Tidy Life\n\nSubscribe", "Home · Rooms · Kitchen", "Share on Facebook / Tweet / Email"])
def test_the_title_survives_a_nav_line_above_it(tmp_path: Path, header: str) -> None:
    for name, title in (("a.md", "# Tidy Drawers"), ("a.txt", "Tidy Drawers")):
        if name == "a.txt" and header.startswith("Tidy Life"):
            continue  # a plain short line above the title cannot be told from the title
        article = f"{header}\n\n{title}\n\nTip everything out.\n"
        made = guide.parse(importer.convert(article, tmp_path / name), "a.yaml")
        assert (made.title, [(s.title, s.say) for s in made.steps]) == (
            "Tidy Drawers", [("Tidy Drawers", "Tip everything out.")]), name


def test_a_heading_with_no_text_under_it_is_kept_as_text(tmp_path: Path) -> None:
    article = ("Tidy Drawers\n\nTip everything out.\n\nSorting\n\nKeep, give, bin\n\n"
               "Three piles, no maybes.\n\nThe last drawer\n\nThank you all\n\n"
               "Putting back\n\nOnly what you use goes back in.\n\ndrawers home tidy\n")
    made = guide.parse(importer.convert(article, tmp_path / "a.txt"), "a.yaml")
    assert [(s.title, s.say) for s in made.steps] == [
        ("Tidy Drawers", "Tip everything out.\nSorting"),
        ("Keep, give, bin", "Three piles, no maybes."),
        ("The last drawer", "Thank you all"),  # judged from the end back
        ("Putting back", "Only what you use goes back in.")]  # the tag line goes


def test_the_yaml_is_made_to_be_edited_by_hand(cli, tmp_path: Path) -> None:
    out, _ = imported(cli, tmp_path, "article.txt")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Made by `reflect guides import` from article.txt.")
    assert "    say: >" in lines and "intro: >" in lines and "outro: >" in lines
    assert max(len(line) for line in lines if not line.lstrip().startswith("- ask:")) <= 90
    assert '    title: "Notice the story you tell"' in lines


def test_awkward_characters_still_give_valid_yaml(tmp_path: Path) -> None:
    article = ("Title: with a colon\n\n#hashtag is not a heading\n\n"
               '- "quoted" start, a \\ backslash, a tab\there, a bell \x07 and: "colons":\n\n'
               "Odd \u2028 separators\n\n"
               "& | > ! % @ symbols that YAML treats specially, at the start.\n")
    text = importer.convert(article, tmp_path / "odd.txt")
    made = guide.parse(text, "odd.yaml")
    assert made.title == "Title: with a colon"
    says = " ".join(s.say for s in made.steps)
    assert [s.title for s in made.steps] == ["#hashtag is not a heading"]
    assert "Odd separators" in says
    assert '"quoted" start, a \\ backslash, a tab here, a bell  and: "colons":' in says
    assert "& | > ! % @ symbols" in says


def test_lines_of_a_wrapped_paragraph_are_never_taken_for_debris(tmp_path: Path) -> None:
    paragraph = ("We argued on Monday and said nothing for days.\n"
                 "By Friday we had both calmed down, and I posted\n"
                 "a short note; she wrote back an hour later asking to read\n"
                 "more.")
    made = guide.parse(importer.convert(f"Title\n\n{paragraph}\n\nFollow\n\nEnd\n\nBye.\n",
                                        tmp_path / "a.txt"), "a.yaml")
    assert [(s.title, s.say) for s in made.steps] == [
        ("Title", " ".join(paragraph.split("\n"))), ("End", "Bye.")]


def test_an_article_without_headings_is_one_step(tmp_path: Path) -> None:
    made = guide.parse(importer.convert("One paragraph.\n\nAnother one.\n",
                                        tmp_path / "my_notes.txt"), "x.yaml")
    assert (made.id, made.title) == ("my-notes", "my notes")
    assert [(s.title, s.say) for s in made.steps] == [
        ("my notes", "One paragraph.\nAnother one.")]


@pytest.mark.parametrize("content", ["", "\n\n", "Sign in\n\n© 2026 Nobody\n"])
def test_an_article_with_no_text_is_refused(cli, tmp_path: Path, content: str) -> None:
    article = tmp_path / "empty.txt"
    article.write_text(content, encoding="utf-8")
    out = tmp_path / "out.yaml"
    result = cli("guides", "import", str(article), "-o", str(out))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == Msg.IMPORT_NO_TEXT.format(path=article) + "\n"
    assert not out.exists()


def test_an_article_too_long_for_one_guide_is_refused(cli, tmp_path: Path) -> None:
    article = tmp_path / "long.md"
    article.write_text("# Long\n\n" + "- a list item\n" * 70_000, encoding="utf-8")
    out = tmp_path / "out.yaml"
    result = cli("guides", "import", str(article), "-o", str(out))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == Msg.IMPORT_TOO_BIG.format(path=article) + "\n"
    assert not out.exists()


def test_an_existing_guide_is_not_overwritten_without_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("my edits\n", encoding="utf-8")
    result = cli("guides", "import", str(DATA / "article.md"), "-o", str(out))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == Msg.IMPORT_EXISTS.format(path=out) + "\n"
    assert out.read_text(encoding="utf-8") == "my edits\n"
    result = cli("guides", "import", str(DATA / "article.md"), "-o", str(out), "--force")
    assert result.returncode == 0 and guide.load(out).id == "saying-no-without-burning-bridges"
    assert not list(tmp_path.glob(".mine.yaml.*"))  # no temporary file left behind


def test_bad_articles_and_targets_are_one_sentence_and_status_2(cli, tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 talk\n\nA paragraph.\n".encode("latin-1"))
    result = cli("guides", "import", str(latin), "-o", str(tmp_path / "a.yaml"))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == (f"{latin}:1: the text is not UTF-8 (byte 0xe9); save the file "
                             "as UTF-8 and try again.\n")
    result = cli("guides", "import", str(DATA / "article.md"),
                 "-o", str(tmp_path / "no-such-dir" / "a.yaml"))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.startswith(f"Cannot write {tmp_path / 'no-such-dir' / 'a.yaml'}: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a.yaml").exists()


def test_a_failed_write_leaves_no_temp_file_beside_the_target(cli, tmp_path: Path) -> None:
    """The guide is written to a temp file and renamed; if the rename fails (the target is
    a folder), the temp file holding the whole guide is removed, not left behind."""
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("a file of the user's")
    result = cli("guides", "import", str(DATA / "article.md"), "-o", str(target), "--force")
    assert result.returncode == EXIT_BAD_INPUT and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Cannot write {target}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
