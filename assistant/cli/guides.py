"""`reflect guides ...`: list, show, check and import guides."""

from __future__ import annotations

import argparse
import sys
import traceback

from assistant.errors import BadInput, ReflectError, reason
from assistant.messages import Msg


def list_guides(args: argparse.Namespace) -> int:
    from assistant import config, guides

    skipped: list[ReflectError] = []
    for found in guides.available(skipped):
        line = Msg.GUIDE_LIST_BUNDLED if found.bundled else Msg.GUIDE_LIST_YOURS
        print(line.format(id=found.id, title=found.title, language=found.language,
                          steps=len(found.steps), path=found.path))
    for err in skipped:
        print(Msg.GUIDE_LIST_SKIPPED.format(path=err.fields.get("path")), file=sys.stderr)
    print(Msg.GUIDE_LIST_FOLDER.format(path=config.paths().guides_dir))
    return 0


def show(args: argparse.Namespace) -> int:
    """Plain lines, one thing per line, so a screen reader can follow them."""
    from assistant import guides

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


def check(args: argparse.Namespace) -> int:
    """Every file is checked and every problem shown; exit 2 if any file fails."""
    from pathlib import Path

    from assistant import guides
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


def import_article(args: argparse.Namespace) -> int:
    """A guide skeleton from an article, written whole (never half a guide on failure),
    and never over an existing file without --force."""
    from pathlib import Path

    from assistant import files, guides
    from assistant.guides import importer

    article, out = Path(args.article), Path(args.output)
    if out.exists() and not args.force:
        raise BadInput(Msg.IMPORT_EXISTS, path=out)
    text = importer.convert(guides.read_text(article), article)
    made = guides.parse(text, str(out))  # never write a guide that would not load
    write = files.replace_private if args.force else files.create_private
    try:
        write(out, text.encode("utf-8"))
    except FileExistsError:
        raise BadInput(Msg.IMPORT_EXISTS, path=out) from None
    except OSError as err:
        raise BadInput(Msg.IMPORT_CANNOT_WRITE, path=out, reason=reason(err)) from None
    print(Msg.IMPORT_DONE.format(path=out, id=made.id, steps=len(made.steps)))
    return 0
