"""A session as text for people and other tools: `journal show`, and md, json or txt files.

The txt form is jrnl's plain-text journal format -- `[YYYY-MM-DD HH:MM] Title` then the
body, entries separated by a blank line -- so entries can be brought into jrnl with
`jrnl --import`. jrnl takes the first sentence as the title, so the question (which ends
with its question mark) becomes the title and the answer the body.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from assistant.journal import DASH, Entry, Mark, Note, Record, render_markdown
from assistant.messages import Msg


def _heading(entry: Entry) -> str:
    return DASH.join(part for part in (entry.title, entry.question) if part) or entry.step


def _mark_line(mark: Mark) -> str:
    if mark.kind == "role":
        return f"(Role chosen: {mark.value})"
    if mark.kind == "skip":
        what = mark.value or f"question {(mark.prompt or 0) + 1} of step {mark.step}"
        return f"(Skipped: {what})"
    return f"(Session finished at {mark.at:%H:%M}.)"


def readable(record: Record) -> str:
    """Plain lines a screen reader can follow: a short header, then each answer under its
    question, the user's own notes where they are, and anything set aside at the end."""
    status = "finished" if record.finished else f"not finished (reflect resume {record.id})"
    lines = [f"Session {record.id}", f"Guide: {record.guide}",
             f"Started: {record.started:%Y-%m-%d %H:%M}", f"Status: {status}"]
    if record.model:
        lines.append(f"Speech model: {record.model}")
    for block in record.blocks:
        lines.append("")
        if isinstance(block, Entry):
            seconds = f", {block.seconds:.0f} seconds" if block.seconds else ""
            edited = ", edited by hand" if block.edited else ""
            lines += [_heading(block),
                      f"({block.at:%H:%M}{seconds}{edited})", block.text or "(no answer)"]
        elif isinstance(block, Mark):
            lines.append(_mark_line(block))
        elif not block.set_aside:
            lines += ["Your note:", block.text]
    if record.set_aside:
        lines += ["", Msg.SET_ASIDE_NOTICE.format(), *record.set_aside]
    return "\n".join(lines) + "\n"


def markdown(record: Record) -> str:
    return render_markdown(record).decode()


def as_json(record: Record) -> str:
    def entry(e: Entry) -> dict[str, object]:
        return {"step": e.step, "prompt": e.prompt, "title": e.title,
                "question": e.question, "text": e.text, "at": e.at.isoformat(),
                "seconds": e.seconds, "ended": e.ended, "confidence": e.confidence,
                "edited": e.edited}

    def mark(m: Mark) -> dict[str, object]:
        return {"kind": m.kind, "at": m.at.isoformat(), "step": m.step, "prompt": m.prompt,
                "value": m.value}

    data = {
        "session": record.id, "guide": record.guide, "started": record.started.isoformat(),
        "model": record.model, "role": record.role, "finished": record.finished,
        "entries": [entry(e) for e in record.entries],
        "marks": [mark(m) for m in record.marks],
        "notes": [b.text for b in record.blocks if isinstance(b, Note) and not b.set_aside],
        "set_aside": record.set_aside,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def jrnl(record: Record) -> str:
    """jrnl's plain-text format, one entry per answer."""
    parts = [f"[{e.at:%Y-%m-%d %H:%M}] {_heading(e)}\n{e.text}".rstrip() + "\n"
             for e in record.entries]
    return "\n".join(parts)


FORMATS: dict[str, Callable[[Record], str]] = {"md": markdown, "json": as_json, "txt": jrnl}
