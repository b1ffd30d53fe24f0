"""What can go wrong with speech, by kind (see assistant/errors.py): the app decides on
these -- stop with the sentence, print instead of speaking -- never on the sentence."""

from __future__ import annotations

from assistant.errors import EXIT_FAILURE, BadInput, Unavailable


class BadSoundFile(BadInput):
    """A sound file the user named (--mic-file, --speaker-file) cannot be read or written:
    the run stops, with exit status 1 as it always had."""

    exit_code = EXIT_FAILURE


class NoSpeech(Unavailable):
    """Speech output does not work here (no engine, or rendering failed); its sentence
    already says that the prompts are printed instead."""


class UnknownVoice(Unavailable):
    """The voice setting names a voice the engine does not have."""
