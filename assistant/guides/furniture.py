"""Page furniture: what a web page puts around an article and an importer must leave out.

Logos, bylines and the author's bare name, "min read", share, sign-in and nav lines (short
items joined by `|`, `·`, `•` or `/`), cookie and newsletter notices, footer links and
copyright lines are debris; markers such as "About the author", "Written by ...",
"Comments" or "Leave a comment" end the article, as bios, comment forms and footers
follow. A sentence that only points elsewhere ("Read more in our guide to ...") is a
promotion. Each is judged a line (or a sentence) at a time; article.py decides what a
block of them means.
"""

from __future__ import annotations

import re


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
# Punctuation that ends a line of running text (never a heading, a byline or a menu item).
ENDS_SENTENCE = re.compile("[.,;:!\u2026\"\u201d'\u2019)\\]]$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


def _bare(line: str) -> str:
    """The line without heading marks, emphasis or a final colon: "## **Comments:**"."""
    return line.strip().lstrip("#").strip(" *_:")


def is_debris(line: str) -> bool:
    """Whether the line is page furniture, never article text."""
    if len(line) > 200:  # page furniture is short; this also bounds the regex work
        return False
    bare = _bare(line)
    if _BYLINE.fullmatch(bare) and not ENDS_SENTENCE.search(bare):
        return True
    words = re.findall(r"[\w']+", bare.lower())
    return (not bare or bool(_DEBRIS.fullmatch(bare) or _END.fullmatch(bare))
            or _is_nav(bare) or (0 < len(words) <= 6 and set(words) <= _CHROME))


def _is_nav(line: str) -> bool:
    """Three or more short items between separators: a menu, breadcrumb or share bar."""
    items = [item for item in _NAV_SEPARATOR.split(line) if item]
    return len(items) >= 3 and all(len(item.split()) <= 3 and not ENDS_SENTENCE.search(item)
                                   for item in items)


def author(block: list[str], title: str) -> str:
    """The name in a byline block (a byline with only debris, the name or the title around
    it), for the guide's `source`."""
    for line in block:
        found = _AUTHOR.match(line) if _BYLINE.fullmatch(line) and is_debris(line) else None
        if found:
            name = found.group(1).strip()
            return name if all(is_debris(other) or other in (name, title) for other in block
                               ) else ""
    return ""


def ends_article(line: str) -> bool:
    """Whether the line is a marker that starts the bio, comment or footer blocks."""
    return bool(_END.fullmatch(_bare(line)))


def without_promos(text: str) -> str:
    """The text without its sentences that only point elsewhere."""
    sentences = _SENTENCE_BREAK.split(text)
    kept = [sentence for sentence in sentences if not _PROMO_SENTENCE.fullmatch(sentence)]
    return text if len(kept) == len(sentences) else " ".join(kept)  # spacing kept if no change

