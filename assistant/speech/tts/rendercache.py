"""Renderings of guide text kept on disk, so that the next question of a session (or of
the next one) starts the moment an answer is saved.

One WAV per text and synthesizer identity (engine, version, voice, rate, volume): a
changed voice never plays a stale rendering. Only what the session prepares -- guide
text -- is kept here; what the user said never is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from assistant import files
from assistant.speech.audio.wavfiles import read_wav, wav_bytes
from assistant.speech.errors import BadSoundFile
from assistant.speech.tts.synthesizer import Sound

log = logging.getLogger(__name__)


class RenderCache:
    """The renderings of one synthesizer in `folder`; None keeps nothing (memory only)."""

    def __init__(self, folder: Path | None, identity: str) -> None:
        self.folder = folder
        self.identity = identity

    def load(self, text: str) -> Sound | None:
        """The kept rendering of `text`, if there is a readable one."""
        path = self._path(text)
        if path is not None and path.is_file():
            try:
                return Sound(*read_wav(path))
            except BadSoundFile:
                log.warning("ignoring an unreadable cached rendering %s", path)
        return None

    def keep(self, text: str, sound: Sound) -> None:
        """Write it 0600 in 0700 folders, whole or not at all (a torn file is never read,
        and no other user can plant one: its name is predictable). A full or read-only
        disk costs speed, not speech."""
        path = self._path(text)
        if path is None:
            return
        try:
            files.private_dir(path.parent)
            files.replace_private(path, wav_bytes(*sound))
        except OSError as err:
            log.warning("cannot keep rendered speech in %s: %s", path.parent, err)

    def _path(self, text: str) -> Path | None:
        return None if self.folder is None else self.folder / cache_name(text, self.identity)


def cache_name(text: str, identity: str) -> str:
    """The file a rendering of `text` by the synthesizer `identity` is kept in."""
    return hashlib.sha256(json.dumps([text, identity]).encode()).hexdigest() + ".wav"
