"""The private journal: one Markdown file per session, appended to and fsynced block by
block, optionally sealed with a passphrase. It asks no questions: a passphrase comes in
as a callable (`open_journal(ask=...)`), else from the environment.

- header, blocks, parse, tail: a session file's front matter, its blocks written and read
  back (the torn-tail rule), and where the next block goes
- record, reading: a session read back (Record), and one file opened as a session
- folder: the journal folder: which files are sessions, privacy, ids, links
- store: the Journal: sessions started, read, listed, searched (search.py), deleted
- writer, lock: one session's appends, its lock, and the continuation when its file is lost
- crypto, sealed, rewrite: the key per salt, whole-file sealing, the whole-journal rewrites
  (encrypt, passphrase change)
- errors: the journal's kinds of failure
- export: a session for people and other tools (show, list, search, md, json, txt)
"""

from assistant.journal.blocks import DASH, Block, Note
from assistant.journal.record import Record, render_markdown
from assistant.journal.store import Journal, open_journal
from assistant.journal.writer import Writer
from assistant.turns import Entry, Mark

__all__ = ["DASH", "Block", "Entry", "Journal", "Mark", "Note", "Record", "Writer",
           "open_journal", "render_markdown"]
