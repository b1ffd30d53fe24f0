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

The passphrase is typed (twice when it is new) without echo, or, for scripts and tests,
taken from the REFLECT_PASSPHRASE environment variable.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import os
import sys
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from assistant.messages import EXIT_BAD_INPUT, Msg, ReflectError

SCHEME = "aes-256-gcm"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # ~0.1 s and 32 MiB per derivation
NONCE = 12
_CHECK = b"reflect journal key check"
HEADER_NOTE = (
    "Reflect encrypted journal. The answers below are sealed with your passphrase;",
    "read them with: reflect journal show SESSION",
)
PASSPHRASE_ENV = "REFLECT_PASSPHRASE"


def block_aad(session_id: str, seq: int) -> bytes:
    """What each block is bound to: its session and its position in the file."""
    return f"reflect-block|{session_id}|{seq}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Cipher:
    """A derived key plus the header fields that let the same passphrase derive it again."""

    def __init__(self, passphrase: str, salt: bytes, n: int, r: int, p: int) -> None:
        self._passphrase = passphrase  # kept in memory only: files with another salt
        self.salt, self.n, self.r, self.p = salt, n, r, p
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())
        self._aead = AESGCM(key)

    @classmethod
    def create(cls, passphrase: str) -> Cipher:
        """A new key with a fresh random salt."""
        if not passphrase:
            raise ReflectError(Msg.PASSPHRASE_EMPTY, EXIT_BAD_INPUT)
        return cls(passphrase, os.urandom(16), SCRYPT_N, SCRYPT_R, SCRYPT_P)

    @classmethod
    def open(cls, header: Mapping[str, str | None], passphrase: str) -> Cipher:
        """The key for a file's header; a wrong passphrase raises before anything is read."""
        try:
            if header.get("encryption") != SCHEME or header.get("kdf") != "scrypt":
                raise ValueError(f"unknown scheme {header.get('encryption')}")
            cipher = cls(passphrase, base64.b64decode(header["salt"] or "", validate=True),
                         int(header["scrypt-n"] or ""), int(header["scrypt-r"] or ""),
                         int(header["scrypt-p"] or ""))
            check = base64.b64decode(header["check"] or "", validate=True)
        except (KeyError, ValueError, binascii.Error) as err:
            raise ReflectError(Msg.ENCRYPTED_HEADER_BAD, session=header.get("session"),
                               reason=str(err) or type(err).__name__) from err
        if cipher._open(check, cipher._check_aad()) != _CHECK:
            raise ReflectError(Msg.PASSPHRASE_WRONG, EXIT_BAD_INPUT)
        return cipher

    def header(self) -> dict[str, str | None]:
        """Fields for a new file's front matter (salt and costs, never the key)."""
        check = self._seal(_CHECK, self._check_aad())
        return {"encryption": SCHEME, "kdf": "scrypt", "scrypt-n": str(self.n),
                "scrypt-r": str(self.r), "scrypt-p": str(self.p), "salt": _b64(self.salt),
                "check": _b64(check)}

    def for_header(self, header: Mapping[str, str | None]) -> Cipher:
        """This cipher when the file shares its salt (the usual case), else one derived
        for that file from the same passphrase."""
        if header.get("salt") == _b64(self.salt) and header.get("scrypt-n") == str(self.n):
            return self
        return Cipher.open(header, self._passphrase)

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
        except InvalidTag:
            return None


def ask_passphrase(new: bool) -> str:
    """The passphrase from REFLECT_PASSPHRASE (scripts, tests) or typed without echo;
    a new one is typed twice so a typo cannot lock the user out."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        if not env:
            raise ReflectError(Msg.PASSPHRASE_EMPTY, EXIT_BAD_INPUT)
        return env
    if not sys.stdin.isatty():
        raise ReflectError(Msg.PASSPHRASE_NEEDED, EXIT_BAD_INPUT)
    first = getpass.getpass(Msg.PASSPHRASE_NEW.format() if new else Msg.PASSPHRASE_ASK.format())
    if not first:
        raise ReflectError(Msg.PASSPHRASE_EMPTY, EXIT_BAD_INPUT)
    if new and getpass.getpass(Msg.PASSPHRASE_AGAIN.format()) != first:
        raise ReflectError(Msg.PASSPHRASE_MISMATCH, EXIT_BAD_INPUT)
    return first
