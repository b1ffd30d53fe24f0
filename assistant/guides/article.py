"""Reading an article (plain text copied from a web page, or Markdown) into its title,
author and sections, in reading order, with the page's furniture (furniture.py) left out.

The text is read in blocks (runs of non-blank lines), by these rules:

- Debris goes a whole block at a time, and only if every line of it is page furniture, so a
  wrapped paragraph never loses a line; a repeat of the title goes too. A sentence that
  only points elsewhere goes even inside a paragraph.
- Title: the first Markdown `# ` heading, with only blocks holding a sentence kept from
  above it (the rest is the site's header); without one, the first block if a heading.
- End: once the article has begun, a block whose first line is an end marker (`#`s and
  emphasis aside) ends it.
- Headings: in a Markdown article (one with `#` headings) only those; in plain text also a
  short line without final punctuation. A heading needs text under it: one followed by
  another heading is read as a line of text (judged from the end back), and short lines
  after the last paragraph (tags, sign-offs) go. So no paragraph of the article is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.guides import furniture
from assistant.guides.checks import UNPRINTABLE

HEADING_WORDS = 12  # a plain-text heading is one short line without final punctuation


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Article:
    title: str
    author: str = ""
    sections: list[Section] = field(default_factory=list)


_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*")
_BULLET = re.compile(r"^([-*+•]|\d+[.)])\s+")
_SENTENCE = re.compile("[.!?\u2026][\"\u201d'\u2019)]*$")  # a line that ends a sentence
_NUMBERING = re.compile(r"^(step\s+)?\d+[.):]\s+", re.IGNORECASE)
_INLINE = [  # Markdown that should not be read aloud
    # (bounded repeats: an unclosed bracket must not make a long line quadratic)
    (re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)"), ""),  # images
    (re.compile(r"\[([^\]\n]{1,300})\]\([^)\n]{0,500}\)"), r"\1"),  # links keep their text
    (re.compile(r"<[^>\n]{1,300}>"), ""),  # stray HTML
    (re.compile(r"(\*\*|__|`)"), ""),
    (re.compile(r"(?<!\w)[*_]([^\s*_](?:[^*_\n]{0,200}?[^\s*_])?)[*_](?!\w)"), r"\1"),
]
Block = list[str]


def parse(text: str, fallback_title: str) -> Article:
    """Sections in reading order, each with its paragraphs; debris left out."""
    blocks = _blocks(_clean(text))
    markdown = any(_MD_HEADING.fullmatch(block[0]) for block in blocks)
    title, body = _title(blocks, markdown)
    body = _until_end(body, {title})
    author = next(filter(None, (furniture.author(block, title) for block in body)), "")
    known = {title, author} - {""}  # a line repeating the title is an image caption
    body = [block for block in body if not _is_furniture(block, known)]
    while body and _heading(body[-1]) is not None:  # tags and sign-offs
        body.pop()
    title = title or fallback_title
    return Article(title, author, _sections(body, title, markdown))


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n").replace("\t", " ").replace("\x85", " ")
    text = UNPRINTABLE.sub("", text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _blocks(text: str) -> list[Block]:
    """Runs of non-blank lines; a Markdown heading is always a block of its own."""
    blocks: list[Block] = [[]]
    for raw in text.split("\n"):
        line = raw.strip().removeprefix(">").strip()
        if not line or _MD_HEADING.fullmatch(line):
            blocks.append([line] if line else [])
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _is_furniture(block: Block, known: set[str]) -> bool:
    """Whether the whole block goes: every line debris or a known one, or nothing to read."""
    return (all(furniture.is_debris(line) or line in known for line in block)
            or not _paragraph(block))


def _title(blocks: list[Block], markdown: bool) -> tuple[str, list[Block]]:
    """The title ("" if none) and the blocks of the article after it."""
    for n, block in enumerate(blocks):
        title = _heading(block) if block[0].startswith("# ") else None
        if title:
            above = [b for b in blocks[:n] if any(_SENTENCE.search(line) for line in b)]
            return title, above + blocks[n + 1:]
    for n, block in enumerate(blocks):
        if not _is_furniture(block, set()):
            title = _step_heading(block, markdown)
            return (title, blocks[n + 1:]) if title else ("", blocks[n:])
    return "", []


def _until_end(blocks: list[Block], known: set[str]) -> list[Block]:
    """The blocks before the first end marker once the article's first paragraph is read."""
    begun = False
    for n, block in enumerate(blocks):
        if begun and furniture.ends_article(block[0]):
            return blocks[:n]
        begun = begun or (_heading(block) is None and not _is_furniture(block, known))
    return blocks


def _heading(block: Block) -> str | None:
    """The heading text if the block looks like one, else None."""
    if len(block) != 1:
        return None
    line = block[0]
    marked = _MD_HEADING.fullmatch(line)
    if marked:
        return _NUMBERING.sub("", marked.group(2), count=1) or None
    words = line.split()
    question = line.endswith("?") and len(words) >= 4  # "How important is ...?" titles
    if (len(words) <= HEADING_WORDS and not re.match(r"[-*+•]\s", line)
            and re.search(r"[^\W\d_]", line)
            and (question or not (furniture.ENDS_SENTENCE.search(line) or line.endswith("?")))):
        return _NUMBERING.sub("", line, count=1)
    return None


def _step_heading(block: Block, markdown: bool) -> str | None:
    """The heading text if the block is one here: a Markdown article marks all its headings."""
    return _heading(block) if not markdown or _MD_HEADING.fullmatch(block[0]) else None


def _sections(blocks: list[Block], opening: str, markdown: bool) -> list[Section]:
    """Steps from the blocks after the title; text before the first heading is `opening`."""
    heads: list[str | None] = [None] * len(blocks)
    for n in range(len(blocks) - 2, -1, -1):  # from the end back: a heading needs text under it
        if heads[n + 1] is None:
            heads[n] = _step_heading(blocks[n], markdown)
    sections: list[Section] = []
    for block, head in zip(blocks, heads, strict=True):
        if head is not None:
            sections.append(Section(head))
            continue
        if not sections:
            sections.append(Section(opening))
        sections[-1].paragraphs.append(_heading(block) or _paragraph(block))
    return sections


def _paragraph(block: Block) -> str:
    """Wrapped lines join into one, each list item starts a line of its own, and sentences
    that only point elsewhere go."""
    parts: list[list[str]] = []
    for line in block:
        if _BULLET.match(line) or not parts:
            parts.append([_BULLET.sub("", line, count=1)])
        else:
            parts[-1].append(line)
    texts = (furniture.without_promos(" ".join(part)) for part in parts)
    return "\n".join(text for text in texts if text)
