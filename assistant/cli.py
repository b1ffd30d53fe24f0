"""`reflect` subcommands, and the one place that wires devices, models and paths together.

Heavy modules (vosk, sounddevice, pyttsx3, numpy) are imported inside the handlers that
need them, so `reflect --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from assistant import __version__
from assistant.errors import EXIT_FAILURE, BadInput, ReflectError
from assistant.messages import Msg

if TYPE_CHECKING:
    from assistant.commands import Commands
    from assistant.config import Settings
    from assistant.guide import Guide
    from assistant.interrupts import StopRequest
    from assistant.journal import Journal, Record
    from assistant.session import Ear, Voice
    from assistant.stt import SpeechModel

Handler = Callable[[argparse.Namespace], int]


def _not_built(command: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        raise ReflectError(Msg.NOT_BUILT_YET, command=command)

    return handler


# --- handlers ---------------------------------------------------------------------


class SessionIO(NamedTuple):
    """What a session talks through, and how to release it afterwards."""

    voice: Voice
    ear: Ear
    cleanup: Callable[[], None]
    model: str | None = None  # the speech model's name, for the journal's front matter


def _session_io(args: argparse.Namespace, settings: Settings, guide: Guide,
                commands: Commands, stop: StopRequest) -> SessionIO:
    """The voice and ear for this run. Spoken unless --text; each missing part (speech
    output, the default speech model, microphone) is one sentence, and the session goes on
    without it: prompts printed instead of spoken, typed answers instead of spoken ones.
    A model the user chose (--model, REFLECT_MODEL, the model setting) that cannot be used
    is an error before anything is written or said."""
    from contextlib import ExitStack

    from assistant.console import ConsoleEar, ConsoleVoice

    def typed_ear(inp: TextIO = sys.stdin) -> ConsoleEar:
        return ConsoleEar(inp, commands=commands, stop=stop)

    if args.text:
        return SessionIO(ConsoleVoice(), typed_ear(), lambda: None)
    from assistant import audio
    from assistant.config import paths
    from assistant.ear import EnterKey, LiveLine, SpokenEar
    from assistant.voice import Voice

    model = _speech_model(args, settings, guide)
    parts = ExitStack()
    voice: Voice | ConsoleVoice | SpokenAndShown = ConsoleVoice()
    try:
        speaker = (audio.SpeakerFile(Path(args.speaker_file)) if args.speaker_file
                   else audio.Speaker(settings.output_device))
        parts.callback(speaker.close)
        spoken = Voice(speaker, settings, paths().cache_dir / "speech")
        parts.callback(spoken.close)
        voice = SpokenAndShown(spoken, voice, stop)
    except ReflectError as err:
        if err.msg is Msg.WAV_WRITE_FAILED:  # --speaker-file cannot be written: bad input
            parts.close()
            raise
        _printing_instead(err)

    def typing_instead(err: ReflectError) -> SessionIO:
        print(err, Msg.TYPING_INSTEAD.format(), file=sys.stderr)
        return SessionIO(voice, typed_ear(), parts.close)

    if isinstance(model, ReflectError):
        return typing_instead(model)
    try:
        source: audio.Source = (
            audio.MicFile(Path(args.mic_file), model.sample_rate, realtime=not args.fast)
            if args.mic_file else audio.MicStream(settings.input_device, model.sample_rate))
        source.start()
    except ReflectError as err:
        if err.msg is Msg.BAD_WAV:  # --mic-file cannot be read: bad input, not a missing part
            parts.close()
            raise
        return typing_instead(err)
    enter = threading.Event()
    keys = None
    if sys.stdin.isatty():
        def pressed() -> None:
            enter.set()
            if isinstance(voice, SpokenAndShown):
                voice.skip()

        keys = EnterKey(sys.stdin, pressed)
        print(Msg.ENTER_HINT.format())
    ear = SpokenEar(source, model, settings, commands.match, transcript=LiveLine(),
                    enter_pressed=enter, notice=lambda text: voice.say(text, "notice"),
                    fallback=lambda: typed_ear(keys.typed() if keys else sys.stdin),
                    stop=stop)
    parts.callback(ear.close)
    return SessionIO(voice, ear, parts.close, model.name)


def _speech_model(args: argparse.Namespace, settings: Settings,
                  guide: Guide) -> SpeechModel | ReflectError:
    """The model to listen with, or why there is none. A model the user named is loaded
    now, so that one that cannot be used stops here with its sentence (exit 2); the default
    model loads in the background while the introduction is spoken, and a missing one
    means typed answers."""
    from assistant.models import resolve
    from assistant.stt import SpeechModel

    if args.model or settings.model:
        model = SpeechModel(resolve(args.model, settings, guide.language))
        model.load()
        return model
    try:
        return SpeechModel(resolve(None, settings, guide.language))
    except ReflectError as err:
        return err


class SpokenAndShown:
    """Says everything aloud and prints it too, so the screen follows along (and a user
    who cannot hear still can). If the speaker fails mid-session, it says so once and
    goes on printing only."""

    def __init__(self, spoken: Voice, shown: Voice, stop: StopRequest) -> None:
        self.spoken: Voice | None = spoken
        self.shown = shown
        self.stop = stop
        stop.on_request(self.skip)  # the speaker falls silent at once

    def say(self, text: str, kind: str = "narration") -> None:
        self.shown.say(text, kind)  # type: ignore[arg-type]
        self._speak(lambda v: v.say(text, kind))  # type: ignore[arg-type]

    def pause(self, seconds: float) -> None:
        self._speak(lambda v: v.pause(seconds))

    def prepare(self, texts: Sequence[str]) -> None:
        self._speak(lambda v: v.prepare(texts))

    def cue(self, name: str) -> None:
        self.shown.cue(name)
        self._speak(lambda v: v.cue(name))

    def skip(self) -> None:
        self._speak(lambda v: v.skip())  # type: ignore[attr-defined]

    def _speak(self, act: Callable[[Voice], None]) -> None:
        """Speak, then raise Interrupted if a stop was requested meanwhile (the sound was
        cut short for it)."""
        from assistant.audio import DeviceLost

        if self.spoken is None:
            self.stop.check()
            return
        try:
            act(self.spoken)
            self.stop.check()
        except DeviceLost as err:
            self.spoken = None
            _printing_instead(ReflectError(Msg.SPEAKER_UNAVAILABLE, reason=str(err)))
        except ReflectError as err:
            self.spoken = None
            _printing_instead(err)


def _printing_instead(err: ReflectError) -> None:
    """Say why nothing will be heard, and that the prompts are printed instead."""
    if err.msg is Msg.SPEECH_UNAVAILABLE:  # that sentence says so already
        print(err, file=sys.stderr)
    else:
        print(err, Msg.PRINTING_INSTEAD.format(), file=sys.stderr)


def _session_settings(args: argparse.Namespace) -> Settings:
    from assistant.config import load_settings

    return load_settings({
        "input_device": args.input_device, "output_device": args.output_device,
        "model": args.model, "answer_silence": args.answer_silence,
        "max_answer": args.max_answer, "encrypt": True if args.encrypt else None,
        "voice": args.voice, "rate": args.rate, "volume": args.volume,
        "tones": False if args.no_tones else None,
    })


def _run_session(args: argparse.Namespace, settings: Settings, journal: Journal,
                 guide: Guide, record: Record | None = None) -> int:
    """Wire the parts together, run the session, then say where the answers are. Ctrl-C,
    SIGTERM and SIGHUP end it the one way `interrupts` describes."""
    from assistant.commands import Commands
    from assistant.interrupts import Interrupted, StopRequest
    from assistant.session import Session

    commands = Commands(guide.language)
    stop = StopRequest()
    io = _session_io(args, settings, guide, commands, stop)
    code, closing = 0, []
    try:
        writer = (journal.reopen(record.id) if record is not None
                  else journal.start(guide.id, model=io.model, guide_file=_file_of(guide),
                                     guide_digest=guide.digest))
        try:
            with stop.installed():
                result = Session(guide, io.voice, io.ear, writer, commands=commands,
                                 resume_from=record).run()
        finally:
            lost_at_close = writer.close()  # the file went missing after the last save
    except Interrupted as err:
        result, code = "stopped", err.exit_code
        closing += [err.notice] if err.notice else []
        closing.append((Msg.INTERRUPTED_SAVED if err.saved else Msg.INTERRUPTED_ALL_SAVED
                        ).format())
    finally:
        io.cleanup()
    closing += [lost_at_close] if lost_at_close else []
    closing.append(Msg.SAVED_IN.format(path=writer.path))
    if result == "stopped":
        closing.append(Msg.RESUME_HOW.format(session=writer.id))
    with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
        print("\n" + "\n".join(closing), flush=True)
    return code


def _file_of(guide: Guide) -> Path | None:
    """Where `resume` finds a guide again: its file, unless it came with Reflect."""
    return None if guide.bundled or guide.path is None else guide.path.resolve()


def cmd_run(args: argparse.Namespace) -> int:
    from assistant import guide as guides
    from assistant.journal import open_journal

    settings = _session_settings(args)
    guide = guides.find(args.guide or settings.guide)
    return _run_session(args, settings, _notice_repairs(open_journal(settings.encrypt)), guide)


def cmd_resume(args: argparse.Namespace) -> int:
    from assistant.journal import open_journal

    settings = _session_settings(args)
    journal = _notice_repairs(open_journal(settings.encrypt))
    skipped: list[ReflectError] = []
    record = (journal.read(args.session) if args.session is not None
              else journal.latest_unfinished(skipped))
    _say_left_out(skipped)
    if record is None:
        raise ReflectError(Msg.NOTHING_TO_RESUME)
    return _run_session(args, settings, journal, _guide_of(record), record)


def _guide_of(record: Record) -> Guide:
    """The guide a session follows: the file it was started from, else the guide of that
    id. A guide that changed since is named (the answers kept stay where they are)."""
    from assistant import guide as guides

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


# --- guides (guides helper) ---------------------------------------------------------


def cmd_guides_list(args: argparse.Namespace) -> int:
    from assistant import config, guide

    skipped: list[ReflectError] = []
    for found in guide.available(skipped):
        line = Msg.GUIDE_LIST_BUNDLED if found.bundled else Msg.GUIDE_LIST_YOURS
        print(line.format(id=found.id, title=found.title, steps=len(found.steps),
                          path=found.path))
    for err in skipped:
        print(Msg.GUIDE_LIST_SKIPPED.format(path=err.fields.get("path")), file=sys.stderr)
    print(Msg.GUIDE_LIST_FOLDER.format(path=config.paths().guides_dir))
    return 0


def cmd_guides_show(args: argparse.Namespace) -> int:
    """Plain lines, one thing per line, so a screen reader can follow them."""
    from assistant import guide as guides

    guide = guides.find(args.guide)
    flat = " ".join  # narration on one line each: paragraphs read as one unit

    print(Msg.GUIDE_SHOW_TITLE.format(title=guide.title, id=guide.id,
                                      language=guide.language, steps=len(guide.steps)))
    if guide.source:
        print(Msg.GUIDE_SHOW_SOURCE.format(source=flat(guide.source.split())))
    if guide.intro:
        print(Msg.GUIDE_SHOW_INTRO.format(text=flat(guide.intro.split())))
    if guide.choose:
        print(Msg.GUIDE_SHOW_CHOICE.format(ask=guide.choose.ask,
                                           options=", ".join(guide.choose.options)))
    for n, step in enumerate(guide.steps, 1):
        print()
        print(Msg.GUIDE_SHOW_STEP.format(n=n, total=len(guide.steps), title=step.title,
                                         id=step.id))
        if step.say:
            print(Msg.GUIDE_SHOW_SAY.format(text=flat(step.say.split())))
        if step.pause:
            print(Msg.GUIDE_SHOW_PAUSE.format(seconds=f"{step.pause:g}"))
        for i, prompt in enumerate(step.prompts, 1):
            roles = ", ".join(prompt.roles) or Msg.GUIDE_SHOW_EVERYONE.format()
            print(Msg.GUIDE_SHOW_PROMPT.format(n=i, roles=roles, ask=prompt.ask))
    if guide.outro:
        print()
        print(Msg.GUIDE_SHOW_OUTRO.format(text=flat(guide.outro.split())))
    return 0


def cmd_guides_check(args: argparse.Namespace) -> int:
    """Every file is checked and every problem shown; exit 2 if any file fails."""
    from pathlib import Path

    from assistant import guide as guides
    from assistant.errors import EXIT_BAD_INPUT

    failed = False
    for name in args.files:
        try:
            guide = guides.load(Path(name))
        except ReflectError as err:
            if args.debug:
                traceback.print_exc()
            print(str(err), file=sys.stderr)
            failed = True
            continue
        print(Msg.GUIDE_CHECK_OK.format(path=name, id=guide.id, steps=len(guide.steps),
                                        questions=sum(len(s.prompts) for s in guide.steps)))
    return EXIT_BAD_INPUT if failed else 0


def cmd_guides_import(args: argparse.Namespace) -> int:
    import os
    import tempfile
    from pathlib import Path

    from assistant import guide as guides
    from assistant import importer

    article, out = Path(args.article), Path(args.output)
    if out.exists() and not args.force:
        raise BadInput(Msg.IMPORT_EXISTS, path=out)
    text = importer.convert(guides.read_text(article), article)
    made = guides.parse(text, str(out))  # never write a guide that would not load
    tmp = None
    try:  # write beside the target, then rename: no half-written guide on failure
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, out)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise BadInput(Msg.IMPORT_CANNOT_WRITE, path=out,
                           reason=err.strerror or err) from None
    print(Msg.IMPORT_DONE.format(path=out, id=made.id, steps=len(made.steps)))
    return 0


# --- journal (journal helper) -------------------------------------------------------


def _notice_repairs(journal: Journal) -> Journal:
    """Say so when journal files were open to others (and are private again now)."""
    if journal.repaired:
        print(Msg.PERMISSIONS_REPAIRED.format(count=len(journal.repaired)), file=sys.stderr)
    return journal


def _journal(encrypt: bool = False) -> Journal:
    """The journal for the journal commands: unlocked only if it holds encrypted sessions
    (or `encrypt`), with the passphrase asked here (cryptography loaded only then)."""
    from assistant.journal import open_journal

    def ask(new: bool) -> str:
        from assistant.crypto import ask_passphrase

        return ask_passphrase(new)

    return _notice_repairs(open_journal(encrypt=encrypt, ask=ask))


def _say_left_out(skipped: list[ReflectError]) -> None:
    """Name each session file that could not be read (the rest went on without it)."""
    from assistant.printable import printable

    for err in skipped:
        print(printable(str(err)), file=sys.stderr)


def cmd_journal_list(args: argparse.Namespace) -> int:
    from assistant.export import list_line

    skipped: list[ReflectError] = []
    records = _journal().sessions(skipped)
    if not records and not skipped:
        print(Msg.NO_SESSIONS.format())
    for record in records:
        print(list_line(record))
    _say_left_out(skipped)
    return 0


def cmd_journal_show(args: argparse.Namespace) -> int:
    from assistant.export import readable

    sys.stdout.write(readable(_journal().read(args.session)))
    return 0


def cmd_journal_search(args: argparse.Namespace) -> int:
    from assistant.export import search_results

    skipped: list[ReflectError] = []
    hits = _journal().search(args.text, skipped)
    sys.stdout.write(search_results(hits, args.text))  # one write, however many hits
    _say_left_out(skipped)
    return 0


def cmd_journal_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.export import FORMATS, write
    from assistant.printable import printable

    record = _journal().read(args.session)
    text = FORMATS[args.format](record)
    if not args.output:
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    write(path, text, args.force)
    print(printable(Msg.EXPORTED.format(session=record.id, path=path)))
    if record.encrypted:
        print(printable(Msg.EXPORTED_UNENCRYPTED.format(path=path)))
    return 0


def cmd_journal_delete(args: argparse.Namespace) -> int:

    journal = _journal()
    record = journal.read(args.session)
    if not args.yes:
        if not sys.stdin.isatty():
            raise BadInput(Msg.DELETE_NEEDS_YES, session=record.id)
        reply = input(Msg.DELETE_ASK.format(session=record.id, count=len(record.answers())))
        if reply.strip().lower() not in ("y", "yes"):
            print(Msg.NOT_DELETED.format())
            return 1
    journal.delete(record.id)
    print(Msg.DELETED.format(session=record.id))
    return 0


def cmd_journal_encrypt(args: argparse.Namespace) -> int:
    """Seal every plaintext session; one open in another Reflect session is left as it is
    and named (run it again later)."""
    skipped: list[ReflectError] = []
    converted, already = _journal(encrypt=True).encrypt_all(skipped)
    print(Msg.ENCRYPTED_SESSIONS.format(count=converted, already=already))
    _say_left_out(skipped)
    print(Msg.ENCRYPTION_FORGET_WARNING.format())
    return 0


def cmd_journal_passphrase(args: argparse.Namespace) -> int:
    """Give every session the current passphrase opens the new one (typed twice, or
    REFLECT_NEW_PASSPHRASE); sessions it does not open, or open elsewhere, are named."""
    from assistant import crypto
    from assistant.config import paths
    from assistant.journal import Journal

    skipped: list[ReflectError] = []
    changed, already = _notice_repairs(Journal(paths().journal_dir)).change_passphrase(
        lambda: crypto.ask_passphrase(new=False),
        lambda: crypto.ask_passphrase(new=True, env=crypto.NEW_PASSPHRASE_ENV,
                                      prompt=Msg.PASSPHRASE_CHOOSE_NEW), skipped)
    print(Msg.PASSPHRASE_CHANGED.format(count=changed, already=already))
    _say_left_out(skipped)
    print(Msg.ENCRYPTION_FORGET_WARNING.format())
    return 0


# --- models, devices, voices, doctor, settings (models/settings helper) --------------


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line)


def cmd_models_list(args: argparse.Namespace) -> int:
    from assistant import models

    print(Msg.MODELS_LIST_HEADER.format())
    for name, language, size, state in models.listing():
        print("  " + Msg.MODELS_LIST_LINE.format(name=name, language=language, size=size,
                                                 state=state))
    print(Msg.MODELS_LIST_HINT.format())
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    """Install a model by name or language. --optional is for scripts/run: silent when the
    model is there, and a failure is its one sentence only, exit 0: the session that follows
    says that it takes typed answers and how to get the model."""
    from assistant import models
    from assistant.config import load_settings, paths

    try:
        settings = load_settings()
        info = models.find(args.name)
        covered = models.for_language(args.name) if info.name != args.name else None
        if covered:
            if not args.optional:
                print(Msg.MODEL_LANGUAGE_COVERED.format(language=args.name, name=covered.name,
                                                        path=covered.path))
            return 0
        target = paths().models_dir / info.name
        if target.is_dir() and models.layout_problem(target) is None:
            if not args.optional:
                print(Msg.MODEL_ALREADY_INSTALLED.format(name=info.name, path=target))
            return 0
        path = models.download(info, args.url or settings.model_url)
    except ReflectError as err:
        if not args.optional or err.msg is Msg.MODEL_INTERRUPTED:  # Ctrl-C stops scripts/run
            raise
        print(str(err), file=sys.stderr)
        return 0
    print(Msg.MODEL_INSTALLED.format(name=info.name, path=path))
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    from assistant import models

    found = models.verify(args.name)
    if not found:
        print(Msg.MODELS_NONE_INSTALLED.format(name=models.DEFAULT_MODEL))
        return 0
    for model, missing in found:
        line = Msg.MODEL_VERIFY_BAD if missing else Msg.MODEL_VERIFY_OK
        print(line.format(name=model.name, path=model.path, missing=missing))
    if any(missing for _, missing in found):
        raise ReflectError(Msg.MODELS_VERIFY_FAILED)
    return 0


def cmd_models_remove(args: argparse.Namespace) -> int:
    from assistant import models

    print(Msg.MODEL_REMOVED.format(name=args.name, path=models.remove(args.name)))
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from assistant.inventory import device_lines

    _print_lines(device_lines())
    return 0


def cmd_voices(args: argparse.Namespace) -> int:
    from assistant.inventory import voice_lines

    _print_lines(voice_lines())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from assistant import doctor
    from assistant.config import load_settings

    if doctor.run(load_settings(), lambda line: print(line, flush=True)):
        print(Msg.DOCTOR_READY.format())
        return 0
    print(Msg.DOCTOR_NOT_READY.format())
    return EXIT_FAILURE


def cmd_config_path(args: argparse.Namespace) -> int:
    from assistant.config import paths

    print(paths().settings_file)
    return 0


def cmd_config_show(args: argparse.Namespace) -> int:
    from assistant.config import settings_with_sources, show_value

    settings, sources = settings_with_sources()
    for key, source in sources.items():
        print(Msg.SETTING_LINE.format(key=key, value=show_value(getattr(settings, key)),
                                      source=source))
    return 0


def cmd_config_set(args: argparse.Namespace) -> int:
    from assistant.config import paths, save_setting, show_value

    value = save_setting(args.key, args.value)
    print(Msg.SETTING_SAVED.format(key=args.key, value=show_value(value),
                                   path=paths().settings_file))
    return 0


# --- parser -----------------------------------------------------------------------


def _session_options() -> argparse.ArgumentParser:
    """Options shared by `run` and `resume`."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--text", action="store_true", help="type answers and read prompts as text")
    p.add_argument("--mic-file", metavar="WAV", help="use a recording as the microphone")
    p.add_argument("--fast", action="store_true", help="with --mic-file: do not wait in real time")
    p.add_argument("--speaker-file", metavar="WAV", help="write everything spoken to a WAV file")
    p.add_argument("--input-device", metavar="DEVICE", help="microphone: index or part of name")
    p.add_argument("--output-device", metavar="DEVICE", help="speaker: index or part of name")
    p.add_argument("--model", metavar="PATH", help="speech model directory")
    p.add_argument("--voice", help="text-to-speech voice (see `reflect voices`)")
    p.add_argument("--rate", type=int, metavar="WPM", help="speaking rate, words per minute")
    p.add_argument("--volume", type=float, metavar="0-1", help="speech volume, 0 to 1")
    p.add_argument("--encrypt", action="store_true", help="encrypt this session's journal")
    p.add_argument("--no-tones", action="store_true", help="no listening/saved tones")
    p.add_argument("--answer-silence", type=float, metavar="SECONDS",
                   help="quiet after speech that ends an answer (default 3)")
    p.add_argument("--max-answer", type=float, metavar="SECONDS",
                   help="longest answer (default 300)")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reflect",
        description="Offline voice-guided reflection. Nothing you say leaves this machine.",
    )
    parser.add_argument("--version", action="version", version=f"reflect {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    session = _session_options()

    p = sub.add_parser("run", parents=[session], help="start a guided session")
    p.add_argument("guide", nargs="?", help="guide id or YAML file (default: rebuilding-trust)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("resume", parents=[session], help="continue an unfinished session")
    p.add_argument("session", nargs="?", help="session id (default: the latest unfinished)")
    p.set_defaults(func=cmd_resume)

    guides = sub.add_parser("guides", help="list, show, check and import guides")
    gsub = guides.add_subparsers(dest="action", metavar="ACTION", required=True)
    gsub.add_parser("list", help="bundled guides and your own").set_defaults(
        func=cmd_guides_list)
    p = gsub.add_parser("show", help="a guide's steps and questions as text")
    p.add_argument("guide", help="guide id or YAML file")
    p.set_defaults(func=cmd_guides_show)
    p = gsub.add_parser("check", help="validate guide files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_guides_check)
    p = gsub.add_parser("import", help="turn an article into a guide skeleton")
    p.add_argument("article")
    p.add_argument("-o", "--output", required=True, metavar="GUIDE_YAML")
    p.add_argument("--force", action="store_true", help="replace GUIDE_YAML if it exists")
    p.set_defaults(func=cmd_guides_import)

    journal = sub.add_parser("journal", help="read, search, export and delete entries")
    jsub = journal.add_subparsers(dest="action", metavar="ACTION", required=True)
    jsub.add_parser("list", help="your sessions").set_defaults(func=cmd_journal_list)
    p = jsub.add_parser("show", help="one session's entries")
    p.add_argument("session")
    p.set_defaults(func=cmd_journal_show)
    p = jsub.add_parser("search", help="entries containing TEXT")
    p.add_argument("text")
    p.set_defaults(func=cmd_journal_search)
    p = jsub.add_parser("export", help="one session as md, json or txt (jrnl)")
    p.add_argument("session")
    p.add_argument("--format", choices=["md", "json", "txt"], default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of the screen")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=cmd_journal_export)
    p = jsub.add_parser("delete", help="delete a session for good")
    p.add_argument("session")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_journal_delete)
    jsub.add_parser("encrypt", help="encrypt existing sessions with a passphrase (asked, or "
                    "from REFLECT_PASSPHRASE)").set_defaults(func=cmd_journal_encrypt)
    jsub.add_parser("passphrase", help="change the passphrase of encrypted sessions (asked, "
                    "or from REFLECT_PASSPHRASE and REFLECT_NEW_PASSPHRASE)").set_defaults(
        func=cmd_journal_passphrase)

    models = sub.add_parser("models", help="speech models: list, download, verify, remove")
    msub = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    msub.add_parser("list", help="known and installed models").set_defaults(
        func=cmd_models_list)
    p = msub.add_parser("download", help="download and install a model")
    p.add_argument("name", help="a model name from `reflect models list`, or a language (en)")
    p.add_argument("--url", metavar="BASE_URL", help="download from this base URL")
    p.add_argument("--optional", action="store_true",
                   help="for scripts: quiet when installed; on failure a notice and exit 0")
    p.set_defaults(func=cmd_models_download)
    p = msub.add_parser("verify", help="check installed models")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=cmd_models_verify)
    p = msub.add_parser("remove", help="remove an installed model")
    p.add_argument("name")
    p.set_defaults(func=cmd_models_remove)

    sub.add_parser("devices", help="audio input and output devices").set_defaults(
        func=cmd_devices)
    sub.add_parser("voices", help="text-to-speech voices").set_defaults(
        func=cmd_voices)
    sub.add_parser("doctor", help="check that a spoken session can run").set_defaults(
        func=cmd_doctor)

    config = sub.add_parser("config", help="settings file: path, show, set")
    csub = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    csub.add_parser("path", help="where the settings file is").set_defaults(
        func=cmd_config_path)
    csub.add_parser("show", help="every setting and where it comes from").set_defaults(
        func=cmd_config_show)
    p = csub.add_parser("set", help="change a setting")
    p.add_argument("key")
    p.add_argument("value")
    p.set_defaults(func=cmd_config_set)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere, not only before the subcommand
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    args.debug = debug
    if not getattr(args, "func", None):
        build_parser().print_help()
        return 0
    from assistant import logs

    logs.setup(debug)
    try:
        return args.func(args) or 0
    except ReflectError as err:
        if args.debug:
            traceback.print_exc()
        from assistant.printable import printable

        print(printable(str(err)), file=sys.stderr)  # it may quote a file name or an answer
        return err.exit_code
    except KeyboardInterrupt:
        print(Msg.INTERRUPTED.format(), file=sys.stderr)
        return 130
    except BrokenPipeError:  # `reflect journal show X | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:  # the last line of defence: one sentence, never a traceback
        if args.debug:
            raise
        print(Msg.UNEXPECTED.format(error=type(err).__name__), file=sys.stderr)
        return EXIT_FAILURE
