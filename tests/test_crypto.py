"""Encryption at rest: sealed blocks read back, nothing readable on disk, a wrong passphrase
changes nothing, and blocks cut short, altered or moved are caught."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from test_journal import T0, entry, read_copy, write_session

from assistant.errors import ReflectError
from assistant.journal import Journal, Mark, crypto, render_markdown
from assistant.journal.crypto import Cipher
from assistant.messages import Msg
from assistant.terminal import ask_passphrase

SECRET = "Unmistakable-secret-words"


@pytest.fixture(scope="module")
def cipher() -> Cipher:
    return Cipher.create("correct horse battery staple")


@pytest.fixture
def sealed(tmp_path: Path, cipher: Cipher) -> Journal:
    return Journal(tmp_path / "journal", cipher)


def test_round_trip_through_sealed_blocks(sealed: Journal) -> None:
    entries = [entry(0, f"{SECRET} one"), entry(1, f"{SECRET}\nsecond — ünïcode")]
    path = write_session(sealed, entries, end=True)
    record = sealed.read(path.stem)
    assert record.entries == entries and record.encrypted and record.finished
    assert record.role == "hurt" and record.set_aside == []
    reader = Journal(sealed.directory, Cipher.open(_header(path), "correct horse battery staple"))
    assert reader.read(path.stem).entries == entries
    assert next(r for r, _ in sealed.search(SECRET.lower())).id == path.stem



def test_search_opens_each_sealed_block_once_and_finds_replaced_answers(
        sealed: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    write_session(sealed, [entry(0, f"{SECRET} first"), entry(1), entry(0, f"{SECRET} again")])
    opened: list[bytes] = []
    real = Cipher.unseal
    monkeypatch.setattr(Cipher, "unseal", lambda self, line, aad: opened.append(aad)
                        or real(self, line, aad))
    hits = sealed.search(SECRET.upper())
    assert [(e.text, r.replaced(e)) for r, e in hits] == [(f"{SECRET} first", True),
                                                          (f"{SECRET} again", False)]
    assert len(opened) == len(set(opened)) == 4  # role mark and three answers, once each

def _header(path: Path) -> dict:
    from assistant.journal.format import split_front_matter

    return split_front_matter(path.read_bytes())[0]


def test_the_file_says_what_it_is_and_holds_no_plaintext(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0, f"{SECRET} about Question 0")])
    data = path.read_bytes()
    assert b"Reflect encrypted journal" in data.split(b"\n---\n")[0]
    for word in (SECRET, "Question 0", "hurt", "step-0", "silence"):
        assert word.encode() not in data
    assert b"correct horse" not in data
    body = data.split(b"\n---\n", 1)[1]
    assert len(body.splitlines()) == 2  # role mark + answer: one base64 line per block


def test_nothing_in_plain_text_is_ever_written(sealed: Journal, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Spy on every write of the process: the plaintext never reaches a file, not even a
    temporary one -- for a sealed session and for converting a plaintext one."""
    plain = Journal(tmp_path / "plain")
    write_session(plain, [entry(0, f"{SECRET} converted")])
    written: list[bytes] = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, b: written.append(bytes(b)) or real(fd, b))
    write_session(sealed, [entry(1, f"{SECRET} sealed")])
    plain.cipher = sealed.cipher
    assert plain.encrypt_all() == (1, 0)
    assert written and not any(SECRET.encode() in w for w in written)
    assert sorted(p.name for p in plain.directory.iterdir()) == [
        "2026-11-23T21-55-00-rebuilding-trust.md"]  # no temporary file left behind


def test_wrong_passphrase_is_one_clear_error_and_reads_nothing(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0)])
    before = path.read_bytes()
    with pytest.raises(ReflectError) as err:
        Cipher.open(_header(path), "wrong")
    assert err.value.msg is Msg.PASSPHRASE_WRONG and err.value.exit_code == 2
    assert path.read_bytes() == before


def test_a_damaged_header_is_reported_not_crashed(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0)])
    header = _header(path) | {"salt": "***not base64***"}
    with pytest.raises(ReflectError) as err:
        Cipher.open(header, "correct horse battery staple")
    assert err.value.msg is Msg.ENCRYPTED_HEADER_BAD
    with pytest.raises(ReflectError) as err:
        Journal(sealed.directory).read(path.stem)  # no passphrase given
    assert err.value.msg is Msg.JOURNAL_LOCKED


def test_swapped_or_moved_blocks_are_caught(sealed: Journal, tmp_path: Path) -> None:
    path = write_session(sealed, [entry(n) for n in range(4)])
    head, body = path.read_bytes().split(b"\n---\n", 1)
    lines = body.splitlines()
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    path.write_bytes(head + b"\n---\n" + b"\n".join(swapped) + b"\n")
    record = sealed.read(path.stem)
    assert record.entries == [entry(2), entry(3)]  # positions 1 and 2 fail to open
    assert len(record.set_aside) == 2
    assert all("cannot be opened" in s for s in record.set_aside)
    # a block copied into another session does not open there either
    other = write_session(sealed, [entry(9)])
    other.write_bytes(other.read_bytes() + lines[3] + b"\n")
    assert sealed.read(other.stem).entries == [entry(9)]
    assert len(sealed.read(other.stem).set_aside) == 1


def test_a_sealed_block_cut_at_any_byte_is_set_aside(sealed: Journal, tmp_path: Path) -> None:
    path = write_session(sealed, [entry(0)])
    before = path.read_bytes()
    with sealed.reopen(path.stem) as w:
        w.answer(entry(1, f"{SECRET} last"))
    full = path.read_bytes()
    folder = tmp_path / "cut"
    folder.mkdir()
    reader = Journal(folder, sealed.cipher)
    for cut in range(len(before), len(full) + 1):
        (folder / path.name).write_bytes(full[:cut])
        record = reader.read(path.stem)
        complete = cut >= len(full) - 1
        assert record.entries == [entry(0)] + [entry(1, f"{SECRET} last")] * complete, cut
        assert len(record.set_aside) == (0 if complete or cut == len(before) else 1), cut
        with reader.reopen(path.stem) as w:  # resuming after a torn line: a fresh line
            w.answer(entry(2))
        resumed = reader.read(path.stem)
        assert resumed.entries == [*record.entries, entry(2)], cut
        assert resumed.set_aside == record.set_aside, cut


def test_converting_keeps_everything_and_reads_back_identically(
        tmp_path: Path, cipher: Cipher) -> None:
    plain = Journal(tmp_path / "journal")
    path = write_session(plain, [entry(0), entry(1, f"{SECRET}\nwith lines")], end=True)
    original = path.read_bytes()
    other = write_session(plain, [entry(5)])
    noted = other.read_bytes().replace(b"\n## Step 1", b"\nMy note.\n\n## Step 1") + b"\n## Tor"
    other.write_bytes(noted.replace(b"model: vosk", b"mood: calm\nmodel: vosk"))
    before = {p: plain.read(p.stem) for p in (path, other)}
    plain.cipher = cipher
    assert plain.encrypt_all() == (2, 0)
    assert plain.encrypt_all() == (0, 2)  # running it again changes nothing
    assert SECRET.encode() not in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    after = plain.read(path.stem)
    assert render_markdown(after) == original
    converted = plain.read(other.stem)
    assert converted.blocks == before[other].blocks and converted.set_aside == ["## Tor"]
    with plain.reopen(path.stem) as w:  # a converted session can be appended to
        w.mark(Mark("skip", T0 + timedelta(hours=2), step="s", prompt=0))
    assert ("s", 0) in plain.read(path.stem).done


def test_other_salts_open_with_the_same_passphrase(tmp_path: Path, cipher: Cipher) -> None:
    first = Journal(tmp_path / "j", cipher)
    path = write_session(first, [entry(0)])
    second = Journal(tmp_path / "j", Cipher.create("correct horse battery staple"))
    assert second.read(path.stem).entries == [entry(0)]
    wrong = Journal(tmp_path / "j", Cipher.create("another passphrase"))
    with pytest.raises(ReflectError) as err:
        wrong.read(path.stem)
    assert err.value.msg is Msg.PASSPHRASE_NOT_THIS_SESSION and err.value.exit_code == 2


def test_passphrase_from_the_environment_and_never_empty(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "from env")
    assert crypto.passphrase_from_env(new=True) == "from env"
    assert ask_passphrase(new=True) == "from env"  # the CLI's asker reads it first
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "")
    for asker in (crypto.passphrase_from_env, ask_passphrase):
        with pytest.raises(ReflectError) as err:
            asker(new=False)
        assert err.value.msg is Msg.PASSPHRASE_EMPTY
    monkeypatch.delenv(crypto.PASSPHRASE_ENV)
    with pytest.raises(ReflectError) as err:  # the journal never asks: no prompt, a sentence
        crypto.passphrase_from_env(new=False)
    assert err.value.msg is Msg.PASSPHRASE_NEEDED


def test_an_encrypted_file_without_the_passphrase_is_refused(tmp_path: Path,
                                                             sealed: Journal) -> None:
    """An encrypted file read without the passphrase is refused, never shown as junk."""
    path = write_session(sealed, [entry(0)])
    with pytest.raises(ReflectError) as err:
        read_copy(tmp_path, path.read_bytes(), path.stem)
    assert err.value.msg is Msg.JOURNAL_LOCKED


@pytest.mark.parametrize("costs", [{"scrypt-n": str(2**30)}, {"scrypt-n": "1000"},
                                   {"scrypt-r": "0"}, {"scrypt-p": "99"}])
def test_a_header_asking_for_absurd_key_costs_is_damaged_not_obeyed(
        sealed: Journal, costs: dict[str, str]) -> None:
    """A file copied in from elsewhere must not make Reflect spend minutes or gigabytes."""
    header = _header(write_session(sealed, [entry(0)])) | costs
    with pytest.raises(ReflectError) as err:
        Cipher.open(header, "correct horse battery staple")
    assert err.value.msg is Msg.ENCRYPTED_HEADER_BAD and "out of range" in str(err.value)


def test_each_salt_is_derived_once_however_many_sessions_share_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.journal import open_journal

    for passphrase, days in (("mine", range(4)), ("theirs", range(4, 7))):
        journal = Journal(tmp_path / "j", Cipher.create(passphrase))
        for day in days:
            with journal.start("g", started=T0 + timedelta(days=day)) as w:
                w.answer(entry(day))
    derived: list[bytes] = []
    real = crypto.Scrypt

    def counting(salt: bytes, **kw: int) -> object:
        derived.append(salt)
        return real(salt=salt, **kw)

    monkeypatch.setattr(crypto, "Scrypt", counting)
    skipped: list[ReflectError] = []
    records = open_journal(directory=tmp_path / "j", ask=lambda new: "mine").sessions(skipped)
    assert [r.entries for r in records] == [[entry(day)] for day in range(4)]
    assert len(skipped) == 3 and len(derived) == 2  # one key per salt: 0.1 s each, not per file
    derived.clear()
    with pytest.raises(ReflectError):
        open_journal(directory=tmp_path / "j", ask=lambda new: "neither")
    assert len(derived) == 2
