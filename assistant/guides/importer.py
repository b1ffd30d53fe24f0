"""Turn an article (plain text copied from a web page, or Markdown) into a guide skeleton.

Headings become steps, the paragraphs under them the narration, and each step gets two
starter questions; how the article is read, and what of the page is left out, is
article.py's. The YAML is written by hand (folded block scalars for narration, one quoted
line per title and question) so that it stays pleasant to edit.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from assistant import files
from assistant.errors import BadInput
from assistant.guides.article import Article, parse
from assistant.guides.loader import MAX_BYTES
from assistant.messages import Msg

WRAP = 88


def convert(text: str, source: Path) -> str:
    """The guide YAML for the article `text` read from `source`."""
    article = parse(text, fallback_title=source.stem.replace("-", " ").replace("_", " "))
    if not article.sections:
        raise BadInput(Msg.IMPORT_NO_TEXT, path=source)
    made = render(article, source.name)
    if len(made.encode("utf-8")) > MAX_BYTES:  # a guide that `guides check` would refuse
        raise BadInput(Msg.IMPORT_TOO_BIG, path=source)
    return made


def slug(text: str, taken: set[str]) -> str:
    """A short id of lowercase letters, digits and dashes, not yet in `taken` (added)."""
    base = files.slug(text, 48, "part")
    found, n = base, 2
    while found in taken:
        found, n = f"{base}-{n}", n + 1
    taken.add(found)
    return found


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON strings are YAML double-quoted strings


def _folded(key: str, text: str, indent: int) -> list[str]:
    """`key: >` with the text wrapped; a blank line between paragraphs, as YAML folds it."""
    pad = " " * (indent + 2)
    lines = [f"{' ' * indent}{key}: >"]
    for n, paragraph in enumerate(p for p in text.split("\n") if p.strip()):
        if n:
            lines.append("")
        lines += textwrap.wrap(paragraph, WRAP - len(pad), initial_indent=pad,
                               subsequent_indent=pad, break_on_hyphens=False,
                               break_long_words=False)
    return lines


def render(article: Article, source_name: str) -> str:
    taken: set[str] = set()
    source = article.title + (f", by {article.author}" if article.author else "")
    lines = [*Msg.IMPORT_HEADER.format(article=source_name).split("\n"),
             f"id: {slug(article.title, set())}",
             f"title: {_quoted(article.title)}",
             "language: en",
             f"source: {_quoted(source)}",
             *_folded("intro", Msg.IMPORT_INTRO.format(title=article.title), 0),
             "steps:"]
    for section in article.sections:
        lines += [f"  - id: {slug(section.title, taken)}",
                  f"    title: {_quoted(section.title)}",
                  *_folded("say", "\n".join(section.paragraphs), 4),
                  "    prompts:",
                  f"      - ask: {_quoted(Msg.IMPORT_ASK_RELATE.format())}",
                  f"      - ask: {_quoted(Msg.IMPORT_ASK_TRY.format())}"]
    lines += _folded("outro", Msg.IMPORT_OUTRO.format(), 0)
    return "\n".join(lines) + "\n"
