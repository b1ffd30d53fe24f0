"""Guides: what Reflect speaks and asks, in order.

- schema: the Guide, Step, Prompt and Choice a session walks
- loader: a guide file read and its YAML composed strictly into a checked Guide
- checks: what each YAML node must be, every problem with its file:line and key path
- build: the keys a guide, step and prompt hold, made into schema's dataclasses
- finder: finding guides by id or path (the user's folder, then the bundled *.yaml here)
- importer: an article (text or Markdown) to a guide skeleton to rewrite
- article: the article read into its title and sections, page furniture left out
- furniture: the lines of a web page that are not the article
"""

from assistant.guides.checks import ID, UNPRINTABLE, GuideError
from assistant.guides.finder import SUFFIXES, available, bundled, find
from assistant.guides.loader import MAX_BYTES, digest, load, parse, read_text
from assistant.guides.schema import Choice, Guide, Prompt, Step

__all__ = ["ID", "MAX_BYTES", "SUFFIXES", "UNPRINTABLE", "Choice", "Guide", "GuideError",
           "Prompt", "Step", "available", "bundled", "digest", "find", "load", "parse",
           "read_text"]
