"""Turn an article (plain text copied from a web page, or Markdown) into a guide skeleton.

Headings become steps, the paragraphs under them the narration, and each step gets two
starter questions. Web-page debris -- site logos, bylines, "min read", sign-in and share
buttons, comment blocks, author bios, footer links, copyright lines -- is dropped: blocks
whose every line matches a debris pattern (so a wrapped paragraph never loses a line), and
everything after a marker such as "About the author" or "Comments" once the article has
begun. The YAML is written by hand (folded block scalars for narration, one quoted line
per title and question) so that it stays pleasant to edit.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.guide import MAX_BYTES, UNPRINTABLE
from assistant.messages import EXIT_BAD_INPUT, Msg, ReflectError

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


# One line that is page furniture, never article text.
_DEBRIS = _fullmatch(
    r".{0,40}\blogo",  # "Humans logo"
    r".*\b\d+\s*min(ute)?s?\s+read\b.*",
    r"(published|updated|posted|last updated)\b\W*(\w+\W*){0,7}",
    r"(©|\(c\)|copyright\b).*", r".*\ball rights reserved\b.*",
    r"(photo|image|illustration|picture)( credit)?\s*(by|:).{0,120}",
    r"(tags?|topics?|filed under)\s*:.*",
    r"\d+\s+(comments?|responses?|replies|claps?|likes?|shares?|views?)",
    r"(privacy( policy)?|terms( of (use|service))?|cookie (policy|settings)|contact( us)?|"
    r"about us|careers|advertise|sitemap|accessibility|support)",
    r"https?://\S+|www\.\S+",
    r"[-*_=~#·•|\s]{3,}",  # rules and separators
    r"(be the first|add your|leave a|post a|write a) .{0,60}",
    r"member-only story|advertisement|sponsored( content)?",
    r"(share|follow) (this|us)\b.{0,40}", r"(thanks|thank you) for reading\b.{0,60}",
)
# Words that make up share bars and sign-in links ("Follow · Share", "Sign in / Sign up").
_CHROME = {
    "follow", "following", "share", "shares", "subscribe", "sign", "log", "in", "up", "out",
    "save", "like", "clap", "tweet", "email", "print", "copy", "link", "facebook", "twitter",
    "x", "instagram", "linkedin", "pinterest", "reddit", "whatsapp", "threads", "menu",
    "search", "skip", "to", "content", "read", "more", "listen", "newsletter", "open", "app",
    "get", "the", "home",
}
# After the article has begun, these start the bio, comment and footer blocks.
_END = _fullmatch(
    r"about the (author|creator|writer)s?", r"written by\b.*", r"(\d+ )?comments?",
    r"responses?", r"(leave|post|add) a (comment|reply|response)", r"reader insights",
    r"related( (posts|articles|stories|reading))?", r"more (from|by|stories)\b.*",
    r"you (may|might) also (like|enjoy)", r"recommended( for you| reading)?", r"read next",
    r"keep reading", r"find us on .*", r"miscellaneous links", r"sign in to comment",
)
_BYLINE = re.compile(r"[Bb]y\s+[A-Z][\w.'-]*(\s+\S+){0,14}")  # "By Jane DoePublished ..."
_AUTHOR = re.compile(r"by\s+(.+?)(?=published|updated|posted|·|\||\d|$)", re.IGNORECASE)
_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*")
_BULLET = re.compile(r"^([-*+•]|\d+[.)])\s+")
_ENDS_SENTENCE = re.compile("[.,;:!\u2026\"\u201d'\u2019)\\]]$")
_NUMBERING = re.compile(r"^(step\s+)?\d+[.):]\s+", re.IGNORECASE)
_INLINE = [  # Markdown that should not be read aloud
    # (bounded repeats: an unclosed bracket must not make a long line quadratic)
    (re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)"), ""),  # images
    (re.compile(r"\[([^\]\n]{1,300})\]\([^)\n]{0,500}\)"), r"\1"),  # links keep their text
    (re.compile(r"<[^>\n]{1,300}>"), ""),  # stray HTML
    (re.compile(r"(\*\*|__|`)"), ""),
    (re.compile(r"(?<!\w)[*_]([^\s*_](?:[^*_\n]{0,200}?[^\s*_])?)[*_](?!\w)"), r"\1"),
]


def convert(text: str, source: Path) -> str:
    """The guide YAML for the article `text` read from `source`."""
    article = parse(text, fallback_title=source.stem.replace("-", " ").replace("_", " "))
    if not article.sections:
        raise ReflectError(Msg.IMPORT_NO_TEXT, EXIT_BAD_INPUT, path=source)
    made = render(article, source.name)
    if len(made.encode("utf-8")) > MAX_BYTES:  # a guide that `guides check` would refuse
        raise ReflectError(Msg.IMPORT_TOO_BIG, EXIT_BAD_INPUT, path=source)
    return made


def parse(text: str, fallback_title: str) -> Article:
    """Sections in reading order, each with its paragraphs; debris left out."""
    article = Article(title="")
    current: Section | None = None
    for block in _blocks(_clean(text)):
        if len(block) == 1 and current is not None and _END.fullmatch(block[0].rstrip(":")):
            break
        # Only whole blocks go, so a paragraph never loses a line; a line repeating the
        # title is an image caption.
        if all(_is_debris(line) or line == article.title for line in block):
            article.author = article.author or _author(block)
            continue
        heading = _heading(block)
        if heading is not None and not article.title and current is None:
            article.title = heading
        elif heading is not None:
            current = Section(heading)
            article.sections.append(current)
        else:
            if current is None:
                current = Section(article.title or fallback_title)
                article.sections.append(current)
            current.paragraphs.append(_paragraph(block))
    article.title = article.title or fallback_title
    article.sections = [s for s in article.sections if s.paragraphs]  # tag lines, empty heads
    return article


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n").replace("\t", " ").replace("\x85", " ")
    text = UNPRINTABLE.sub("", text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines; a Markdown heading is always a block of its own."""
    blocks: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = raw.strip().removeprefix(">").strip()
        if not line or _MD_HEADING.fullmatch(line):
            blocks.append([line] if line else [])
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _is_debris(line: str) -> bool:
    if len(line) > 200:  # page furniture is short; this also bounds the regex work
        return False
    if _BYLINE.fullmatch(line) and not _ENDS_SENTENCE.search(line):
        return True
    words = re.findall(r"[\w']+", line.lower())
    return bool(_DEBRIS.fullmatch(line)) or (0 < len(words) <= 6 and set(words) <= _CHROME)


def _author(block: list[str]) -> str:
    """The name in a byline, for the guide's `source`."""
    for line in block:
        found = _AUTHOR.match(line) if _BYLINE.fullmatch(line) else None
        if found:
            return found.group(1).strip()
    return ""


def _heading(block: list[str]) -> str | None:
    """The heading text if the block is one, else None."""
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


def _paragraph(block: list[str]) -> str:
    """Wrapped lines join into one; each list item starts a line of its own."""
    parts: list[list[str]] = []
    for line in block:
        if _BULLET.match(line) or not parts:
            parts.append([_BULLET.sub("", line, count=1)])
        else:
            parts[-1].append(line)
    return "\n".join(" ".join(part) for part in parts)


# --- YAML out ---------------------------------------------------------------------------


def slug(text: str, taken: set[str]) -> str:
    """A short id of lowercase letters, digits and dashes, not yet in `taken` (added)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(base) > 48:
        base = base[:48].rsplit("-", 1)[0]
    base = base or "part"
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
