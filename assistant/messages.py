"""Every sentence Reflect says to its user, in one catalogue.

Keeping them together (as jrnl does) makes every error read the same way -- what is
wrong, then what to do -- and leaves one place to translate. Code raises
`ReflectError(Msg.X, **fields)`; the CLI prints the sentence and exits with its code.
Sections are kept per area so that additions stay easy to find.
"""

from __future__ import annotations

from enum import Enum

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class Msg(Enum):
    """A user-facing sentence; `{name}` fields are filled by `format`."""

    # --- general -------------------------------------------------------------------
    INTERRUPTED = "Stopped. Everything you said before this point is saved."
    UNEXPECTED = (
        "Something went wrong inside Reflect ({error}). Your saved answers are safe; "
        "run the same command with --debug to see the details."
    )
    NOT_BUILT_YET = "`reflect {command}` is not available in this version yet."
    UNREADABLE_FILE = "Cannot read {path}: {reason}. Check the path and its permissions."

    # --- guides --------------------------------------------------------------------

    # --- session and typed input ---------------------------------------------------

    # --- journal and encryption ----------------------------------------------------

    # --- speaking and listening ----------------------------------------------------

    # --- models --------------------------------------------------------------------

    # --- settings, devices, doctor -------------------------------------------------

    def format(self, **fields: object) -> str:
        return self.value.format(**fields)


class ReflectError(Exception):
    """An expected failure with one plain sentence for the user and an exit status."""

    def __init__(self, msg: Msg, exit_code: int = EXIT_FAILURE, **fields: object) -> None:
        self.msg = msg
        self.exit_code = exit_code
        self.fields = fields
        super().__init__(msg.format(**fields))
