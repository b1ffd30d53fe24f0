"""`reflect journal ...`: list, show, search, export, delete, encrypt, passphrase."""

from __future__ import annotations

import argparse
import sys

from assistant.app import users_journal
from assistant.errors import BadInput, ReflectError
from assistant.messages import Msg
from assistant.terminal.console import tell_left_out


def list_sessions(args: argparse.Namespace) -> int:
    from assistant.journal.export import list_line

    skipped: list[ReflectError] = []
    records = users_journal().sessions(skipped)
    if not records and not skipped:
        print(Msg.NO_SESSIONS.format())
    for record in records:
        print(list_line(record))
    tell_left_out(skipped)
    return 0


def show(args: argparse.Namespace) -> int:
    from assistant.journal.export import readable, unsure_mark
    from assistant.terminal.console import underlined

    styled = underlined()
    record = users_journal().read(args.session)
    sys.stdout.write(readable(record, lambda word: unsure_mark(styled(word))))
    return 0


def search(args: argparse.Namespace) -> int:
    from assistant.journal.export import search_results

    skipped: list[ReflectError] = []
    hits = users_journal().search(args.text, skipped)
    sys.stdout.write(search_results(hits, args.text))  # one write, however many hits
    tell_left_out(skipped)
    return 0


def export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.journal.export import FORMATS, write
    from assistant.terminal.printable import printable

    record = users_journal().read(args.session)
    text = FORMATS[args.format](record)
    if not args.output:
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    write(path, text, args.force)
    print(printable(Msg.EXPORTED.format(session=record.id, path=path)))
    if record.encrypted:
        print(printable(Msg.EXPORTED_UNENCRYPTED.format(path=path)))
    return 0


def delete(args: argparse.Namespace) -> int:
    journal = users_journal()
    record = journal.read(args.session)
    if not args.yes:
        if not sys.stdin.isatty():
            raise BadInput(Msg.DELETE_NEEDS_YES, session=record.id)
        reply = input(Msg.DELETE_ASK.format(session=record.id, count=len(record.answers())))
        if reply.strip().lower() not in ("y", "yes"):
            print(Msg.NOT_DELETED.format())
            return 1
    journal.delete(record.id)
    print(Msg.DELETED.format(session=record.id))
    return 0


def encrypt(args: argparse.Namespace) -> int:
    """Seal every plaintext session; one open in another Reflect session is left as it is
    and named (run it again later)."""
    skipped: list[ReflectError] = []
    converted, already = users_journal(encrypt=True).encrypt_all(skipped)
    print(Msg.ENCRYPTED_SESSIONS.format(count=converted, already=already))
    tell_left_out(skipped)
    print(Msg.ENCRYPTION_FORGET_WARNING.format())
    return 0


def passphrase(args: argparse.Namespace) -> int:
    """Give every session the current passphrase opens the new one (typed twice, or
    REFLECT_NEW_PASSPHRASE); sessions it does not open, or open elsewhere, are named."""
    from assistant.config import paths
    from assistant.journal import Journal, crypto
    from assistant.terminal.console import ask_passphrase

    skipped: list[ReflectError] = []
    changed, already = Journal(paths().journal_dir).change_passphrase(
        lambda: ask_passphrase(new=False),
        lambda: ask_passphrase(new=True, env=crypto.NEW_PASSPHRASE_ENV,
                               prompt=Msg.PASSPHRASE_CHOOSE_NEW), skipped)
    print(Msg.PASSPHRASE_CHANGED.format(count=changed, already=already))
    tell_left_out(skipped)
    print(Msg.ENCRYPTION_FORGET_WARNING.format())
    return 0
