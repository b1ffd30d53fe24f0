"""Text to speech behind one small interface, so that engines plug in: a Synthesizer turns
text into sound and the Voice (voice.py) plays, caches and pre-renders it, whichever
engine made it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.errors import NoSpeech

if TYPE_CHECKING:
    from assistant.config import Settings


class Sound(NamedTuple):
    """Mono int16 PCM and its rate."""

    pcm: np.ndarray
    rate: int


class Synthesizer(Protocol):
    @property
    def identity(self) -> str:
        """The engine, its version and every setting that changes the sound (voice, rate,
        volume): one identity and one text always sound the same, so the two key the
        cache, and a new engine version renders afresh."""
        ...

    def synthesize(self, text: str) -> Iterator[Sound]:
        """`text` as sound, in one or more chunks to play one after the other, all at one
        rate (an engine may yield one chunk per sentence, or one for the whole text).

        Called from any thread: an engine that is not thread-safe serialises the calls
        itself. Raises SpeaksItself when it cannot hand sound over on this platform, and
        speech.errors.NoSpeech when it fails."""
        ...

    def close(self) -> None: ...


class SpeaksItself(Exception):
    """The engine cannot hand its sound over on this platform: `speak()` has it say the
    text through its own playback instead (that sound can be neither kept nor cut short)."""

    def __init__(self, speak: Callable[[], None]) -> None:
        super().__init__()
        self.speak = speak


def for_settings(settings: Settings, language: str = "en",
                 tell: Callable[[ReflectError], None] | None = None) -> Synthesizer:
    """The engine and voice the `voice` setting asks for, with its rate and volume:

    - `piper:NAME` (an installed Piper voice) or `piper:/path/to/voice.onnx` (its
      .onnx.json beside it, as Piper's own command line takes it);
    - `espeak:NAME` (an espeak-ng voice, by id, name or language);
    - a bare NAME: an installed Piper voice of that name, else an espeak-ng voice;
    - nothing: the installed Piper voice for the guide's `language`, else espeak-ng in
      that language (or its default voice).

    When Piper cannot speak (not installed, a voice file it cannot read, a voice that is
    not installed), `tell` gets the error, whose one sentence says why, and espeak-ng
    speaks instead."""
    from assistant import voices
    from assistant.speech.espeak import Espeak

    engine, _, name = (settings.voice or "").partition(":")
    if engine not in ("piper", "espeak"):
        engine, name = "", settings.voice or ""
    if engine == "espeak":
        return Espeak(name or None, settings.rate, settings.volume)
    try:
        if engine == "piper" and ("/" in name or name.endswith(voices.MODEL)):
            voice = voices.at_path(Path(name))
        elif name:
            voice = voices.named(name)
            if voice is None and engine == "piper":
                raise NoSpeech(Msg.PIPER_VOICE_NOT_INSTALLED_USING_ESPEAK, voice=name)
        else:
            voice = voices.for_language(language)
        if voice is not None:
            from assistant.speech.piper import Piper

            return Piper(voice.name, voice.model, voice.config, settings.rate,
                         settings.volume)
    except ReflectError as err:
        if tell is not None:
            tell(err)
        name = ""
    return Espeak(name or espeak_voice_for(language), settings.rate, settings.volume)


def espeak_voice_for(language: str) -> str | None:
    """espeak-ng's voice for the guide's language, when it has one (else its default)."""
    from assistant.speech.espeak import voices

    wanted = {language.lower(), language.lower().split("-")[0]}
    for voice in voices():
        codes = {str(c).lower() for c in voice.languages}
        if wanted & codes or voice.id.rsplit("/", 1)[-1].lower() in wanted:
            return voice.id
    return None
