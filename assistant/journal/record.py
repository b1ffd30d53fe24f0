"""A session read back (`Record`), and written out again as a plain Markdown file.

Going back and answering a question again appends a second entry for the same (step,
prompt); the newest is the answer (`Record.answers`), the earlier ones stay on disk, marked
replaced wherever they are shown (see export.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from assistant.journal.blocks import Block, render_block
from assistant.journal.header import front_matter, session_fields, when
from assistant.turns import Entry, Mark


@dataclass
class Record:
    """A session file read back."""

    id: str
    guide: str
    started: datetime
    model: str | None
    path: Path
    entries: list[Entry]
    marks: list[Mark]
    set_aside: list[str]
    blocks: list[Block] = field(default_factory=list)  # everything, in file order
    encrypted: bool = False
    guide_file: str | None = None  # the guide's file, when the session was started from one
    guide_digest: str | None = None  # of the guide's text then ("sha256:..."): notice a change
    continues: str | None = None  # the session this file carries on (its file was lost)
    continued_in: str | None = None  # the session a later file carries this one on in

    @property
    def superseded(self) -> bool:
        """Whether a later file carries this session on: that one is resumed, never this
        (a copy of the lost file that another program put back, say)."""
        return self.continued_in is not None

    @property
    def role(self) -> str | None:
        roles = [m.value for m in self.marks if m.kind == "role"]
        return roles[-1] if roles else None

    @property
    def finished(self) -> bool:
        return any(m.kind == "end" for m in self.marks)

    @property
    def done(self) -> set[tuple[str, int]]:
        """(step, prompt) pairs answered or skipped: where `resume` must not ask again."""
        pairs = {(e.step, e.prompt) for e in self.entries}
        pairs |= {(m.step, m.prompt) for m in self.marks
                  if m.kind == "skip" and m.step is not None and m.prompt is not None}
        return pairs

    @cached_property
    def versions(self) -> dict[tuple[str, int], list[Entry]]:
        """Every entry per (step, prompt), oldest first, keyed in the order the questions
        were first answered. Computed once: a Record is read, never changed."""
        out: dict[tuple[str, int], list[Entry]] = {}
        for e in self.entries:
            out.setdefault((e.step, e.prompt), []).append(e)
        return out

    def answers(self) -> list[Entry]:
        """The answer to each question: its newest entry, in the order first answered."""
        return [versions[-1] for versions in self.versions.values()]

    def replaced(self, entry: Entry) -> bool:
        """True for an entry of this record answered again later (going back)."""
        return self.versions[(entry.step, entry.prompt)][-1] is not entry


def render_markdown(record: Record, blocks: Iterable[Block] | None = None) -> bytes:
    """The session as a plain (decrypted) Markdown file, in the journal's own format: its
    own blocks, or `blocks` in their place (an export adds notes for people)."""
    fields = session_fields({"session": record.id, "guide": record.guide,
                             "started": when(record.started), "model": record.model,
                             "guide-file": record.guide_file,
                             "guide-digest": record.guide_digest,
                             "continues": record.continues})
    return front_matter(fields) + b"".join(
        render_block(b) for b in (record.blocks if blocks is None else blocks))
