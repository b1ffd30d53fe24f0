"""The private journal: one Markdown file per session, appended to and fsynced block by
block, optionally sealed with a passphrase.

- format: the blocks of a session file, written and read back (the torn-tail rule)
- store: the journal folder: sessions, search, delete, encrypt, passphrase change
- writer: one session's appends, its lock, and the continuation when its file is lost
- lock, sealed, crypto: the lock per session file, whole-file rewrites, the key per salt
- export: a session for people and other tools (show, list, search, md, json, txt)
"""

from assistant.journal.format import DASH, Block, Entry, Mark, Note, Record, render_markdown
from assistant.journal.store import Journal, open_journal
from assistant.journal.writer import Writer

__all__ = ["DASH", "Block", "Entry", "Journal", "Mark", "Note", "Record", "Writer",
           "open_journal", "render_markdown"]
