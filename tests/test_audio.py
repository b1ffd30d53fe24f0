"""wavfiles.py: WAV files, resampling, and the files standing in for the microphone and the
speaker, as unit tests (no sound device)."""

from __future__ import annotations

import os
import stat
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from soundcheck import peak_freq, sine

from assistant.messages import Msg
from assistant.speech.audio import wavfiles
from assistant.speech.audio.streams import EndOfInput
from assistant.speech.errors import BadSoundFile

# --- WAV files ---------------------------------------------------------------------


def test_wav_round_trip(tmp_path: Path):
    pcm = sine(440, 16000, 0.5)
    wavfiles.write_wav(tmp_path / "a.wav", pcm, 16000)
    back, rate = wavfiles.read_wav(tmp_path / "a.wav")
    assert rate == 16000 and back.dtype == np.int16
    assert np.array_equal(back, pcm)


@pytest.mark.parametrize("width", [1, 2, 4])
def test_read_wav_mixes_stereo_down_and_scales_to_16_bit(tmp_path: Path, width: int):
    left, right = sine(440, 8000, 0.2), sine(440, 8000, 0.2, level=0.25)
    both = np.stack([left, right], axis=1).astype(np.int32)
    raw = {1: (both >> 8) + 128, 2: both, 4: both << 16}[width]
    dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(raw.astype(dtype).tobytes())
    mono, rate = wavfiles.read_wav(tmp_path / "s.wav")
    expected = ((left.astype(np.int32) + right) / 2)
    assert rate == 8000 and len(mono) == len(left)
    assert np.max(np.abs(mono - expected)) <= (256 if width == 1 else 1)


def test_unreadable_wav_is_one_sentence_naming_the_file(tmp_path: Path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not a sound")
    with pytest.raises(BadSoundFile) as err:
        wavfiles.read_wav(bad)
    assert err.value.msg is Msg.BAD_WAV and str(bad) in str(err.value)
    assert err.value.exit_code == 1
    with pytest.raises(BadSoundFile, match=r"missing\.wav"):
        wavfiles.read_wav(tmp_path / "missing.wav")


# --- resampling --------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (44100, 16000), (16000, 22050),
                                          (22050, 16000)])
def test_resample_keeps_length_and_pitch(src: int, dst: int):
    out = wavfiles.resample(sine(440, src, 1.0), src, dst)
    assert abs(len(out) - dst) <= 1
    assert abs(peak_freq(out, dst) - 440) < 2
    assert 0.45 * 32767 < np.abs(out[dst // 10:-dst // 10]).max() < 0.52 * 32767


def test_resample_down_filters_what_the_lower_rate_cannot_hold():
    # 10 kHz at 48 kHz would fold to 6 kHz at 16 kHz without the low-pass.
    out = wavfiles.resample(sine(10000, 48000, 1.0), 48000, 16000)
    assert np.abs(out[1000:-1000]).max() < 0.02 * 32767


def test_streaming_resampler_has_no_seams_between_chunks():
    pcm = sine(300, 44100, 1.0)
    whole = wavfiles.resample(pcm, 44100, 16000)
    resampler = wavfiles.Resampler(44100, 16000)
    pieces = np.concatenate([resampler(pcm[i:i + 2205]) for i in range(0, len(pcm), 2205)])
    assert len(pieces) == len(whole)
    assert np.max(np.abs(pieces.astype(int) - whole)) <= 1


def test_same_rate_is_untouched():
    pcm = sine(440, 16000, 0.1)
    assert np.array_equal(wavfiles.resample(pcm, 16000, 16000), pcm)


# --- a recording as the microphone -------------------------------------------------


def read_all(source: wavfiles.MicFile) -> bytes:
    out = b""
    with pytest.raises(EndOfInput):
        while True:
            out += source.read(1.0)
    return out


def test_mic_file_resamples_and_ends(tmp_path: Path):
    pcm = sine(440, 22050, 1.05)
    wavfiles.write_wav(tmp_path / "memo.wav", pcm, 22050)
    mic = wavfiles.MicFile(tmp_path / "memo.wav", 16000, realtime=False)
    mic.start()
    data = np.frombuffer(read_all(mic), np.int16)
    assert abs(len(data) - 16800) <= 1 and abs(peak_freq(data, 16000) - 440) < 2
    with pytest.raises(EndOfInput):
        mic.read(0.1)


def test_mic_file_stands_still_while_held(tmp_path: Path):
    wavfiles.write_wav(tmp_path / "memo.wav", sine(440, 16000, 1.0), 16000)
    mic = wavfiles.MicFile(tmp_path / "memo.wav", 16000, realtime=False)
    mic.start()
    first = mic.read(0.1)
    mic.hold()
    assert [mic.read(0.01) for _ in range(5)] == [b""] * 5
    mic.release()
    second = mic.read(0.1)
    assert first + second == mic.samples[:3200].tobytes()  # nothing skipped while held


def test_mic_file_in_real_time_is_paced_like_a_microphone(tmp_path: Path):
    wavfiles.write_wav(tmp_path / "memo.wav", sine(440, 16000, 0.5), 16000)
    mic = wavfiles.MicFile(tmp_path / "memo.wav", 16000, realtime=True)
    started = time.monotonic()
    mic.start()
    assert mic.read(0.01) == b""  # the first 0.1 s has not been "recorded" yet
    data = read_all(mic)
    assert len(data) == 16000 and time.monotonic() - started >= 0.45


# --- writing what is said to a file ------------------------------------------------


def test_speaker_file_appends_and_stays_a_valid_wav(tmp_path: Path):
    out = tmp_path / "spoken.wav"
    sink = wavfiles.SpeakerFile(out)
    assert wavfiles.read_wav(out)[0].size == 0  # valid even before anything is said
    assert sink.play(sine(440, 22050, 0.5), 22050)
    assert len(wavfiles.read_wav(out)[0]) == 11025  # complete after each sound, not only at close
    assert sink.play(sine(440, 16000, 0.5), 16000)  # another rate: converted to the first
    sink.close()
    pcm, rate = wavfiles.read_wav(out)
    assert rate == 22050 and abs(len(pcm) - 22050) <= 1


def test_speaker_file_in_a_missing_folder_is_one_sentence(tmp_path: Path):
    with pytest.raises(BadSoundFile) as err:
        wavfiles.SpeakerFile(tmp_path / "nowhere" / "spoken.wav")
    assert err.value.msg is Msg.WAV_WRITE_FAILED and err.value.exit_code == 1


def test_speaker_file_is_private_and_never_written_through_a_link(tmp_path: Path):
    """--speaker-file is made 0600 whatever the umask, and a link at its path is replaced,
    never followed: the file it points to stays as it was."""
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    out = tmp_path / "spoken.wav"
    out.symlink_to(precious)
    before = os.umask(0)
    try:
        sink = wavfiles.SpeakerFile(out)
    finally:
        os.umask(before)
    sink.play(sine(440, 22050, 0.1), 22050)
    sink.close()
    assert precious.read_text() == "keep me"
    assert not out.is_symlink() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(wavfiles.read_wav(out)[0]) == 2205
