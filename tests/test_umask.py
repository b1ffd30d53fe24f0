"""With umask 000, every folder Reflect makes is still 0700 and every file 0600 (issue 9,
item 15): the settings, the log, the speech cache (rendered by real espeak-ng) and a model
downloaded from a local HTTP server, all made in one process started with os.umask(0)."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NAME = "vosk-model-small-xx-0.1"
MAKE_EVERYTHING = """
import json, logging, os, sys
os.umask(0)
from assistant.assets import modelinstall, models
from assistant.cli import main
from assistant.config import Settings, paths
from assistant.speech.engines import for_settings
from assistant.speech.tts.voice import Voice

assert main(["config", "set", "rate", "150"]) == 0
logging.getLogger("assistant.test").warning("a line for the log")
voice = Voice(None, Settings(), paths().cache_dir / "speech", for_settings(Settings()))
voice.prepare(["Welcome back."])
voice.render("Welcome back.")
modelinstall.download(models.ModelInfo(**json.loads(sys.argv[1])), sys.argv[2],
                      out=sys.stdout)
"""


def model_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
            archive.writestr(f"{NAME}/{name}", f"{name} bytes")
    return buffer.getvalue()


@pytest.fixture
def model_site(tmp_path: Path):
    """A plain HTTP server on 127.0.0.1 serving one model zip; yields (url, ModelInfo)."""
    site = tmp_path / "site"
    site.mkdir()
    data = model_zip()
    (site / f"{NAME}.zip").write_bytes(data)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    info = {"name": NAME, "language": "xx", "size": len(data),
            "md5": hashlib.md5(data).hexdigest()}
    yield f"http://127.0.0.1:{httpd.server_address[1]}", info
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.tts
def test_everything_reflect_makes_is_private_under_umask_000(tmp_path: Path,
                                                              model_site) -> None:
    url, info = model_site
    home = tmp_path / "home"  # made by Reflect too
    done = subprocess.run(
        [sys.executable, "-c", MAKE_EVERYTHING, json.dumps(info), url], cwd=REPO,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "REFLECT_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    made = [home, *sorted(home.rglob("*"))]
    names = {str(p.relative_to(home)) for p in made}
    assert {"config/settings.yaml", "cache/reflect.log", "cache/speech",
            f"models/{NAME}/am/final.mdl"} <= names
    assert any(name.startswith("cache/speech/") and name.endswith(".wav") for name in names)
    wrong = [f"{p.relative_to(home)} {stat.S_IMODE(p.lstat().st_mode):04o}" for p in made
             if stat.S_IMODE(p.lstat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert wrong == [], "made without the private mode"
