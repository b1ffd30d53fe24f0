"""`reflect resume` of a session started from a guide *file*: the journal records where the
guide came from and its digest, so resume finds it again, names a changed guide, and says
what to do when the file is gone or holds another guide. The real CLI and real files."""

from __future__ import annotations

from pathlib import Path

from sessions import SMALL_GUIDE, only_session, typed

from assistant.config import paths
from assistant.journal import Record
from assistant.messages import Msg


def started_from_a_file(cli, tmp_path: Path) -> tuple[Path, Record]:
    """A session of a guide file outside every guides folder, stopped after one answer."""
    guide = tmp_path / "elsewhere" / "my-guide.yaml"
    guide.parent.mkdir()
    guide.write_text(SMALL_GUIDE, encoding="utf-8")
    done = cli("run", "--text", str(guide), input=typed("it was me", "first answer") + "stop\n")
    assert done.returncode == 0, done.stderr
    assert Msg.RESUME_HOW.format(session=only_session().id) in done.stdout
    return guide, only_session()


def test_a_session_of_a_guide_file_resumes_from_that_file(cli, tmp_path: Path) -> None:
    guide, record = started_from_a_file(cli, tmp_path)
    assert record.guide_file == str(guide.resolve())
    assert record.guide_digest and record.guide_digest.startswith("sha256:")
    done = cli("resume", "--text", input=typed("second", "third", "fourth"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the guide is unchanged: nothing to say about it
    record = only_session()
    assert record.finished
    assert [e.text for e in record.entries] == ["first answer", "second", "third", "fourth"]


def test_a_changed_guide_is_named_and_the_session_goes_on(cli, tmp_path: Path) -> None:
    guide, _ = started_from_a_file(cli, tmp_path)
    guide.write_text(SMALL_GUIDE.replace("What do you need now?", "What do you need today?"),
                     encoding="utf-8")
    done = cli("resume", "--text", input=typed("second", "third", "fourth"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == Msg.GUIDE_CHANGED.format(guide="small-test", path=guide)
    assert "Question: What do you need today?" in done.stdout
    assert only_session().finished


def test_a_guide_file_that_is_gone_is_one_sentence(cli, tmp_path: Path) -> None:
    guide, record = started_from_a_file(cli, tmp_path)
    guide.unlink()
    before = record.path.read_bytes()
    done = cli("resume", "--text", input=typed("second"))
    assert done.returncode == 2
    assert done.stderr.strip() == Msg.GUIDE_FILE_GONE.format(
        guide="small-test", path=guide.resolve(), session=record.id)
    assert record.path.read_bytes() == before  # nothing written


def test_a_guide_file_that_now_holds_another_guide_is_one_sentence(cli, tmp_path: Path
                                                                    ) -> None:
    guide, record = started_from_a_file(cli, tmp_path)
    guide.write_text(SMALL_GUIDE.replace("id: small-test", "id: other-guide"), encoding="utf-8")
    done = cli("resume", "--text", input=typed("second"))
    assert done.returncode == 2
    assert done.stderr.strip() == Msg.GUIDE_FILE_OTHER.format(
        guide="small-test", path=guide.resolve(), other="other-guide", session=record.id)


def test_a_moved_guide_file_is_found_by_its_id_in_the_guides_folder(cli, tmp_path: Path
                                                                     ) -> None:
    guide, _ = started_from_a_file(cli, tmp_path)
    folder = paths().guides_dir
    folder.mkdir(parents=True, exist_ok=True)
    guide.rename(folder / "small-test.yaml")
    done = cli("resume", "--text", input=typed("second", "third", "fourth"))
    assert done.returncode == 0, done.stderr
    assert only_session().finished
