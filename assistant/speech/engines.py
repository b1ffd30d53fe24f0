"""Which engines run, chosen from the settings in this one place: the voice (Piper or
espeak-ng, `for_settings`), the recognizer's model (Vosk for a model folder, Whisper for a
packaged Whisper model, `open_model`: both have `name`, `sample_rate`, `load()` and
`recognizer(warm, grammar)`) and the speech detector (Silero VAD or the loudness rule,
`detector`). The parts are handed what is chosen; none of them chooses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.assets.whispers import Packaged
from assistant.errors import ReflectError, reason
from assistant.messages import Msg
from assistant.speech.errors import NoSpeech
from assistant.speech.listening.vad import Loudness, SpeechDetector
from assistant.speech.stt.vosk import SpeechModel
from assistant.speech.stt.whisper import WhisperModel

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.speech.tts.synthesizer import Synthesizer

log = logging.getLogger(__name__)
Model = SpeechModel | WhisperModel


def open_model(choice: Path | Packaged) -> Model:
    """The model for `choice`; loading waits for `load()` or the first recognizer."""
    if isinstance(choice, Packaged):
        return WhisperModel(choice, lambda: detector(WhisperModel.sample_rate)[0])
    return SpeechModel(choice)


def detector(rate: int) -> tuple[SpeechDetector, str | None]:
    """Silero VAD for audio at `rate`, or when it cannot load the loudness rule and why
    (one sentence in the log: listening goes on either way)."""
    try:
        from assistant.speech.listening.silero import Silero

        return Silero(rate), None
    except Exception as err:  # not installed, or its library or model will not load
        why = reason(err)
        log.warning("Silero VAD cannot load (%s): speech is told from silence by loudness", why)
        return Loudness(), why


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
    from assistant.assets import voices
    from assistant.speech.tts.espeak import Espeak

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
            from assistant.speech.tts.piper import Piper

            return Piper(voice.name, voice.model, voice.config, settings.rate,
                         settings.volume)
    except ReflectError as err:
        if tell is not None:
            tell(err)
        name = ""
    return Espeak(name or espeak_voice_for(language), settings.rate, settings.volume)


def espeak_voice_for(language: str) -> str | None:
    """espeak-ng's voice for the guide's language, when it has one (else its default)."""
    from assistant.speech.tts.espeak import voices

    wanted = {language.lower(), language.lower().split("-")[0]}
    for voice in voices():
        codes = {str(c).lower() for c in voice.languages}
        if wanted & codes or voice.id.rsplit("/", 1)[-1].lower() in wanted:
            return voice.id
    return None
