"""A session as text for people and other tools: `journal show`, `journal list` and
`journal search` lines, and md, json or txt files.

Going back and answering a question again appends a second entry for it (the journal is
append-only); the newest is the answer (`Record.answers`), the earlier ones were replaced.
Nothing the user said is hidden where they read their journal, and nothing replaced
reads as current:
- show: each question once, where it was first answered, with its answer, then the
  answers it replaced, newest first, each under "Earlier answer (replaced)";
- search: finds replaced answers too, marked "(earlier answer, replaced)";
- md: the journal's own format, blocks in the order written (Reflect reads it back), with
  a line before each replaced entry saying so, for people reading it as Markdown;
- json: every entry in file order, each with `replaced` (true for the earlier ones);
- txt: only the answers. It is jrnl's plain-text journal format -- `[YYYY-MM-DD HH:MM]
  Title` then the body, entries separated by a blank line -- for `jrnl --import`, and
  jrnl has no way to mark an entry replaced: it would be a second, contradicting entry.

jrnl takes the first line after the date as the title, so the heading (step and question)
becomes the title and the answer the body. jrnl starts a new entry at every line that
begins with `[`, something it reads as a date, and `] ` -- not only its own format: its
fallback parser takes "[today] " or "[monday] " too -- so an answer line that starts with
`[` gets a backslash, Markdown's escape: `\\[today]`. Not a space: jrnl strips the body
when it saves, and an indented first line would split the entry then.

Everything here is printed, or read with `cat`: characters a terminal would obey (ESC,
CR, bidi overrides, see terminal/printable.py) are shown escaped in every line, the md and the txt,
whether they come from the user, a guide or a file name. The json keeps the exact text and
writes them as JSON escapes (`\\u001b`), so it reads back as typed and is safe to print.
"""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from assistant import files
from assistant.errors import BadInput, reason
from assistant.journal.blocks import DASH, Block, Note
from assistant.journal.parse import aside_shown
from assistant.journal.record import Record, render_markdown
from assistant.messages import Msg
from assistant.terminal.printable import UNSAFE, printable
from assistant.text.readable import marked
from assistant.turns import Entry, Mark

_LINE_STARTING_WITH_BRACKET = re.compile(r"^(?=\[)", re.MULTILINE)  # after \n, as jrnl reads


def _heading(entry: Entry) -> str:
    return DASH.join(part for part in (entry.title, entry.question) if part) or entry.step


def _mark_line(mark: Mark) -> str:
    if mark.kind == "role":
        return Msg.SHOW_ROLE.format(role=mark.value)
    if mark.kind == "skip":
        what = mark.value or Msg.SHOW_SKIPPED_UNNAMED.format(number=(mark.prompt or 0) + 1,
                                                             step=mark.step)
        return Msg.SHOW_SKIPPED.format(what=what)
    return Msg.SHOW_FINISHED_AT.format(time=f"{mark.at:%H:%M}")


def _details(entry: Entry) -> str:
    """When it was said, how long it took and whether it was edited: `21:55, 12 seconds`."""
    parts = [f"{entry.at:%H:%M}"]
    if entry.seconds:
        parts.append(Msg.SHOW_SECONDS.format(seconds=entry.seconds))
    if entry.edited:
        parts.append(Msg.SHOW_EDITED.format())
    return ", ".join(parts)


def _answer_lines(versions: list[Entry], mark: Callable[[str], str]) -> list[str]:
    """A question with its answer, then the answers it replaced, newest first; printable,
    with `mark` applied to the words the recognizer was unsure of."""
    current = versions[-1]
    lines = [printable(_heading(current)),
             printable(Msg.SHOW_DETAILS.format(details=_details(current))),
             _answer_text(current, mark)]
    for earlier in reversed(versions[:-1]):
        lines += [printable(Msg.SHOW_EARLIER.format(details=_details(earlier))),
                  _answer_text(earlier, mark)]
    return lines


def _answer_text(entry: Entry, mark: Callable[[str], str]) -> str:
    if not entry.text:
        return Msg.SHOW_NO_ANSWER.format()
    return marked(printable(entry.text), entry.words, mark)


def unsure_mark(word: str) -> str:
    """How `journal show` marks a doubtful word: a plain marker a screen reader reads."""
    return Msg.SHOW_UNSURE.format(word=word)


def readable(record: Record, mark: Callable[[str], str] = unsure_mark) -> str:
    """Plain lines a screen reader can follow: a short header, then each answer under its
    question, the user's own notes where they are, and anything set aside at the end.
    Every part is printable; `mark` shows a doubtful word (the CLI underlines it too on
    a terminal that takes styling)."""
    status = (Msg.SHOW_CONTINUED_IN.format(session=record.continued_in) if record.superseded
              else Msg.STATE_FINISHED.format() if record.finished
              else Msg.SHOW_NOT_FINISHED.format(session=record.id))
    lines = [Msg.SHOW_SESSION.format(session=record.id),
             Msg.SHOW_GUIDE.format(guide=record.guide),
             Msg.SHOW_STARTED.format(started=f"{record.started:%Y-%m-%d %H:%M}"),
             Msg.SHOW_STATUS.format(status=status)]
    if record.model:
        lines.append(Msg.SHOW_MODEL.format(model=record.model))
    if record.continues:
        lines.append(Msg.SHOW_CONTINUES.format(session=record.continues))
    lines = [printable(line) for line in lines]
    for block in record.blocks:
        if isinstance(block, Entry):
            versions = record.versions[(block.step, block.prompt)]
            if block is versions[0]:  # shown once, where the question was first answered
                lines += ["", *_answer_lines(versions, mark)]
        elif isinstance(block, Mark):
            lines += ["", printable(_mark_line(block))]
        elif not block.set_aside:
            lines += ["", Msg.SHOW_NOTE.format(), printable(block.text)]
    if record.set_aside:
        lines += ["", Msg.SET_ASIDE_NOTICE.format(), *map(printable, record.set_aside)]
    return "\n".join(lines) + "\n"


def list_line(record: Record) -> str:
    """One line of `journal list`: id, guide, start, answers and state."""
    count = len(record.answers())
    answers = (Msg.LIST_ONE_ANSWER.format() if count == 1
               else Msg.LIST_ANSWERS.format(count=count))
    state = [Msg.STATE_CONTINUED_IN.format(session=record.continued_in) if record.superseded
             else (Msg.STATE_FINISHED if record.finished else Msg.STATE_NOT_FINISHED).format()]
    if record.encrypted:
        state.append(Msg.STATE_ENCRYPTED.format())
    if record.set_aside:
        state.append(Msg.STATE_SET_ASIDE.format(count=len(record.set_aside)))
    return printable(Msg.LIST_LINE.format(
        session=record.id, guide=record.guide, started=f"{record.started:%Y-%m-%d %H:%M}",
        answers=answers, state=", ".join(state)))


def search_results(hits: list[tuple[Record, Entry]], text: str) -> str:
    """`journal search` output, written at once: per hit the session and question (marked
    when that answer was replaced), then each of its lines holding `text`. Lines are split
    at newlines only, as `show` does: a carriage return is shown, never a line break."""
    if not hits:
        return printable(Msg.NO_MATCHES.format(text=text)) + "\n"
    needle = text.casefold()
    out = []
    for record, entry in hits:
        hit = Msg.SEARCH_HIT_REPLACED if record.replaced(entry) else Msg.SEARCH_HIT
        out.append(printable(hit.format(session=record.id, question=entry.question)) + "\n")
        out += [f"    {printable(line).strip()}\n" for line in entry.text.split("\n")
                if needle in line.casefold()]
    return "".join(out)


def _printable_block(block: Block) -> Block:
    """The block with its text escaped before it is rendered, so that the byte length an
    entry declares is that of the text shown and the export reads back whole -- and a part
    set aside still reads back set aside (`aside_shown`). A mark's fields need nothing:
    the journal percent-encodes them."""
    if isinstance(block, Entry):
        return replace(block, title=printable(block.title),
                       question=printable(block.question), text=printable(block.text))
    if isinstance(block, Note):
        return replace(block, text=(aside_shown(block.text, printable) if block.set_aside
                                    else printable(block.text)))
    return block


def markdown(record: Record) -> str:
    """The session file as it is, with a line before each replaced entry saying so."""
    label = Note(f"*{Msg.EXPORT_REPLACED.format()}*")
    blocks = [_printable_block(b) for block in record.blocks for b in (
        (label, block) if isinstance(block, Entry) and record.replaced(block) else (block,))]
    header = replace(record, id=printable(record.id), guide=printable(record.guide),
                     model=record.model and printable(record.model))
    return render_markdown(header, blocks).decode()


def as_json(record: Record) -> str:
    def entry(e: Entry) -> dict[str, object]:
        return {"step": e.step, "prompt": e.prompt, "title": e.title,
                "question": e.question, "text": e.text, "at": e.at.isoformat(),
                "seconds": e.seconds, "ended": e.ended, "confidence": e.confidence,
                "edited": e.edited, "replaced": record.replaced(e),
                "words": [{"text": w.text, "start": w.start, "end": w.end, "conf": w.conf}
                          for w in e.words]}

    def mark(m: Mark) -> dict[str, object]:
        return {"kind": m.kind, "at": m.at.isoformat(), "step": m.step, "prompt": m.prompt,
                "value": m.value}

    data = {
        "session": record.id, "guide": record.guide, "started": record.started.isoformat(),
        "model": record.model, "role": record.role, "finished": record.finished,
        "guide_file": record.guide_file, "guide_digest": record.guide_digest,
        "continues": record.continues,
        "entries": [entry(e) for e in record.entries],
        "marks": [mark(m) for m in record.marks],
        "notes": [b.text for b in record.blocks if isinstance(b, Note) and not b.set_aside],
        "set_aside": record.set_aside,
    }
    return UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def _json_escape(match: re.Match[str]) -> str:
    """`\\u202e` for a character json.dumps leaves raw (it escapes only C0 itself): every
    such character is inside a string, where this escape is the same text."""
    return f"\\u{ord(match.group()):04x}"


def _jrnl_entry(entry: Entry) -> str:
    """One jrnl entry: the heading on the date line, the answer with `[` lines escaped."""
    heading = " ".join(printable(_heading(entry)).split())  # jrnl's title is the first line
    body = _LINE_STARTING_WITH_BRACKET.sub(r"\\", printable(entry.text))
    return f"[{entry.at:%Y-%m-%d %H:%M}] {heading}\n{body}".rstrip() + "\n"


def jrnl(record: Record) -> str:
    """jrnl's plain-text format, one entry per question with its answer."""
    return "\n".join(_jrnl_entry(e) for e in record.answers())


FORMATS: dict[str, Callable[[Record], str]] = {"md": markdown, "json": as_json, "txt": jrnl}


def write(path: Path, text: str, force: bool) -> None:
    """Put an export at `path`, private (0600) and whole or not at all. Whatever is there
    already, a link too (even to nothing), is kept unless `force`, and then replaced
    itself: a link is never followed, so what it points to is never changed."""
    try:
        (files.replace_private if force else files.create_private)(path, text.encode())
    except FileExistsError:
        raise BadInput(Msg.EXPORT_EXISTS, path=path) from None
    except OSError as err:
        raise BadInput(Msg.EXPORT_FAILED, path=path,
                           reason=_write_reason(err, path.parent)) from err


def _write_reason(err: OSError, folder: Path) -> str:
    """Why an export could not be written, in the user's words where they can act on it."""
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        return Msg.EXPORT_NO_FOLDER.format(folder=folder)
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Msg.EXPORT_FOLDER_LOCKED.format(folder=folder)
    if err.errno == errno.EISDIR:
        return Msg.EXPORT_IS_FOLDER.format()
    return reason(err)
