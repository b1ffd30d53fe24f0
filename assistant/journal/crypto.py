"""Encryption at rest: a passphrase seals each journal block with AES-GCM.

The key comes from the passphrase through scrypt; the salt and cost parameters sit in each
file's header, so a file can be opened on its own. Every block is sealed separately and
written as one base64 line, which keeps the file append-only and a torn last line
detectable. The associated data binds each block to its session id and its position, so
blocks moved, swapped or copied between sessions fail to open instead of reading as true.
A key-check value in the header turns a wrong passphrase into one clear sentence before
anything is read or written. The passphrase itself is never written anywhere.

What stays readable: the header (session id, guide, start time, speech model -- the file
name shows most of that anyway). What is not detected: whole blocks dropped from the end
of a file, which reads like a session that stopped earlier.

Each file opens on its own: sessions copied in from another home may have another salt
or another passphrase, and one that does not open locks out no other (`Keyring`).

The header fields a sealed file carries are this module's (HEADER_KEYS): the front-matter
reader takes them from here, and `is_sealed` tells a sealed file by them. The library is
loaded with the first key, so a plaintext journal never loads it.

The passphrase is typed (twice when it is new) without echo, or, for scripts and tests,
taken from the REFLECT_PASSPHRASE environment variable (REFLECT_NEW_PASSPHRASE for the new
one when it is changed).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence

from assistant.errors import BadInput
from assistant.journal.errors import DamagedHeader, WrongPassphrase
from assistant.messages import Msg

SCHEME = "aes-256-gcm"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # ~0.1 s and 32 MiB per derivation
NONCE = 12
_CHECK = b"reflect journal key check"
HEADER_NOTE = (
    "Reflect encrypted journal. The answers below are sealed with your passphrase;",
    "read them with: reflect journal show SESSION",
)
MAX_MEMORY, MAX_P = 2**28, 16  # bytes scrypt may use (128 * n * r), and its parallelism
PASSPHRASE_ENV = "REFLECT_PASSPHRASE"
NEW_PASSPHRASE_ENV = "REFLECT_NEW_PASSPHRASE"  # `reflect journal passphrase`: the new one
# The front-matter fields of a sealed file, in the order they are written.
HEADER_KEYS = ("encryption", "kdf", "scrypt-n", "scrypt-r", "scrypt-p", "salt", "check")


def is_sealed(header: Mapping[str, str | None]) -> bool:
    """Whether a file's front matter says its blocks are sealed."""
    return bool(header.get(HEADER_KEYS[0]))


def block_aad(session_id: str, seq: int) -> bytes:
    """What each block is bound to: its session and its position in the file."""
    return f"reflect-block|{session_id}|{seq}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


Params = tuple[bytes, int, int, int]  # salt, scrypt n, r, p


def _params(header: Mapping[str, str | None]) -> Params:
    """The key's salt and costs from a file's header. Costs are bounded: a file copied in
    from elsewhere must not make Reflect derive a key for minutes or with gigabytes."""
    try:
        if header.get("encryption") != SCHEME or header.get("kdf") != "scrypt":
            raise ValueError(f"unknown scheme {header.get('encryption')}")
        salt = base64.b64decode(header["salt"] or "", validate=True)
        n, r, p = (int(header[key] or "") for key in ("scrypt-n", "scrypt-r", "scrypt-p"))
        if not (n > 1 and n & (n - 1) == 0 and r > 0 and 128 * n * r <= MAX_MEMORY
                and 0 < p <= MAX_P):
            raise ValueError(f"scrypt costs out of range (n={n}, r={r}, p={p})")
    except (KeyError, ValueError, binascii.Error) as err:
        raise DamagedHeader(header.get("session"), str(err) or type(err).__name__) from err
    return salt, n, r, p


class Keyring:
    """One passphrase's keys, derived once per salt and cost (scrypt is slow on purpose):
    sessions from other homes have salts of their own, and each opens on its own."""

    def __init__(self, passphrase: str) -> None:
        self.passphrase = passphrase  # kept in memory only
        self._ciphers: dict[Params, Cipher] = {}

    def create(self) -> Cipher:
        """A key with a fresh random salt, for new files."""
        if not self.passphrase:
            raise BadInput(Msg.PASSPHRASE_EMPTY)
        return self._cipher((os.urandom(16), SCRYPT_N, SCRYPT_R, SCRYPT_P))

    def open(self, header: Mapping[str, str | None]) -> Cipher:
        """The key for a file's header. Raises WrongPassphrase when this passphrase does
        not open it (its check value is checked per file: one damaged value in one file
        locks out no other file), DamagedHeader when the header is damaged."""
        cipher = self._cipher(_params(header))
        try:
            check = base64.b64decode(header.get("check") or "", validate=True)
        except (ValueError, binascii.Error) as err:
            raise DamagedHeader(header.get("session"), str(err) or type(err).__name__) from err
        if cipher._open(check, cipher._check_aad()) != _CHECK:
            raise WrongPassphrase()
        return cipher

    def opens(self, header: Mapping[str, str | None]) -> Cipher | None:
        """The key for the header, or None when this passphrase does not open it."""
        try:
            return self.open(header)
        except WrongPassphrase:
            return None

    def newest(self, headers: Sequence[Mapping[str, str | None]]) -> Cipher | None:
        """The key from the newest of `headers` (oldest first) this passphrase opens, or
        None. A damaged header is passed over (it is set aside where it is read); when
        every one is, that error."""
        damaged: DamagedHeader | None = None
        intact = False
        for header in reversed(headers):
            try:
                cipher = self.opens(header)
            except DamagedHeader as err:
                damaged = err
                continue
            if cipher is not None:
                return cipher
            intact = True
        if damaged is not None and not intact:
            raise damaged
        return None

    def _cipher(self, params: Params) -> Cipher:
        if params not in self._ciphers:
            self._ciphers[params] = Cipher(self, *params)
        return self._ciphers[params]


class Cipher:
    """A derived key plus the header fields that let the same passphrase derive it again."""

    def __init__(self, keyring: Keyring, salt: bytes, n: int, r: int, p: int) -> None:
        from cryptography.exceptions import InvalidTag  # loaded with the first key only
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        self.keyring = keyring  # the keys of files with another salt, same passphrase
        self.salt, self.n, self.r, self.p = salt, n, r, p
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(keyring.passphrase.encode())
        self._aead = AESGCM(key)
        self._altered = InvalidTag  # what the library raises for a block that does not open

    @classmethod
    def create(cls, passphrase: str) -> Cipher:
        """A new key with a fresh random salt."""
        return Keyring(passphrase).create()

    @classmethod
    def open(cls, header: Mapping[str, str | None], passphrase: str) -> Cipher:
        """The key for a file's header; a wrong passphrase raises before anything is read."""
        return Keyring(passphrase).open(header)

    def header(self) -> dict[str, str | None]:
        """Fields for a new file's front matter (salt and costs, never the key)."""
        check = self._seal(_CHECK, self._check_aad())
        values = (SCHEME, "scrypt", str(self.n), str(self.r), str(self.p), _b64(self.salt),
                  _b64(check))
        return dict(zip(HEADER_KEYS, values, strict=True))

    def seal(self, data: bytes, aad: bytes) -> bytes:
        """One base64 line (no newline) holding nonce + ciphertext + tag."""
        return base64.b64encode(self._seal(data, aad))

    def unseal(self, line: bytes, aad: bytes) -> bytes | None:
        """The plaintext, or None when the line is torn, altered or out of place."""
        try:
            return self._open(base64.b64decode(line.strip(), validate=True), aad)
        except (binascii.Error, ValueError):
            return None

    def _check_aad(self) -> bytes:
        return b"reflect-check|" + self.salt + f"|{self.n}|{self.r}|{self.p}".encode()

    def _seal(self, data: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, data, aad)

    def _open(self, sealed: bytes, aad: bytes) -> bytes | None:
        if len(sealed) < NONCE + 16:
            return None
        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], aad)
        except self._altered:
            return None


def reseal(lines: list[bytes], source: Cipher, source_id: str, target: Cipher,
           target_id: str) -> bytes:
    """Sealed lines opened with `source` as blocks of session `source_id` and sealed again
    with `target` as the same blocks of `target_id` (a new passphrase, or a new file). A
    line that does not open is kept as it is: it was set aside before and stays so."""
    out = []
    for seq, line in enumerate(lines):
        plain = source.unseal(line, block_aad(source_id, seq))
        out.append(line if plain is None else target.seal(plain, block_aad(target_id, seq)))
    return b"".join(line + b"\n" for line in out)


def passphrase_from_env(new: bool, env: str = PASSPHRASE_ENV) -> str:
    """The passphrase scripts and tests give in the environment variable `env`; the
    journal's own default, since it never asks a question (the CLI asks, see terminal/console.py).
    `new` is the asker's business (a new one is typed twice), not this one's."""
    given = os.environ.get(env)
    if given is None:
        raise BadInput(Msg.PASSPHRASE_NEEDED, env=env)
    if not given:
        raise BadInput(Msg.PASSPHRASE_EMPTY)
    return given
