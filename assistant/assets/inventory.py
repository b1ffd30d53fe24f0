"""What this machine offers: audio devices and text-to-speech voices, as plain lines a
screen reader can follow, so the user can pick them by number or name in the settings."""

from __future__ import annotations

from collections import defaultdict

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.audio import devices
from assistant.speech.errors import NoSpeech


def device_lines() -> list[str]:
    """Input devices, then output devices: index, name, channels, default rate."""
    found = devices.listing()
    lines: list[str] = []
    for header, kind in ((Msg.DEVICES_INPUT_HEADER, "input"),
                         (Msg.DEVICES_OUTPUT_HEADER, "output")):
        lines.append(header.format())
        these = found.of(kind)
        for dev in these:
            default = dev.index == found.defaults[kind]
            line = Msg.DEVICE_LINE_DEFAULT if default else Msg.DEVICE_LINE
            lines.append("  " + line.format(index=dev.index, name=dev.name,
                                            channels=dev.channels[kind], rate=dev.rate))
        if not these:
            lines.append("  " + Msg.DEVICES_NONE.format())
    lines.append(Msg.DEVICES_HINT.format())
    return lines


def _language(tag: str | bytes) -> str:
    """`en` from `en-gb`; older pyttsx3 gives espeak's bytes with a priority byte first."""
    text = tag.decode(errors="replace") if isinstance(tag, bytes) else str(tag)
    return text.strip("".join(map(chr, range(33)))).split("-")[0].lower() or "?"


def voice_lines() -> list[str]:
    """Piper voices (installed, then the well-known ones that can be downloaded) and the
    voices espeak-ng offers, each grouped by language (en: en-gb, en-us ...)."""
    from assistant.assets import voices
    from assistant.assets.download import human_size
    from assistant.speech.tts import espeak

    lines = [Msg.VOICES_PIPER_HEADER.format()]
    piper: dict[str, list[str]] = defaultdict(list)
    have = voices.installed()
    for voice in have:
        line = (Msg.VOICE_PIPER_PACKAGE.format(name=voice.name, package=voice.package)
                if voice.package else
                Msg.VOICE_PIPER_INSTALLED.format(name=voice.name, path=voice.model))
        piper[voice.language].append(line)
    for known in voices.CATALOGUE:
        if all(v.name != known.name for v in have):
            piper[known.language].append(Msg.VOICE_PIPER_AVAILABLE.format(
                name=known.name, size=human_size(known.size)))
    lines += _grouped(piper)
    try:
        found = espeak.voices()
    except NoSpeech as err:
        raise ReflectError(Msg.NO_VOICES, reason=err.fields["reason"]) from err
    if not found and not have:
        raise ReflectError(Msg.VOICES_NONE)
    by_language: dict[str, list[str]] = defaultdict(list)
    for voice in found:
        language = _language((voice.languages or ["?"])[0])
        by_language[language].append(Msg.VOICE_LINE.format(name=voice.name, id=voice.id))
    lines += [Msg.VOICES_ESPEAK_HEADER.format(), *_grouped(by_language),
              Msg.VOICES_HINT.format()]
    return lines


def _grouped(by_language: dict[str, list[str]]) -> list[str]:
    """`language:` then its lines, indented, languages and lines in order."""
    lines = []
    for language in sorted(by_language):
        lines.append(Msg.VOICES_LANGUAGE.format(language=language))
        lines.extend("  " + line for line in sorted(by_language[language]))
    return lines
