"""Read-back and repair on the real parts: the Korean model hears a recording (--mic-file)
in which an answer is followed by a spoken reply -- redo, or add -- and the journal keeps
what the user asked for; and `journal read` says a session's questions and answers, in
order, into a speaker file.

The replies are phrases a guide adds (its `commands:` key), chosen by trying: espeak-ng's
Korean "멈춰" is heard as "넘치고" and "계속" as "예속", every time, at 150, 175 and 200
words a minute (the Korean model understands espeak-ng's Korean poorly, so the phrases are
what it hears, not what was said). `--read-back always`: the rule for doubtful answers is
tested in test_read_back.py; here the flow is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from soundcheck import align, speech_span
from spoken import GUIDE, KOREAN, SILENCE, quiet, run_on_recording, said

from assistant.config import Settings, paths
from assistant.journal import Journal
from assistant.messages import Msg
from assistant.speech.audio import wavfiles
from assistant.speech.engines import for_settings
from assistant.speech.tts.voice import Voice
from assistant.text.spoken import spoken

SAID_AS = {"redo": "멈춰", "add": "계속"}  # what espeak-ng says ...
HEARD_AS = {"redo": "넘치고", "add": "예속"}  # ... and what the Korean model hears
REPLY_AFTER = 1.0  # the user takes a moment after the read-back ends
RATE_OF_ESPEAK = 22050


def korean_guide(tmp: Path) -> Path:
    guide = tmp / "three-ko.yaml"
    text = GUIDE.read_text(encoding="utf-8").replace("language: en", "language: ko")
    replies = "".join(f"  {name}: [{phrase}]\n" for name, phrase in HEARD_AS.items())
    guide.write_text(f"{text}commands:\n{replies}", encoding="utf-8")
    return guide


def recording(tmp: Path, *parts: str) -> np.ndarray:
    """Each part said (a reply by its command name, an answer by its text), each followed
    by quiet that ends it; the quiet after the last is long enough to keep it."""
    pieces = [quiet(1.0)]
    for part in parts:
        pieces += [said(tmp, SAID_AS.get(part, part)), quiet(SILENCE + REPLY_AFTER)]
    return np.concatenate([*pieces, quiet(6.0)])


def first_answers(tmp: Path, cli, ko_model: Path, *parts: str):
    """A session of the Korean guide on a recording of `parts`: its output, its record and
    the takes kept for the first question."""
    mic = recording(tmp, *parts)
    done = run_on_recording(cli, ko_model, tmp, mic, "--fast", "--read-back", "always",
                            "--no-tones", guide=korean_guide(tmp))
    (record,) = Journal(paths().journal_dir).sessions()
    return done, record, record.versions[("morning", 0)]


def test_redo_replaces_the_answer_and_the_journal_keeps_the_first_marked_replaced(
        cli, ko_model: Path, tmp_path: Path) -> None:
    done, record, takes = first_answers(tmp_path, cli, ko_model, KOREAN[0], "redo", KOREAN[1])
    assert spoken(Msg.READ_BACK, "ko") in done.stdout  # the Korean guide's own lines
    assert spoken(Msg.SAY_IT_AGAIN, "ko") in done.stdout
    assert len(takes) == 2 and all(t.words for t in takes), done.stdout
    assert record.replaced(takes[0]) and not record.replaced(takes[1])
    assert record.answers()[0] is takes[1]
    assert HEARD_AS["redo"] not in takes[0].text + takes[1].text  # the reply is no answer
    shown = cli("journal", "show", record.id).stdout
    assert Msg.SHOW_EARLIER.format(details="").split("(")[0].strip() in shown


def test_add_keeps_one_answer_holding_both_takes(cli, ko_model: Path, tmp_path: Path) -> None:
    done, _, takes = first_answers(tmp_path, cli, ko_model, KOREAN[0], "add", KOREAN[2])
    assert spoken(Msg.GO_ON, "ko") in done.stdout
    first, whole = takes[0], takes[-1]
    assert whole.text.startswith(first.text + "\n") and len(whole.text) > len(first.text) + 1
    assert [w.text for w in whole.words[:len(first.words)]] == [w.text for w in first.words]
    assert HEARD_AS["add"] not in whole.text


def test_journal_read_says_each_question_then_its_answer_in_order(
        cli, tmp_path: Path) -> None:
    answers = ("I walked by the river.", "I called my sister.", "I will read a book.")
    typed = "".join(f"{a}\n\n" for a in answers)
    assert cli("run", "--text", str(GUIDE), input=typed).returncode == 0
    (record,) = Journal(paths().journal_dir).sessions()
    out = tmp_path / "read.wav"
    done = cli("journal", "read", record.id, "--speaker-file", str(out), "--voice",
               "espeak:en-us", "--no-tones", input="")
    assert done.returncode == 0, done.stderr
    pcm, _ = wavfiles.read_wav(out)
    # Each text rendered alone by the same voice is found in the recording, in order: the
    # waveform finds where, the loudness contour says it is that text. (espeak-ng's samples
    # differ a little from one rendering to the next, its contour does not.)
    settings = Settings(voice="espeak:en-us")
    alone = Voice(None, settings, None, for_settings(settings, "en"))
    texts = [t for entry in record.answers() for t in (entry.question, entry.text)]
    where, alike = [], []
    for text in texts:
        sound = alone.render(text).pcm
        start, end = speech_span(sound, RATE_OF_ESPEAK)
        ref = sound[start:end + 1]
        at, _ = align(pcm, ref)
        where.append(at)
        alike.append(np.corrcoef(contour(pcm[at:at + len(ref)]), contour(ref))[0, 1])
    assert min(alike) > 0.95, list(zip(texts, alike, strict=True))
    assert where == sorted(where) and len(set(where)) == len(where)


def contour(pcm: np.ndarray, window: int = RATE_OF_ESPEAK // 20) -> np.ndarray:
    """Mean loudness in 50 ms windows."""
    n = len(pcm) // window
    return np.abs(pcm[:n * window].astype(np.float64)).reshape(n, window).mean(axis=1)


def test_journal_read_of_an_encrypted_session_asks_for_its_passphrase(cli) -> None:
    secret = {"REFLECT_PASSPHRASE": "a long passphrase"}
    typed = "".join(f"{a}\n\n" for a in ("by the river", "my sister", "a book"))
    assert cli("run", "--text", "--encrypt", str(GUIDE), input=typed,
               env=secret).returncode == 0
    (name,) = [p.stem for p in paths().journal_dir.glob("*.md")]
    locked = cli("journal", "read", "--text", name, input="")
    assert locked.returncode != 0 and "Traceback" not in locked.stderr
    done = cli("journal", "read", "--text", name, input="", env=secret)
    assert done.returncode == 0, done.stderr
    said = done.stdout
    assert said.index("by the river") < said.index("my sister") < said.index("a book")
