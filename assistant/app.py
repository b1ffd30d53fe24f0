"""Builds a session's parts from the settings, runs it, and says where the answers are.

The one place that wires devices, engines, models and the journal together: the voice
(spoken and shown, or printed), the ear (spoken, or typed), the store (the journal's
writer), and every fallback when a part is missing -- each a sentence, then the session
goes on without it. A model the user chose that cannot be used, or a sound file option
that cannot be used, is an error instead. Heavy modules are imported here, inside the
functions, so `reflect --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from assistant.errors import BadInput, ReflectError
from assistant.messages import Msg

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.guides import Guide
    from assistant.journal import Journal, Record
    from assistant.speech.engines import Model
    from assistant.terminal.interrupts import StopRequest
    from assistant.text.commands import Commands
    from assistant.turns import Ear, Voice


class SessionIO(NamedTuple):
    """What a session talks through, and how to release it afterwards."""

    voice: Voice
    ear: Ear
    cleanup: Callable[[], None]
    # the speech model's name, for the journal's front matter (asked again before the
    # first answer is saved: None once the model turned out unusable, see Journal.start)
    model: Callable[[], str | None] = lambda: None


def session_io(args: argparse.Namespace, settings: Settings, language: str,
                commands: Commands, stop: StopRequest) -> SessionIO:
    """The voice and ear for this run. Spoken unless --text; each missing part (speech
    output, the default speech model, microphone) is one sentence, and the session goes on
    without it: prompts printed instead of spoken, typed answers instead of spoken ones.
    A model the user chose (--model, REFLECT_MODEL, the model setting) that cannot be used
    is an error before anything is written or said."""
    from contextlib import ExitStack

    from assistant.terminal.console import ConsoleEar, ConsoleVoice

    def typed_ear(inp: TextIO = sys.stdin) -> ConsoleEar:
        return ConsoleEar(inp, commands=commands, stop=stop)

    if args.text:
        return SessionIO(ConsoleVoice(), typed_ear(), lambda: None)
    from assistant.config import paths
    from assistant.speech.audio import wavfiles
    from assistant.speech.audio.microphone import MicStream
    from assistant.speech.audio.speaker import Speaker
    from assistant.speech.audio.streams import Source
    from assistant.speech.duplex import Duplex
    from assistant.speech.engines import for_settings
    from assistant.speech.errors import BadSoundFile
    from assistant.speech.listening.echo import Playback
    from assistant.speech.tts.voice import Voice
    from assistant.terminal.aloud import SpokenAndShown, printing_instead
    from assistant.terminal.console import EnterKey, LiveLine

    model = _speech_model(args, settings, language)
    parts = ExitStack()
    voice: Voice | ConsoleVoice | SpokenAndShown = ConsoleVoice()
    playback = Playback()  # what the speaker played: barge-in's echo rule
    try:
        speaker = (wavfiles.SpeakerFile(Path(args.speaker_file)) if args.speaker_file
                   else Speaker(settings.output_device,
                                tap=playback.played if settings.barge_in else None))
        parts.callback(speaker.close)
        spoken = Voice(speaker, settings, paths().cache_dir / "speech", for_settings(
            settings, language, tell=lambda err: print(err, file=sys.stderr)))
        parts.callback(spoken.close)
        voice = SpokenAndShown(spoken, voice, stop)
    except BadSoundFile:  # --speaker-file cannot be written: bad input, not a missing part
        parts.close()
        raise
    except ReflectError as err:
        printing_instead(err)

    def typing_instead(err: ReflectError) -> SessionIO:
        print(err, Msg.TYPING_INSTEAD.format(), file=sys.stderr)
        return SessionIO(voice, typed_ear(), parts.close)

    if isinstance(model, ReflectError):
        return typing_instead(model)
    try:
        source: Source = (
            wavfiles.MicFile(Path(args.mic_file), model.sample_rate, realtime=not args.fast)
            if args.mic_file else MicStream(settings.input_device, model.sample_rate))
        source.start()
    except BadSoundFile:  # --mic-file cannot be read: bad input, not a missing part
        parts.close()
        raise
    except ReflectError as err:
        return typing_instead(err)
    duplex = Duplex(source, model, settings, commands, playback=playback,
                    voice=voice.spoken if isinstance(voice, SpokenAndShown) else None,
                    watch=settings.barge_in and isinstance(source, MicStream),
                    transcript=LiveLine(), notice=lambda text: voice.say(text, "notice"),
                    typed=typed_ear, stop=stop,
                    keyboard=partial(EnterKey, sys.stdin) if sys.stdin.isatty() else None)
    if duplex.keyboard:
        print(Msg.ENTER_HINT.format())
    parts.callback(duplex.close)
    return SessionIO(voice, duplex, parts.close, duplex.model_name)


def _speech_model(args: argparse.Namespace, settings: Settings,
                  language: str) -> Model | ReflectError:
    """The model to listen with, or why there is none. A model the user named is loaded
    now, so that one that cannot be used stops here with its sentence (exit 2); the default
    model loads in the background while the introduction is spoken, and a missing one
    means typed answers."""
    from assistant.assets.modelchoice import resolve
    from assistant.speech.engines import open_model

    if args.model or settings.model:
        model = open_model(resolve(args.model, settings, language))
        model.load()
        return model
    try:
        return open_model(resolve(None, settings, language))
    except ReflectError as err:
        return err


def session_settings(args: argparse.Namespace) -> Settings:
    from assistant.config import load_settings

    return load_settings({
        "input_device": args.input_device, "output_device": args.output_device,
        "model": args.model, "answer_silence": args.answer_silence,
        "max_answer": args.max_answer, "encrypt": True if args.encrypt else None,
        "voice": args.voice, "rate": args.rate, "volume": args.volume,
        "tones": False if args.no_tones else None,
        "sentence_pause": args.sentence_pause, "read_back": args.read_back,
    })


def _run_session(args: argparse.Namespace, settings: Settings, journal: Journal,
                 guide: Guide, session: str | None = None) -> int:
    """Wire the parts together, run the session (`session`: the id of the one to resume),
    then say where the answers are. Ctrl-C, SIGTERM and SIGHUP end it the one way
    `interrupts` describes from the first moment: while the parts are set up (a chosen
    model loads for seconds) too. A resumed session goes on from what its file holds once
    it is locked: another Reflect may have finished it meanwhile."""
    from assistant.session import Session
    from assistant.terminal.interrupts import StopRequest
    from assistant.turns import Interrupted

    commands = commands_for(guide, settings)
    stop = StopRequest()
    writer = lost_at_close = None
    result, code, closing = "stopped", 0, []
    with stop.installed():
        io = session_io(args, settings, guide.language, commands, stop)
        try:
            stop.check()  # stopped while the parts were set up: no file is opened
            if session is None:
                writer, progress = journal.start(
                    guide.id, model=io.model, guide_file=_file_of(guide),
                    guide_digest=guide.digest), None
            else:
                writer = journal.reopen(session)
                progress = writer.record()
            try:
                result = Session(guide, io.voice, io.ear, writer, commands=commands,
                                 resume_from=progress, read_back=settings.read_back,
                                 sentence_pause=settings.sentence_pause).run()
            finally:
                lost_at_close = writer.close()  # the file went missing after the last save
        except Interrupted as err:
            code = err.exit_code
            closing += [err.notice] if err.notice else []
            closing.append((Msg.INTERRUPTED_SAVED if err.saved else Msg.INTERRUPTED_ALL_SAVED
                            ).format())
        finally:
            io.cleanup()
    closing += [lost_at_close] if lost_at_close else []
    if writer is not None:
        closing.append(Msg.SAVED_IN.format(path=writer.path))
    if result == "stopped" and (writer is not None or session is not None):
        closing.append(Msg.RESUME_HOW.format(session=writer.id if writer else session))
    with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
        print("\n" + "\n".join(closing), flush=True)
    return code


def commands_for(guide: Guide | None, settings: Settings) -> Commands:
    """The command phrases of the guide's language, with the guide's own and the user's
    (the `commands` setting) added; one that clashes is one sentence (exit 2)."""
    from assistant.text.commands import Commands

    extra: dict[str, list[str]] = {}
    for more in (guide.commands if guide else {}, settings.commands or {}):
        for name, phrases in more.items():
            extra.setdefault(name, []).extend(phrases)
    return Commands(guide.language if guide else "en", extra)


def _file_of(guide: Guide) -> Path | None:
    """Where `resume` finds a guide again: its file, unless it came with Reflect."""
    return None if guide.bundled or guide.path is None else guide.path.resolve()


def run(args: argparse.Namespace) -> int:
    """`reflect run [GUIDE]`: a new session."""
    from assistant import guides

    settings = session_settings(args)
    guide = guides.find(args.guide or settings.guide)
    return _run_session(args, settings, users_journal(settings.encrypt), guide)


def resume(args: argparse.Namespace) -> int:
    """`reflect resume [SESSION]`: the latest unfinished session, or the one named -- or
    the session that carries it on, when a later file does (its own file was lost while it
    ran, and what is at its path now may be an old copy), saying so."""
    from assistant.terminal.console import tell_left_out

    settings = session_settings(args)
    journal = users_journal(settings.encrypt)
    skipped: list[ReflectError] = []
    record = (journal.read(args.session) if args.session is not None
              else journal.latest_unfinished(skipped))
    tell_left_out(skipped)
    if record is None:
        raise ReflectError(Msg.NOTHING_TO_RESUME)
    if record.continued_in is not None:
        print(Msg.RESUMING_CONTINUATION.format(old=record.id, session=record.continued_in),
              file=sys.stderr)
    return _run_session(args, settings, journal, _guide_of(record),
                        record.continued_in or record.id)


def users_journal(encrypt: bool = False) -> Journal:
    """The user's journal, unlocked (with the passphrase asked in the terminal) when it
    holds encrypted sessions or `encrypt` is asked for; says so when files that were open
    to others were made private again."""
    from assistant.journal import open_journal
    from assistant.terminal.console import ask_passphrase

    journal = open_journal(encrypt=encrypt, ask=ask_passphrase)
    if journal.repaired:
        print(Msg.PERMISSIONS_REPAIRED.format(count=len(journal.repaired)), file=sys.stderr)
    return journal


def _guide_of(record: Record) -> Guide:
    """The guide a session follows: the file it was started from, else the guide of that
    id. A guide that changed since is named (the answers kept stay where they are)."""
    from assistant import guides

    path = Path(record.guide_file) if record.guide_file else None
    if path is not None and path.is_file():
        guide = guides.load(path)
    elif path is not None and not any(g.id == record.guide for g in guides.available()):
        raise BadInput(Msg.GUIDE_FILE_GONE, guide=record.guide,
                           path=path, session=record.id)
    else:
        guide = guides.find(record.guide)
    if guide.id != record.guide:
        raise BadInput(Msg.GUIDE_FILE_OTHER, guide=record.guide,
                           path=guide.path, other=guide.id, session=record.id)
    if record.guide_digest and guide.digest != record.guide_digest:
        print(Msg.GUIDE_CHANGED.format(guide=guide.id, path=guide.path or guide.id),
              file=sys.stderr)
    return guide
