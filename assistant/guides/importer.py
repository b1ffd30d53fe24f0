"""Turn an article (plain text copied from a web page, or Markdown) into a guide skeleton.

Headings become steps, the paragraphs under them the narration, and each step gets two
starter questions. The text is read in blocks (runs of non-blank lines), by these rules:

- Debris goes a whole block at a time, and only if every line of it is page furniture, so a
  wrapped paragraph never loses a line: logos, bylines and the author's bare name, "min
  read", share, sign-in and nav lines (short items joined by `|`, `·`, `•` or `/`), cookie
  and newsletter notices, footer links, copyright lines, a repeat of the title. A sentence
  that only points elsewhere ("Read more in our guide to ...") goes even inside a paragraph.
- Title: the first Markdown `# ` heading, with only blocks holding a sentence kept from
  above it (the rest is the site's header); without one, the first block if a heading.
- End: once the article has begun, a block whose first line is a marker such as "About the
  author", "Written by ...", "Comments" or "Leave a comment" (`#`s and emphasis aside)
  ends it, as bios, comment forms and footers follow.
- Headings: in a Markdown article (one with `#` headings) only those; in plain text also a
  short line without final punctuation. A heading needs text under it: one followed by
  another heading is read as a line of text (judged from the end back), and short lines
  after the last paragraph (tags, sign-offs) go. So no paragraph of the article is lost.

The YAML is written by hand (folded block scalars for narration, one quoted line per title
and question) so that it stays pleasant to edit.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from assistant import files
from assistant.errors import BadInput
from assistant.guides.loader import MAX_BYTES, UNPRINTABLE
from assistant.messages import Msg

HEADING_WORDS = 12  # a plain-text heading is one short line without final punctuation
WRAP = 88


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Article:
    title: str
    author: str = ""
    sections: list[Section] = field(default_factory=list)


def _fullmatch(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_PROMO = (r"(read more|read next|related|see also|further reading|more on this)"
          r"(\s*:|\s+(in|on|at|about|here|from)\b).{0,150}")  # "Read more in our guide to ..."
_PROMO_SENTENCE = re.compile(_PROMO, re.IGNORECASE)
# One line that is page furniture, never article text.
_DEBRIS = _fullmatch(
    r".{0,40}\blogo",  # "Humans logo"
    r".*\b\d+\s*min(ute)?s?\s+read\b.*",
    r"(published|updated|posted|last updated)\b\W*(\w+\W*){0,7}",
    r"(.{0,60}©|\(c\)|copyright\b).*", r".*\ball rights reserved\b.*",
    r"(photo|image|illustration|picture)( credit)?\s*(by|:).{0,120}",
    r"(tags?|topics?|filed under)\s*:.*",
    r"[\d.,]+\s*[km]?\s+(comments?|responses?|replies|claps?|likes?|shares?|views?|"
    r"followers?|following)",  # "1.2K Followers"
    r"(privacy( policy)?|terms( of (use|service))?|cookie (policy|settings|preferences)|"
    r"contact( us)?|about us|careers|advertise|sitemap|accessibility|support)",
    r"(we|this (site|website)) uses? cookies\b.*", r"(accept|reject|manage)( all)? cookies\b.*",
    r"subscribe\b[^.]{0,60}", r"[^.]{0,40}\bnewsletter\b[^.]{0,40}",
    r"https?://\S+|www\.\S+",
    r"[-*_=~#·•|\s]{3,}",  # rules and separators
    r"(be the first|add your|leave a|post a|write a) .{0,60}",
    r"member-only story|advertisement|sponsored( content)?",
    r"(share|follow) (this|us|me|on|via)\b.{0,40}", r"pin it",
    r"(thanks|thank you) for reading\b.{0,60}", _PROMO,
)
# Words that make up share bars and sign-in links ("Follow · Share", "Sign in / Sign up").
_CHROME = {
    "follow", "following", "share", "shares", "subscribe", "sign", "log", "in", "up", "out",
    "save", "like", "clap", "tweet", "email", "print", "copy", "link", "facebook", "twitter",
    "x", "instagram", "linkedin", "pinterest", "reddit", "whatsapp", "threads", "menu",
    "search", "skip", "to", "main", "content", "read", "more", "listen", "newsletter", "open",
    "app", "get", "the", "home", "blog",
}
# Between the items of a menu, breadcrumb or share bar ("Home | Blog | Sign in").
_NAV_SEPARATOR = re.compile("\\s*[|\u00b7\u2022\u203a\u00bb]\\s*|\\s+/\\s+")
# After the article has begun, these start the bio, comment and footer blocks.
_END = _fullmatch(
    r"about the (author|creator|writer)s?",
    r"written by\s+(?-i:[A-Z])\S*(\s+\S+){0,6}",  # a name, not "Written by hand, ..."
    r"(\d+ )?(comments?|responses?)( \(\d+\))?", r"(leave|post|add) a (comment|reply|response)",
    r"your email( address)? will not be published\b.*", r"reader insights",
    r"related( (posts|articles|stories|reading))?", r"more (from|by|stories)\b.{0,40}",
    r"you (may|might) also (like|enjoy)", r"recommended( for you| reading)?", r"read next",
    r"keep reading", r"find us on .{0,40}", r"miscellaneous links", r"sign in to comment",
)
_BYLINE = re.compile(r"([Ww]ritten\s+)?[Bb]y\s+[A-Z][\w.'-]*(\s+\S+){0,14}")  # "By Jane Doe"
_AUTHOR = re.compile(r"(?:written\s+)?by\s+(.+?)(?=published|updated|posted|·|\||\d|$)",
                     re.IGNORECASE)
_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*")
_BULLET = re.compile(r"^([-*+•]|\d+[.)])\s+")
_ENDS_SENTENCE = re.compile("[.,;:!\u2026\"\u201d'\u2019)\\]]$")
_SENTENCE = re.compile("[.!?\u2026][\"\u201d'\u2019)]*$")  # a line that ends a sentence
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
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


def convert(text: str, source: Path) -> str:
    """The guide YAML for the article `text` read from `source`."""
    article = parse(text, fallback_title=source.stem.replace("-", " ").replace("_", " "))
    if not article.sections:
        raise BadInput(Msg.IMPORT_NO_TEXT, path=source)
    made = render(article, source.name)
    if len(made.encode("utf-8")) > MAX_BYTES:  # a guide that `guides check` would refuse
        raise BadInput(Msg.IMPORT_TOO_BIG, path=source)
    return made


def parse(text: str, fallback_title: str) -> Article:
    """Sections in reading order, each with its paragraphs; debris left out."""
    blocks = _blocks(_clean(text))
    markdown = any(_MD_HEADING.fullmatch(block[0]) for block in blocks)
    title, body = _title(blocks, markdown)
    body = _until_end(body, {title})
    author = next(filter(None, (_author(block, title) for block in body)), "")
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


def _bare(line: str) -> str:
    """The line without heading marks, emphasis or a final colon: "## **Comments:**"."""
    return line.strip().lstrip("#").strip(" *_:")


def _is_debris(line: str) -> bool:
    if len(line) > 200:  # page furniture is short; this also bounds the regex work
        return False
    bare = _bare(line)
    if _BYLINE.fullmatch(bare) and not _ENDS_SENTENCE.search(bare):
        return True
    words = re.findall(r"[\w']+", bare.lower())
    return (not bare or bool(_DEBRIS.fullmatch(bare) or _END.fullmatch(bare))
            or _is_nav(bare) or (0 < len(words) <= 6 and set(words) <= _CHROME))


def _is_nav(line: str) -> bool:
    """Three or more short items between separators: a menu, breadcrumb or share bar."""
    items = [item for item in _NAV_SEPARATOR.split(line) if item]
    return len(items) >= 3 and all(len(item.split()) <= 3 and not _ENDS_SENTENCE.search(item)
                                   for item in items)


def _is_furniture(block: Block, known: set[str]) -> bool:
    """Whether the whole block goes: every line debris or a known one, or nothing to read."""
    return all(_is_debris(line) or line in known for line in block) or not _paragraph(block)


def _author(block: Block, title: str) -> str:
    """The name in a byline block (a byline with only debris, the name or the title around
    it), for the guide's `source`."""
    for line in block:
        found = _AUTHOR.match(line) if _BYLINE.fullmatch(line) and _is_debris(line) else None
        if found:
            name = found.group(1).strip()
            return name if all(_is_debris(other) or other in (name, title) for other in block
                               ) else ""
    return ""


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
        if begun and _END.fullmatch(_bare(block[0])):
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
            and (question or not (_ENDS_SENTENCE.search(line) or line.endswith("?")))):
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
    texts = (_without_promos(" ".join(part)) for part in parts)
    return "\n".join(text for text in texts if text)


def _without_promos(text: str) -> str:
    sentences = _SENTENCE_BREAK.split(text)
    kept = [sentence for sentence in sentences if not _PROMO_SENTENCE.fullmatch(sentence)]
    return text if len(kept) == len(sentences) else " ".join(kept)  # spacing kept if no change


# --- YAML out ---------------------------------------------------------------------------


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
