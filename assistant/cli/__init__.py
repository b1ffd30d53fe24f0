"""`reflect`: the command line. This module only parses and dispatches: a session is
built and run by app.py, the other commands' handlers are in this package's modules
(guides, journal, setup), and every sentence they print comes from messages.py.

Handlers import heavy modules (vosk, sounddevice, pyttsx3, numpy, cryptography) inside
themselves, so `reflect --help` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from assistant import __version__, app
from assistant.cli import guides as guide_commands
from assistant.cli import journal as journal_commands
from assistant.cli import recital
from assistant.cli import setup as setup_commands
from assistant.config import CHOICES
from assistant.errors import EXIT_FAILURE, ReflectError
from assistant.messages import Msg


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
    p.add_argument("--sentence-pause", type=float, metavar="SECONDS",
                   help="pause between words that ends a sentence (default 0.5)")
    p.add_argument("--read-back", choices=CHOICES["read_back"],
                   help="say what was heard before keeping it (default unsure)")
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
    p.set_defaults(func=app.run)

    p = sub.add_parser("resume", parents=[session], help="continue an unfinished session")
    p.add_argument("session", nargs="?", help="session id (default: the latest unfinished)")
    p.set_defaults(func=app.resume)

    guides = sub.add_parser("guides", help="list, show, check and import guides")
    gsub = guides.add_subparsers(dest="action", metavar="ACTION", required=True)
    gsub.add_parser("list", help="bundled guides and your own").set_defaults(
        func=guide_commands.list_guides)
    p = gsub.add_parser("show", help="a guide's steps and questions as text")
    p.add_argument("guide", help="guide id or YAML file")
    p.set_defaults(func=guide_commands.show)
    p = gsub.add_parser("check", help="validate guide files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=guide_commands.check)
    p = gsub.add_parser("import", help="turn an article into a guide skeleton")
    p.add_argument("article")
    p.add_argument("-o", "--output", required=True, metavar="GUIDE_YAML")
    p.add_argument("--force", action="store_true", help="replace GUIDE_YAML if it exists")
    p.set_defaults(func=guide_commands.import_article)

    journal = sub.add_parser("journal", help="read, search, export and delete entries")
    jsub = journal.add_subparsers(dest="action", metavar="ACTION", required=True)
    jsub.add_parser("list", help="your sessions").set_defaults(func=journal_commands.list_sessions)
    p = jsub.add_parser("show", help="one session's entries")
    p.add_argument("session")
    p.set_defaults(func=journal_commands.show)
    p = jsub.add_parser("read", parents=[session],
                        help="one session read aloud: each question, then your answer")
    p.add_argument("session")
    p.set_defaults(func=recital.read_aloud)
    p = jsub.add_parser("search", help="entries containing TEXT")
    p.add_argument("text")
    p.set_defaults(func=journal_commands.search)
    p = jsub.add_parser("export", help="one session as md, json or txt (jrnl)")
    p.add_argument("session")
    p.add_argument("--format", choices=["md", "json", "txt"], default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of the screen")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=journal_commands.export)
    p = jsub.add_parser("delete", help="delete a session for good")
    p.add_argument("session")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=journal_commands.delete)
    jsub.add_parser("encrypt", help="encrypt existing sessions with a passphrase (asked, or "
                    "from REFLECT_PASSPHRASE)").set_defaults(func=journal_commands.encrypt)
    jsub.add_parser("passphrase", help="change the passphrase of encrypted sessions (asked, "
                    "or from REFLECT_PASSPHRASE and REFLECT_NEW_PASSPHRASE)").set_defaults(
        func=journal_commands.passphrase)

    models = sub.add_parser("models", help="speech models: list, download, verify, remove")
    msub = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    msub.add_parser("list", help="known and installed models").set_defaults(
        func=setup_commands.list_models)
    p = msub.add_parser("download", help="download and install a model")
    p.add_argument("name", help="a model name from `reflect models list`, or a language (en)")
    p.add_argument("--url", metavar="BASE_URL", help="download from this base URL")
    p.add_argument("--optional", action="store_true",
                   help="for scripts: quiet when installed; on failure a notice and exit 0")
    p.set_defaults(func=setup_commands.download_model)
    p = msub.add_parser("verify", help="check installed models")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=setup_commands.verify_models)
    p = msub.add_parser("remove", help="remove an installed model")
    p.add_argument("name")
    p.set_defaults(func=setup_commands.remove_model)

    sub.add_parser("devices", help="audio input and output devices").set_defaults(
        func=setup_commands.devices)
    voices = sub.add_parser("voices", help="text-to-speech voices: list, download, remove")
    voices.set_defaults(func=setup_commands.voices)
    vsub = voices.add_subparsers(dest="action", metavar="ACTION")
    vsub.add_parser("list", help="Piper and espeak-ng voices by language").set_defaults(
        func=setup_commands.voices)
    p = vsub.add_parser("download", help="download and install a Piper voice")
    p.add_argument("name", help="a Piper voice from `reflect voices`, or a language (en)")
    p.add_argument("--url", metavar="BASE_URL", help="download from this base URL")
    p.set_defaults(func=setup_commands.download_voice)
    p = vsub.add_parser("remove", help="remove a downloaded Piper voice")
    p.add_argument("name")
    p.set_defaults(func=setup_commands.remove_voice)
    sub.add_parser("doctor", help="check that a spoken session can run").set_defaults(
        func=setup_commands.doctor)

    config = sub.add_parser("config", help="settings file: path, show, set")
    csub = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    csub.add_parser("path", help="where the settings file is").set_defaults(
        func=setup_commands.config_path)
    csub.add_parser("show", help="every setting and where it comes from").set_defaults(
        func=setup_commands.config_show)
    p = csub.add_parser("set", help="change a setting")
    p.add_argument("key")
    p.add_argument("value")
    p.set_defaults(func=setup_commands.config_set)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere, not only before the subcommand
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    args.debug = debug
    if not getattr(args, "func", None):
        build_parser().print_help()
        return 0
    from assistant.terminal import logs

    logs.setup(debug)
    try:
        return args.func(args) or 0
    except ReflectError as err:
        if args.debug:
            traceback.print_exc()
        from assistant.terminal.printable import printable

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
