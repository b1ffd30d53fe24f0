"""The Journal (store.py, reading.py, record.py): sessions started, read back with every
field, sorted and told apart, answers given again kept, and what cannot be read as a
session -- another user's file, a file that is no session -- left out and named, by its
kind, without stopping the rest."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from journals import T0, entry, header_of, read_copy, write_session
from sessions import REPO, typed

from assistant.config import paths
from assistant.errors import EXIT_BAD_INPUT, EXIT_FAILURE, ReflectError
from assistant.journal import Journal, Mark, open_journal, render_markdown
from assistant.journal.crypto import Cipher
from assistant.journal.errors import (
    CannotOpen,
    NotASession,
    OpenElsewhere,
    SealedWithAnother,
    Unreadable,
)
from assistant.messages import Msg
from assistant.speech.audio.wavfiles import write_wav
from assistant.text.spoken import spoken


def test_round_trip_keeps_every_field_and_the_design_layout(journal: Journal) -> None:
    entries = [entry(0), entry(1, "Two lines —\nünïcode and <!-- entry --> inside\n## not a head"),
               entry(2, "", confidence=None, ended="typed")]
    path = write_session(journal, entries, end=True)
    text = path.read_text()
    assert text.startswith("---\nsession: 2026-11-23T21-55-00-rebuilding-trust\n"
                           "guide: rebuilding-trust\nstarted: 2026-11-23T21:55:00+01:00\n"
                           "model: vosk-model-small-en-us-0.15\n---\n")
    assert "\n## Step 0 — Question 0?\n<!-- entry step=step-0 prompt=0 at=2026-11-23T21:55:00" \
           "+01:00 seconds=12.5 confidence=0.87 ended=silence bytes=16 -->\nAnswer number 0.\n" \
           in text
    record = journal.read(path.stem)
    assert record.entries == entries
    assert [m.kind for m in record.marks] == ["role", "end"]
    assert record.role == "hurt" and record.finished and record.set_aside == []
    assert record.done == {("step-0", 0), ("step-0", 1), ("step-0", 2)}
    assert record.guide == "rebuilding-trust" and record.started == T0
    assert render_markdown(record) == path.read_bytes()  # one serializer: byte for byte


def test_skip_marks_count_as_done_and_sessions_sort_oldest_first(journal: Journal) -> None:
    with journal.start("g", started=T0 + timedelta(days=1)) as w:
        w.mark(Mark("skip", T0, step="s", prompt=4, value="What now?"))
    write_session(journal, [entry(0)])
    records = journal.sessions()
    assert [r.started for r in records] == [T0, T0 + timedelta(days=1)]
    assert records[1].done == {("s", 4)} and records[1].marks[0].value == "What now?"
    latest = journal.latest_unfinished()
    assert latest is not None and latest.id == records[1].id


def test_same_second_sessions_get_distinct_ids(journal: Journal) -> None:
    ids = {journal.start("g", started=T0).id for _ in range(3)}
    assert ids == {"2026-11-23T21-55-00-g", "2026-11-23T21-55-00-g-2",
                   "2026-11-23T21-55-00-g-3"}


def test_answering_again_keeps_both_and_the_newest_is_the_answer(journal: Journal) -> None:
    again = entry(0, "Said again after going back.", at=T0 + timedelta(minutes=9))
    record = journal.read(write_session(journal, [entry(0), entry(1), again]).stem)
    assert record.entries == [entry(0), entry(1), again]  # append-only: nothing rewritten
    assert record.answers() == [again, entry(1)]  # in the order first answered
    assert record.versions[("step-0", 0)] == [entry(0), again]
    assert [record.replaced(e) for e in record.entries] == [True, False, False]
    assert record.done == {("step-0", 0), ("step-0", 1)}  # what resume skips: unchanged


# --- what cannot be read as a session ------------------------------------------


def _unreadable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Reading `path` fails as it does for a file another user owns (root reads anything)."""
    real_read, real_open = Path.read_bytes, Path.open

    def refuse(self: Path, *args: object, **kw: object):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "read_bytes", lambda self: refuse(self) if self == path
                        else real_read(self))
    monkeypatch.setattr(Path, "open", lambda self, *a, **kw: refuse(self) if self == path
                        else real_open(self, *a, **kw))


def test_an_unreadable_session_is_left_out_and_named(
        journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write_session(journal, [entry(0, "Findable words.")])
    with journal.start("g", started=T0 + timedelta(days=1)) as w:
        w.answer(entry(1, "Findable too."))
    _unreadable(monkeypatch, w.path)
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [first.stem]
    assert [e.msg for e in skipped] == [Msg.SESSION_LEFT_OUT]
    assert str(skipped[0]) == (
        f"Left out {w.path}, which cannot be read (permission denied); if another user owns "
        f"it (after running Reflect with sudo, say), give it back with `sudo chown $USER "
        f"{w.path}`.")
    latest = journal.latest_unfinished()
    assert latest is not None and latest.id == first.stem  # resume carries on too
    found: list[ReflectError] = []
    assert [r.id for r, _ in journal.search("findable", found)] == [first.stem]
    assert [e.msg for e in found] == [Msg.SESSION_LEFT_OUT]
    assert open_journal(directory=journal.directory).sessions()  # no lock-out either
    with pytest.raises(ReflectError) as err:
        journal.read(w.id)
    assert err.value.msg is Msg.SESSION_UNREADABLE and "(permission denied)" in str(err.value)


NOT_SESSIONS = {"empty": b"", "plain-notes": b"Some notes of mine.\n",
                "no-guide": b"---\nmood: calm\n---\nText.\n"}


def damaged_newer_files(journal: Journal) -> list[Path]:
    """Files newer than every real session that are not sessions."""
    made = []
    for n, data in enumerate(NOT_SESSIONS.values()):
        made.append(journal.directory / f"2026-12-0{n + 1}T10-00-00-{n}.md")
        made[-1].write_bytes(data)
        made[-1].chmod(0o600)
    return made


def test_files_that_are_not_sessions_are_left_out_and_named(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    real = write_session(journal, [entry(0, "Findable words.")])
    others = damaged_newer_files(journal)
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [real.stem]
    assert [str(e) for e in skipped] == [Msg.NOT_A_SESSION_LEFT_OUT.format(path=p)
                                         for p in others]
    latest = journal.latest_unfinished()
    assert latest is not None and latest.id == real.stem
    found: list[ReflectError] = []
    assert [r.id for r, _ in journal.search("findable", found)] == [real.stem]
    assert len(found) == len(others)
    assert journal.read("latest").id == real.stem
    for path in others:
        with pytest.raises(ReflectError) as err:
            journal.read(path.stem)
        assert str(err.value) == Msg.NOT_A_SESSION.format(path=path)
        with pytest.raises(ReflectError):
            journal.reopen(path.stem)
    assert [p.read_bytes() for p in others] == list(NOT_SESSIONS.values())  # left as they are


def test_resume_reaches_the_real_session_past_damaged_newer_files(cli, small_guide: str) -> None:
    started = cli("run", "--text", small_guide, input=typed("hurt", "one") + "stop\n")
    assert started.returncode == 0, started.stderr
    journal = Journal(paths().journal_dir)
    (real,) = journal.sessions()
    others = damaged_newer_files(journal)
    done = cli("resume", "--text", input=typed("two", "three", "four"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [Msg.NOT_A_SESSION_LEFT_OUT.format(path=p)
                                        for p in others]
    record = journal.read(real.id)
    assert record.finished and [e.text for e in record.entries] == ["one", "two", "three",
                                                                    "four"]
    listed = cli("journal", "list")
    assert listed.returncode == 0 and real.id in listed.stdout
    assert len(listed.stderr.splitlines()) == len(others)


def test_each_file_that_cannot_be_opened_says_so_by_its_kind(tmp_path: Path) -> None:
    """What a listing goes on without is told apart by kind, never by its sentence: each
    kind reads as one sentence (with its exit code) and names the file when left out."""
    path = tmp_path / "2026-11-23T21-55-00-x.md"
    kinds = [(Unreadable(path, reason="permission denied"), EXIT_FAILURE,
              Msg.SESSION_LEFT_OUT.format(path=path, reason="permission denied")),
             (NotASession(path), EXIT_FAILURE, Msg.NOT_A_SESSION_LEFT_OUT.format(path=path)),
             (SealedWithAnother(path), EXIT_BAD_INPUT,
              Msg.OTHER_PASSPHRASE_LEFT_OUT.format(path=path)),
             (OpenElsewhere(path), EXIT_FAILURE,
              Msg.SESSION_OPEN_LEFT_OUT.format(session=path.stem))]
    for err, code, left_out in kinds:
        assert isinstance(err, CannotOpen) and err.exit_code == code
        assert str(err) == err.MESSAGE.format(path=path, session=path.stem,
                                              reason="permission denied")
        assert str(err.left_out()) == left_out


# --- front matter carried over ----------------------------------------------------


@pytest.mark.parametrize("sealed", [False, True])
def test_where_the_guide_came_from_is_kept_and_carried_over(
        tmp_path: Path, sealed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session started from a guide file records that file (absolute) and the guide's
    digest, read back onto the record, kept by `encrypt_all` and by the md export."""
    journal = Journal(tmp_path / "journal", Cipher.create("pw") if sealed else None)
    monkeypatch.chdir(tmp_path)
    with journal.start("g", started=T0, guide_file=Path("guides") / "mine.yaml",
                       guide_digest="sha256:0123abcd") as w:
        w.answer(entry(0))
    record = journal.read(w.id)
    assert record.guide_file == str(tmp_path / "guides" / "mine.yaml")
    assert record.guide_digest == "sha256:0123abcd" and record.continues is None
    assert read_copy(tmp_path, render_markdown(record), w.id).guide_file == record.guide_file
    if not sealed:
        journal.cipher = Cipher.create("pw")
        assert journal.encrypt_all() == (1, 0)
        converted = journal.read(w.id)
        assert (converted.guide_file, converted.guide_digest) == (record.guide_file,
                                                                  record.guide_digest)
        assert converted.entries == record.entries and converted.encrypted
    with journal.start("g", started=T0 + timedelta(days=1)) as plain:
        pass  # from a guide id: no such fields at all
    assert b"guide-" not in plain.path.read_bytes()


def test_a_default_model_that_cannot_be_loaded_is_named_nowhere(cli, ko_model: Path,
                                                                tmp_path: Path) -> None:
    """The model installed for the guide's language is damaged: the session goes on with
    typed answers, and its front matter names no speech model (it heard nothing)."""
    damaged = paths().models_dir / "vosk-model-small-ko-0.22"
    for part in (p for p in ko_model.rglob("*") if p.is_file()):
        copy = damaged / part.relative_to(ko_model)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if part.name == "final.mdl":
            copy.write_bytes(part.read_bytes()[:768])  # cut short: Vosk cannot load it
        else:
            copy.symlink_to(part)
    guide = tmp_path / "three-ko.yaml"
    guide.write_text((REPO / "tests" / "data" / "three-questions.yaml").read_text(
        encoding="utf-8").replace("language: en", "language: ko"), encoding="utf-8")
    mic = tmp_path / "silence.wav"
    write_wav(mic, np.zeros(16000, np.int16), 16000)
    done = cli("run", str(guide), "--mic-file", str(mic), "--speaker-file",
               str(tmp_path / "out.wav"), "--no-tones", input=typed("one", "two", "three"))
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    # the error as it is printed, and what happens now as the Korean guide says it
    assert Msg.NOT_A_MODEL_DAMAGED.format() in said and spoken(Msg.TYPING_INSTEAD, "ko") in said
    (record,) = Journal(paths().journal_dir).sessions()
    assert [(e.text, e.ended) for e in record.entries] == [
        ("one", "typed"), ("two", "typed"), ("three", "typed")]
    assert record.finished and record.model is None
    assert "model" in header_of(record.path) and header_of(record.path)["model"] is None
