"""The journal's file format and its promises: nothing lost, nothing merged, never a crash
on a damaged file, private permissions, and a clear failure when the disk cannot take more."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.errors import ReflectError
from assistant.journal import Entry, Journal, Mark, Note, Record, render_markdown
from assistant.journal import format as journal_format
from assistant.journal import store as jmod
from assistant.journal.crypto import Cipher
from assistant.journal.export import readable
from assistant.messages import Msg

T0 = datetime(2026, 11, 23, 21, 55, 0, tzinfo=timezone(timedelta(hours=1)))
REPO = Path(__file__).resolve().parent.parent


def entry(n: int, text: str | None = None, **kw: object) -> Entry:
    fields: dict = dict(step=f"step-{n // 3}", prompt=n % 3, title=f"Step {n // 3}",
                        question=f"Question {n}?",
                        text=f"Answer number {n}." if text is None else text,
                        at=T0 + timedelta(minutes=n), seconds=12.5 + n, ended="silence",
                        confidence=0.87)
    fields.update(kw)
    return Entry(**fields)


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal")


def write_session(journal: Journal, entries: list[Entry], end: bool = False) -> Path:
    with journal.start("rebuilding-trust", model="vosk-model-small-en-us-0.15",
                       started=T0) as writer:
        writer.mark(Mark("role", T0, value="hurt"))
        for e in entries:
            writer.answer(e)
        if end:
            writer.mark(Mark("end", T0 + timedelta(hours=1)))
        return writer.path


def read_copy(tmp_path: Path, data: bytes, name: str = "2026-11-23T21-55-00-x") -> Record:
    """Read `data` as a session file of a journal of its own."""
    folder = tmp_path / f"copy-{random.randrange(10**9)}"
    folder.mkdir()
    (folder / f"{name}.md").write_bytes(data)
    return Journal(folder).read(name)


# --- format --------------------------------------------------------------------------


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


def test_session_lookup_by_prefix_and_latest(journal: Journal) -> None:
    a = journal.start("alpha", started=T0).id
    b = journal.start("beta", started=T0 + timedelta(hours=1)).id
    assert journal.read("latest").id == b
    assert journal.resolve("2026-11-23T21-55") == a
    with pytest.raises(ReflectError) as err:
        journal.read("2026-11-23T2")
    assert err.value.msg is Msg.SESSION_AMBIGUOUS and err.value.exit_code == 2
    with pytest.raises(ReflectError) as err:
        journal.read("nope")
    assert err.value.msg is Msg.SESSION_UNKNOWN



def test_answering_again_keeps_both_and_the_newest_is_the_answer(journal: Journal) -> None:
    again = entry(0, "Said again after going back.", at=T0 + timedelta(minutes=9))
    record = journal.read(write_session(journal, [entry(0), entry(1), again]).stem)
    assert record.entries == [entry(0), entry(1), again]  # append-only: nothing rewritten
    assert record.answers() == [again, entry(1)]  # in the order first answered
    assert record.versions[("step-0", 0)] == [entry(0), again]
    assert [record.replaced(e) for e in record.entries] == [True, False, False]
    assert record.done == {("step-0", 0), ("step-0", 1)}  # what resume skips: unchanged


# --- durability ----------------------------------------------------------------------


def test_every_append_is_written_whole_and_fsynced_before_it_returns(
        journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []
    real_write, real_fsync = os.write, os.fsync
    monkeypatch.setattr(os, "write", lambda fd, b: calls.append(("write", len(b)))
                        or real_write(fd, b))
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(("fsync", fd)) or real_fsync(fd))
    writer = journal.start("g", started=T0)
    assert [c[0] for c in calls] == ["write", "fsync", "fsync"]  # header, file, directory
    for n in range(5):
        calls.clear()
        writer.answer(entry(n))
        assert [c[0] for c in calls] == ["write", "fsync"]
        assert calls[0][1] == len(journal_format.entry_block(entry(n)))  # whole, one write
        fresh = Journal(journal.directory).read(writer.id)  # a new reader sees it at once
        assert fresh.entries == [entry(i) for i in range(n + 1)]
    writer.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from assistant.journal import Entry, Journal
    w = Journal(Path(sys.argv[1])).start("kill-test")
    print(w.id, flush=True)
    n = 0
    while True:
        w.answer(Entry("s", n, "T", "Q?", f"answer {n} " + "x" * (n * 37 % 3000),
                       datetime.now(timezone.utc), 1.0, "typed"))
        print(n, flush=True)
        n += 1
""")


@pytest.mark.parametrize("after", [1, 40, 333])
def test_sigkill_while_writing_loses_nothing_that_was_acknowledged(
        tmp_path: Path, after: int) -> None:
    folder = tmp_path / "journal"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    session = proc.stdout.readline().strip()
    acknowledged = -1
    while acknowledged < after:
        acknowledged = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    record = Journal(folder).read(session)
    numbers = [e.prompt for e in record.entries]
    assert numbers == list(range(len(numbers)))  # in order, none merged, none missing
    assert len(numbers) >= acknowledged + 1
    assert len(record.set_aside) <= 1


# --- torn and damaged files ----------------------------------------------------------


def test_a_block_cut_at_any_byte_is_set_aside_and_earlier_entries_stay(
        journal: Journal, tmp_path: Path) -> None:
    earlier = [entry(0), entry(1)]
    path = write_session(journal, earlier)
    before = path.read_bytes()
    with journal.reopen(path.stem) as w:
        w.answer(entry(2, "Last answer, with ünïcode — cut anywhere"))
    full = path.read_bytes()
    for cut in range(len(before), len(full) + 1):
        data = full[:cut]
        record = read_copy(tmp_path, data)
        complete = cut >= len(full) - 1  # only the final newline missing: nothing lost
        assert record.entries == earlier + [entry(2, "Last answer, with ünïcode — cut "
                                                     "anywhere")] * complete, cut
        visible = data[len(before):].strip()
        assert bool(record.set_aside) == (bool(visible) and not complete), cut
        if record.set_aside:  # kept as it is on disk
            assert record.set_aside[0] in data.decode("utf-8", "replace")
        assert (record.path).read_bytes() == data  # reading never modifies the file
        copy = Journal(record.path.parent)  # resuming after the cut: nothing merged
        with copy.reopen(record.id) as w:
            w.answer(entry(3))
        resumed = copy.read(record.id)
        assert resumed.entries == [*record.entries, entry(3)], cut
        assert resumed.set_aside == record.set_aside, cut


def test_a_torn_mark_is_set_aside(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0)], end=True)
    data = path.read_bytes()
    record = read_copy(tmp_path, data[:-12])
    assert record.entries == [entry(0)] and not record.finished
    assert record.set_aside and record.set_aside[0].startswith("<!-- end")


def test_appending_after_a_torn_block_never_merges_it(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0), entry(1)])
    path.write_bytes(path.read_bytes()[:-9])  # power cut in the middle of the last answer
    record = journal.read(path.stem)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    with journal.reopen(path.stem) as w:
        w.answer(entry(1, "Said again after resuming."))
        w.answer(entry(2))
    again = journal.read(path.stem)
    assert again.entries == [entry(0), entry(1, "Said again after resuming."), entry(2)]
    assert again.set_aside == record.set_aside
    assert "<!-- torn -->" in path.read_text()  # what keeps it set aside with blocks after it
    assert read_copy(tmp_path, render_markdown(again)).blocks == again.blocks  # md export
    journal.cipher = Cipher.create("pw")
    assert journal.encrypt_all() == (1, 0)
    assert journal.read(path.stem).blocks == again.blocks


def test_hand_edits_are_kept_readable(journal: Journal) -> None:
    path = write_session(journal, [entry(0), entry(1), entry(2)], end=True)
    text = path.read_text()
    text = text.replace("Answer number 0.", "Answer number 0, and what I added later.")
    text = text.replace("\n## Step 0 — Question 2?", "\nMy own note, written by hand.\n"
                        "\nA second paragraph of it.\n\n## Step 0 — Question 2?")
    text = text.replace("model: vosk-model-small-en-us-0.15\n",
                        "model: vosk-model-small-en-us-0.15\nmood: calm\n")
    path.write_text(text)
    record = journal.read(path.stem)
    assert record.entries[0] == entry(0, "Answer number 0, and what I added later.",
                                      edited=True)
    assert record.entries[1:] == [entry(1), entry(2)]
    notes = [b.text for b in record.blocks if isinstance(b, Note) and not b.set_aside]
    assert notes == ["mood: calm", "My own note, written by hand.", "A second paragraph of it."]
    assert record.finished and record.set_aside == []
    shown = readable(record)
    assert "My own note, written by hand." in shown and "edited by hand" in shown


def test_a_shortened_text_is_kept_unless_it_could_be_a_power_cut(journal: Journal) -> None:
    path = write_session(journal, [entry(0), entry(1)], end=True)
    path.write_text(path.read_text().replace("Answer number 0.", "Short.")
                    .replace("Answer number 1.", "Also short."))
    record = journal.read(path.stem)
    assert record.entries == [entry(0, "Short.", edited=True), entry(1, "Also short.",
                                                                     edited=True)]
    assert record.finished and record.set_aside == []
    # the very last thing in the file, shorter than declared: a power cut looks the same,
    # so it is set aside -- still shown, never deleted, and asked again on resume
    unfinished = write_session(journal, [entry(0), entry(1)])
    unfinished.write_text(unfinished.read_text().replace("Answer number 1.", "Short."))
    record = journal.read(unfinished.stem)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    assert "Short." in record.set_aside[0] and "Short." in readable(record)
    assert ("step-0", 1) not in record.done


def test_damaged_metadata_and_junk_never_crash(journal: Journal, tmp_path: Path) -> None:
    path = write_session(journal, [entry(0), entry(1)], end=True)
    data = path.read_bytes()
    broken = data.replace(b"at=2026-11-23T21:56:00+01:00", b"at=yesterday", 1)
    record = read_copy(tmp_path, broken)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    read_copy(tmp_path, data.replace(b"bytes=", b"bytes=abc"))  # must not raise
    for junk in (b"", b"\x00\xff\xfe garbage", b"---\nguide: x\n", b"no front matter\n",
                 data[:40], b"<!-- end -->\n"):  # no front matter naming a guide: no session
        with pytest.raises(ReflectError) as err:
            read_copy(tmp_path, junk)
        assert err.value.msg is Msg.NOT_A_SESSION


def test_random_damage_never_crashes_and_never_loses_the_file(
        journal: Journal, tmp_path: Path) -> None:
    data = write_session(journal, [entry(n) for n in range(6)], end=True).read_bytes()
    rng = random.Random(4)
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(damaged))
            choice = rng.random()
            if choice < 0.4:
                damaged[at] = rng.randrange(256)
            elif choice < 0.7:
                del damaged[at:at + rng.randint(1, 40)]
            else:
                damaged[at:at] = rng.choice([b"\n", b"-->", b"<!-- entry ", b"## ", b"\xc3"])
        header = journal_format.split_front_matter(bytes(damaged))[0]
        if not header.get("guide"):  # the front matter itself is broken: one sentence
            with pytest.raises(ReflectError) as err:
                read_copy(tmp_path, bytes(damaged))
            assert err.value.msg is Msg.NOT_A_SESSION
            continue
        record = read_copy(tmp_path, bytes(damaged))
        readable(record)
        kept = sum(len(e.text) for e in record.entries) + sum(
            len(b.text) for b in record.blocks if isinstance(b, Note))
        assert kept > 0


# --- permissions ---------------------------------------------------------------------


def test_permissions_are_private_whatever_the_umask_and_repaired_on_start(
        tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    old = os.umask(0)
    try:
        path = write_session(Journal(folder), [entry(0)])
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    folder.chmod(0o755)
    path.chmod(0o644)
    repaired = Journal(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(repaired.repaired) == {folder, path}
    assert Journal(folder).repaired == []



def test_symbolic_links_in_the_journal_are_never_followed(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    kept = write_session(Journal(folder), [entry(0)])
    outside = tmp_path / "elsewhere.md"
    outside.write_bytes(kept.read_bytes().replace(b"Answer number 0.", b"Not in the journal"))
    outside.chmod(0o644)
    link = folder / "2026-11-24T10-00-00-link.md"
    link.symlink_to(outside)
    journal = Journal(folder)
    assert outside.stat().st_mode & 0o777 == 0o644 and journal.repaired == []
    skipped: list[ReflectError] = []
    assert [r.id for r in journal.sessions(skipped)] == [kept.stem]
    assert [e.msg for e in skipped] == [Msg.SESSION_LINK_LEFT_OUT]
    assert str(link) in str(skipped[0]) and "symbolic link" in str(skipped[0])
    assert journal.search("not in the journal") == []
    with pytest.raises(ReflectError) as err:
        journal.read(link.stem)
    assert err.value.msg is Msg.SESSION_UNKNOWN
    assert journal.read("latest").id == kept.stem
    writer = journal.reopen(kept.stem)  # a file swapped for a link meanwhile: not appended to
    kept.rename(tmp_path / "moved.md")
    kept.symlink_to(outside)
    before = outside.read_bytes()
    notice = writer.answer(entry(1))  # but kept in a continuation of the session
    writer.close()
    assert outside.read_bytes() == before and writer.path != kept and str(writer.path) in notice
    assert journal.read(writer.id).entries == [entry(0), entry(1)]


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
    assert jmod.open_journal(directory=journal.directory).sessions()  # no lock-out either
    with pytest.raises(ReflectError) as err:
        journal.read(w.id)
    assert err.value.msg is Msg.SESSION_UNREADABLE and "(permission denied)" in str(err.value)


@pytest.mark.parametrize("word", ["strasse", "STRASSE", "straße", "kelvin", "fish", "\ufb01sh",
                                  "\u0130stanbul", "—", "answer"])
def test_search_finds_what_casefolding_finds(journal: Journal, word: str) -> None:
    """Most files are ruled out on their bytes alone; a character that folds to ASCII
    letters (ß, the Kelvin sign, the ﬁ ligature) must never make that miss a match."""
    texts = ["Die Straße — lang.", "\u212aelvin, not Kelvin.", "A \ufb01sh story.",
             "\u0130stanbul — \u0131stanbul", "plain answer"]
    path = write_session(journal, [entry(n, t) for n, t in enumerate(texts)])
    needle = word.casefold()
    expected = [t for t in texts if needle in t.casefold()]
    assert [e.text for _, e in journal.search(word)] == expected
    data = path.read_bytes()
    for cut in range(0, len(data), 7):  # and the quick check itself, on every slice
        piece = data[cut:cut + 40]
        if needle in piece.decode("utf-8", "replace").casefold():
            assert jmod._may_contain(piece, needle), (word, piece)


# --- the disk says no ----------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("sealed", [False, True])
def test_a_failed_write_shows_the_answer_keeps_earlier_entries_and_recovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, sealed: bool) -> None:
    journal = Journal(tmp_path / "journal", Cipher.create("pw") if sealed else None)
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    real = os.write

    def half_then_refuse(fd: int, data: bytes) -> int:  # a partial write, then the error
        monkeypatch.setattr(os, "write", refuse)
        return real(fd, data[:len(data) // 2])

    def refuse(fd: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", half_then_refuse)
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, "The answer that could not be saved."))
    assert err.value.msg is Msg.SAVE_FAILED
    assert "The answer that could not be saved." in str(err.value)
    monkeypatch.undo()
    record = journal.read(writer.id)
    assert record.entries == [entry(0)] and len(record.set_aside) == 1
    writer.answer(entry(2))  # space again: the torn half stays aside, nothing is merged
    again = journal.read(writer.id)
    assert again.entries == [entry(0), entry(2)] and len(again.set_aside) == 1


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB tmpfs: fills up for real and can be made read-only for real (root is
    not stopped by chmod, so permissions alone cannot test this here)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64,mode=0700",
                           "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"cannot mount a tiny tmpfs for the full-disk test ({done.stderr.strip()})"
                    ": these tests need root (or CAP_SYS_ADMIN)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_a_full_disk_shows_the_answer_and_keeps_earlier_entries(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    fd = os.open(tiny_fs / "filler", os.O_WRONLY | os.O_CREAT)  # fill the disk up
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
    long_answer = "I kept talking for a long time. " * 400
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, long_answer))
    assert err.value.msg is Msg.SAVE_FAILED and "the disk is full" in str(err.value)
    assert long_answer in str(err.value)
    record = journal.read(writer.id)
    assert record.entries == [entry(0)]
    assert all("I kept talking" in s for s in record.set_aside)  # a partial write, set aside
    (tiny_fs / "filler").unlink()  # space again: saving goes on after what was set aside
    writer.answer(entry(2))
    assert journal.read(writer.id).entries == [entry(0), entry(2)]


def test_a_read_only_journal_shows_the_answer_and_keeps_earlier_entries(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    writer = journal.start("g", started=T0)
    writer.answer(entry(0))
    writer.close()
    writer = journal.reopen(writer.id)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(ReflectError) as err:
        writer.answer(entry(1, "Said while the disk was read-only."))
    assert "Said while the disk was read-only." in str(err.value)
    assert "cannot be written to" in str(err.value)
    with pytest.raises(ReflectError) as err:
        Journal(tiny_fs / "journal").start("g")
    assert err.value.msg is Msg.JOURNAL_DIR_UNUSABLE
    assert Journal(tiny_fs / "journal").read(writer.id).entries == [entry(0)]


@pytest.mark.parametrize("sealed", [False, True])
def test_front_matter_is_yaml_other_tools_can_read(tmp_path: Path, sealed: bool) -> None:
    import yaml

    journal = Journal(tmp_path / "journal", Cipher.create("pw") if sealed else None)
    with journal.start('a "quoted": guide', started=T0) as w:
        w.answer(entry(0))
    front = yaml.safe_load(w.path.read_text().split("---\n")[1])
    assert front["session"] == w.id and front["guide"] == 'a "quoted": guide'
    assert front["started"] == T0 and front["model"] is None
    assert journal.read(w.id).guide == 'a "quoted": guide'


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


def test_a_session_that_cannot_start_on_a_full_disk_leaves_no_file(tiny_fs: Path) -> None:
    journal = Journal(tiny_fs / "journal")
    fd = os.open(tiny_fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
    with pytest.raises(ReflectError) as err:
        journal.start("g", started=T0)
    assert err.value.msg is Msg.JOURNAL_DIR_UNUSABLE and "the disk is full" in str(err.value)
    assert list(journal.directory.iterdir()) == []  # no empty session, no temporary file
