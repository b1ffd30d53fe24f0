"""`reflect models|devices|voices|doctor|config ...`: what a spoken session needs, and
the settings."""

from __future__ import annotations

import argparse
import sys

from assistant.errors import EXIT_FAILURE, Cancelled, ReflectError
from assistant.messages import Msg


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line)


def list_models(args: argparse.Namespace) -> int:
    from assistant.assets import installedmodels

    print(Msg.MODELS_LIST_HEADER.format())
    for name, language, size, state in installedmodels.listing():
        print("  " + Msg.MODELS_LIST_LINE.format(name=name, language=language, size=size,
                                                 state=state))
    print(Msg.MODELS_LIST_HINT.format())
    return 0


def download_model(args: argparse.Namespace) -> int:
    """Install a model by name or language. --optional is for scripts/run: silent when the
    model is there, and a failure is its one sentence only, exit 0: the session that follows
    says that it takes typed answers and how to get the model."""
    from assistant.assets import installedmodels, modelinstall, models, whispers
    from assistant.config import load_settings, paths

    try:
        settings = load_settings()
        info = models.find(args.name)
        covered = (installedmodels.for_language(args.name) or whispers.for_language(args.name)
                   if info.name != args.name else None)
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
        path = modelinstall.download(info, args.url or settings.model_url)
    except Cancelled:
        raise  # Ctrl-C stops scripts/run too
    except ReflectError as err:
        if not args.optional:
            raise
        print(str(err), file=sys.stderr)
        return 0
    print(Msg.MODEL_INSTALLED.format(name=info.name, path=path))
    return 0


def verify_models(args: argparse.Namespace) -> int:
    """Vosk folders checked for their layout, packaged Whisper models for their md5."""
    from assistant.assets import installedmodels, models, whispers

    packaged = [m for m in whispers.installed()
                if args.name in (None, m.info.spec, m.name)]
    found = [] if packaged and args.name else installedmodels.verify(args.name)
    if not found and not packaged:
        print(Msg.MODELS_NONE_INSTALLED.format(name=models.DEFAULT_MODEL))
        return 0
    bad = False
    for model, missing in found:
        line = Msg.MODEL_VERIFY_BAD if missing else Msg.MODEL_VERIFY_OK
        print(line.format(name=model.name, path=model.path, missing=missing))
        bad = bad or bool(missing)
    for whisper in packaged:
        wrong = whispers.problem(whisper)
        print(Msg.MODEL_VERIFY_DAMAGED.format(
            name=whisper.info.spec, path=whisper.path, problem=wrong,
            requirement=whisper.info.requirement) if wrong else Msg.MODEL_VERIFY_OK.format(
            name=whisper.info.spec, path=whisper.path))
        bad = bad or bool(wrong)
    if bad:
        raise ReflectError(Msg.MODELS_VERIFY_FAILED)
    return 0


def remove_model(args: argparse.Namespace) -> int:
    from assistant.assets import modelinstall

    print(Msg.MODEL_REMOVED.format(name=args.name, path=modelinstall.remove(args.name)))
    return 0


def devices(args: argparse.Namespace) -> int:
    from assistant.assets.inventory import device_lines

    _print_lines(device_lines())
    return 0


def voices(args: argparse.Namespace) -> int:
    from assistant.assets.inventory import voice_lines

    _print_lines(voice_lines())
    return 0


def download_voice(args: argparse.Namespace) -> int:
    """A Piper voice from the official catalogue, checked and installed whole."""
    from assistant.assets import voices
    from assistant.config import load_settings

    voice = voices.find(args.name)
    have = voices.named(voice.name)
    if have is not None:
        print(Msg.VOICE_ALREADY_INSTALLED.format(name=voice.name, path=have.model))
        return 0
    path = voices.download(voice, args.url or load_settings().voice_url)
    print(Msg.VOICE_INSTALLED.format(name=voice.name, path=path))
    return 0


def remove_voice(args: argparse.Namespace) -> int:
    from assistant.assets import voices

    print(Msg.VOICE_REMOVED.format(name=args.name, path=voices.remove(args.name)))
    return 0


def doctor(args: argparse.Namespace) -> int:
    from assistant.cli import doctor
    from assistant.config import load_settings

    if doctor.run(load_settings(), lambda line: print(line, flush=True)):
        print(Msg.DOCTOR_READY.format())
        return 0
    print(Msg.DOCTOR_NOT_READY.format())
    return EXIT_FAILURE


def config_path(args: argparse.Namespace) -> int:
    from assistant.config import paths

    print(paths().settings_file)
    return 0


def config_show(args: argparse.Namespace) -> int:
    from assistant.config import settings_with_sources, show_value

    settings, sources = settings_with_sources()
    for key, source in sources.items():
        print(Msg.SETTING_LINE.format(key=key, value=show_value(getattr(settings, key)),
                                      source=source))
    return 0


def config_set(args: argparse.Namespace) -> int:
    from assistant.config import paths, save_setting, show_value

    value = save_setting(args.key, args.value)
    print(Msg.SETTING_SAVED.format(key=args.key, value=show_value(value),
                                   path=paths().settings_file))
    return 0
