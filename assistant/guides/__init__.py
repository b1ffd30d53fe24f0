"""Guides: what Reflect speaks and asks, in order.

- schema: the Guide, Step, Prompt and Choice a session walks
- loader: strict YAML to a checked Guide (every problem with its file:line and key path),
  and finding guides by id or path (the user's folder, then the bundled *.yaml here)
- importer: an article (text or Markdown) to a guide skeleton to rewrite
"""

from assistant.guides.loader import (
    ID,
    MAX_BYTES,
    SUFFIXES,
    UNPRINTABLE,
    GuideError,
    available,
    bundled,
    digest,
    find,
    load,
    parse,
    read_text,
)
from assistant.guides.schema import Choice, Guide, Prompt, Step

__all__ = ["ID", "MAX_BYTES", "SUFFIXES", "UNPRINTABLE", "Choice", "Guide", "GuideError",
           "Prompt", "Step", "available", "bundled", "digest", "find", "load", "parse",
           "read_text"]
