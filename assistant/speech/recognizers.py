"""Which engine listens: a model choice (models.resolve) made into the model object the ear
and the barge-in watcher ask for recognizers -- Vosk for a model folder, Whisper for a
packaged Whisper model. Both have `name`, `sample_rate`, `load()` and
`recognizer(warm, grammar)`.
"""

from __future__ import annotations

from pathlib import Path

from assistant.speech.vosk import SpeechModel
from assistant.speech.whisper import WhisperModel
from assistant.whispers import Packaged

Model = SpeechModel | WhisperModel


def open_model(choice: Path | Packaged) -> Model:
    """The model for `choice`; loading waits for `load()` or the first recognizer."""
    if isinstance(choice, Packaged):
        from assistant.speech.detect import best
        from assistant.speech.whisper import RATE

        return WhisperModel(choice, lambda: best(RATE)[0])
    return SpeechModel(choice)
