"""Encryption at rest (crypto.py): sealed blocks read back, nothing readable on disk, a
wrong passphrase changes nothing, blocks cut short, altered or moved are caught, keys are
derived once per salt -- and a plaintext journal never loads the library."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from journals import T0, entry, header_of, read_copy, write_session
from sessions import REPO

from assistant.errors import ReflectError
from assistant.journal import Journal, crypto, open_journal
from assistant.journal.crypto import Cipher, Keyring
from assistant.journal.errors import DamagedHeader, WrongPassphrase
from assistant.messages import Msg
from assistant.terminal.console import ask_passphrase

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
    reader = Journal(sealed.directory, Cipher.open(header_of(path), "correct horse battery staple"))
    assert reader.read(path.stem).entries == entries
    assert next(r for r, _ in sealed.search(SECRET.lower())).id == path.stem


def test_the_file_says_what_it_is_and_holds_no_plaintext(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0, f"{SECRET} about Question 0")])
    data = path.read_bytes()
    assert b"Reflect encrypted journal" in data.split(b"\n---\n")[0]
    for word in (SECRET, "Question 0", "hurt", "step-0", "silence"):
        assert word.encode() not in data
    assert b"correct horse" not in data
    body = data.split(b"\n---\n", 1)[1]
    assert len(body.splitlines()) == 2  # role mark + answer: one base64 line per block


def test_wrong_passphrase_is_one_clear_error_and_reads_nothing(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0)])
    before = path.read_bytes()
    with pytest.raises(ReflectError) as err:
        Cipher.open(header_of(path), "wrong")
    assert err.value.msg is Msg.PASSPHRASE_WRONG and err.value.exit_code == 2
    assert path.read_bytes() == before


def test_a_damaged_header_is_reported_not_crashed(sealed: Journal) -> None:
    path = write_session(sealed, [entry(0)])
    header = header_of(path) | {"salt": "***not base64***"}
    with pytest.raises(ReflectError) as err:
        Cipher.open(header, "correct horse battery staple")
    assert err.value.msg is Msg.ENCRYPTED_HEADER_BAD
    with pytest.raises(ReflectError) as err:
        Journal(sealed.directory).read(path.stem)  # no passphrase given
    assert err.value.msg is Msg.JOURNAL_LOCKED


def test_the_newest_key_a_passphrase_opens_passes_over_damaged_headers(
        sealed: Journal, cipher: Cipher) -> None:
    older, newer = (write_session(sealed, [entry(n)]) for n in range(2))
    good, damaged = header_of(older), header_of(newer) | {"salt": "***"}
    other = header_of(write_session(Journal(sealed.directory.parent / "other",
                                            Cipher.create("another passphrase")), [entry(0)]))
    keyring = Keyring("correct horse battery staple")
    key = keyring.newest([good, damaged])
    assert key is not None and key.salt == cipher.salt
    with pytest.raises(DamagedHeader):  # nothing intact to try: the damage is the news
        keyring.newest([damaged])
    assert keyring.newest([damaged, other]) is None  # an intact header it does not open
    with pytest.raises(WrongPassphrase):
        keyring.open(other)


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
    header = header_of(write_session(sealed, [entry(0)])) | costs
    with pytest.raises(ReflectError) as err:
        Cipher.open(header, "correct horse battery staple")
    assert err.value.msg is Msg.ENCRYPTED_HEADER_BAD and "out of range" in str(err.value)


def test_each_salt_is_derived_once_however_many_sessions_share_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for passphrase, days in (("mine", range(4)), ("theirs", range(4, 7))):
        journal = Journal(tmp_path / "j", Cipher.create(passphrase))
        for day in days:
            with journal.start("g", started=T0 + timedelta(days=day)) as w:
                w.answer(entry(day))
    from cryptography.hazmat.primitives.kdf import scrypt

    derived: list[bytes] = []
    real = scrypt.Scrypt

    def counting(salt: bytes, **kw: int) -> object:
        derived.append(salt)
        return real(salt=salt, **kw)

    monkeypatch.setattr(scrypt, "Scrypt", counting)
    skipped: list[ReflectError] = []
    records = open_journal(directory=tmp_path / "j", ask=lambda new: "mine").sessions(skipped)
    assert [r.entries for r in records] == [[entry(day)] for day in range(4)]
    assert len(skipped) == 3 and len(derived) == 2  # one key per salt: 0.1 s each, not per file
    derived.clear()
    with pytest.raises(ReflectError):
        open_journal(directory=tmp_path / "j", ask=lambda new: "neither")
    assert len(derived) == 2


PLAINTEXT_ONLY = """
import sys
from pathlib import Path
from assistant.journal import Journal, open_journal
from assistant.journal.export import readable
journal = open_journal(directory=Path(sys.argv[1]))
readable(journal.read(journal.sessions()[0].id))
journal.search("answer")
assert "cryptography" not in sys.modules, "loaded for a plaintext journal"
"""


def test_a_plaintext_journal_never_loads_the_library(journal: Journal) -> None:
    write_session(journal, [entry(0)], end=True)
    done = subprocess.run([sys.executable, "-c", PLAINTEXT_ONLY, str(journal.directory)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
