"""audio.py: the pure parts (WAV files, resampling, tones, the recording as a microphone)
as unit tests, and MicStream/Speaker on the real virtual sound card."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from soundcheck import align, speech_span, wait_until

from assistant.errors import ReflectError
from assistant.messages import Msg
from assistant.speech import audio

REPO = Path(__file__).resolve().parent.parent


def sine(freq: float, rate: int, seconds: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * level * 32767).astype(np.int16)


def peak_freq(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum) * rate / len(pcm))


# --- WAV files ---------------------------------------------------------------------


def test_wav_round_trip(tmp_path: Path):
    pcm = sine(440, 16000, 0.5)
    audio.write_wav(tmp_path / "a.wav", pcm, 16000)
    back, rate = audio.read_wav(tmp_path / "a.wav")
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
    mono, rate = audio.read_wav(tmp_path / "s.wav")
    expected = ((left.astype(np.int32) + right) / 2)
    assert rate == 8000 and len(mono) == len(left)
    assert np.max(np.abs(mono - expected)) <= (256 if width == 1 else 1)


def test_unreadable_wav_is_one_sentence_naming_the_file(tmp_path: Path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not a sound")
    with pytest.raises(ReflectError) as err:
        audio.read_wav(bad)
    assert err.value.msg is Msg.BAD_WAV and str(bad) in str(err.value)
    with pytest.raises(ReflectError, match=r"missing\.wav"):
        audio.read_wav(tmp_path / "missing.wav")


# --- resampling --------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (44100, 16000), (16000, 22050),
                                          (22050, 16000)])
def test_resample_keeps_length_and_pitch(src: int, dst: int):
    out = audio.resample(sine(440, src, 1.0), src, dst)
    assert abs(len(out) - dst) <= 1
    assert abs(peak_freq(out, dst) - 440) < 2
    assert 0.45 * 32767 < np.abs(out[dst // 10:-dst // 10]).max() < 0.52 * 32767


def test_resample_down_filters_what_the_lower_rate_cannot_hold():
    # 10 kHz at 48 kHz would fold to 6 kHz at 16 kHz without the low-pass.
    out = audio.resample(sine(10000, 48000, 1.0), 48000, 16000)
    assert np.abs(out[1000:-1000]).max() < 0.02 * 32767


def test_streaming_resampler_has_no_seams_between_chunks():
    pcm = sine(300, 44100, 1.0)
    whole = audio.resample(pcm, 44100, 16000)
    resampler = audio.Resampler(44100, 16000)
    pieces = np.concatenate([resampler(pcm[i:i + 2205]) for i in range(0, len(pcm), 2205)])
    assert len(pieces) == len(whole)
    assert np.max(np.abs(pieces.astype(int) - whole)) <= 1


def test_same_rate_is_untouched():
    pcm = sine(440, 16000, 0.1)
    assert np.array_equal(audio.resample(pcm, 16000, 16000), pcm)


# --- tones -------------------------------------------------------------------------


def test_tones_are_short_soft_and_fade_in_and_out():
    for name in audio.TONES:
        pcm = audio.tone(name, 22050)
        assert 0.1 < len(pcm) / 22050 < 0.4
        assert np.abs(pcm).max() <= audio.TONE_LEVEL * 32767
        assert abs(int(pcm[0])) < 300 and abs(int(pcm[-1])) < 300


def test_listening_rises_and_saved_is_two_notes():
    rate = 22050
    listening = audio.tone("listening", rate)
    half = len(listening) // 2
    assert peak_freq(listening[half:], rate) > peak_freq(listening[:half], rate) + 100
    saved = audio.tone("saved", rate)
    loud = np.abs(saved) > 200
    gaps = np.flatnonzero(np.convolve(~loud, np.ones(int(0.03 * rate)), "valid")
                          >= int(0.03 * rate))
    assert len(gaps)  # a quiet gap between the two notes
    first, second = saved[: gaps[0]], saved[gaps[-1] + int(0.03 * rate):]
    assert peak_freq(second, rate) > peak_freq(first, rate)
    assert not np.array_equal(listening[: len(saved)], saved[: len(listening)])


def test_unknown_tone_is_an_error():
    with pytest.raises(KeyError):
        audio.tone("fanfare", 16000)


# --- a recording as the microphone -------------------------------------------------


def read_all(source: audio.MicFile) -> bytes:
    out = b""
    with pytest.raises(audio.EndOfInput):
        while True:
            out += source.read(1.0)
    return out


def test_mic_file_resamples_and_ends(tmp_path: Path):
    pcm = sine(440, 22050, 1.05)
    audio.write_wav(tmp_path / "memo.wav", pcm, 22050)
    mic = audio.MicFile(tmp_path / "memo.wav", 16000, realtime=False)
    mic.start()
    data = np.frombuffer(read_all(mic), np.int16)
    assert abs(len(data) - 16800) <= 1 and abs(peak_freq(data, 16000) - 440) < 2
    with pytest.raises(audio.EndOfInput):
        mic.read(0.1)


def test_mic_file_stands_still_while_held(tmp_path: Path):
    audio.write_wav(tmp_path / "memo.wav", sine(440, 16000, 1.0), 16000)
    mic = audio.MicFile(tmp_path / "memo.wav", 16000, realtime=False)
    mic.start()
    first = mic.read(0.1)
    mic.hold()
    assert [mic.read(0.01) for _ in range(5)] == [b""] * 5
    mic.release()
    second = mic.read(0.1)
    assert first + second == mic.samples[:3200].tobytes()  # nothing skipped while held


def test_mic_file_in_real_time_is_paced_like_a_microphone(tmp_path: Path):
    audio.write_wav(tmp_path / "memo.wav", sine(440, 16000, 0.5), 16000)
    mic = audio.MicFile(tmp_path / "memo.wav", 16000, realtime=True)
    started = time.monotonic()
    mic.start()
    assert mic.read(0.01) == b""  # the first 0.1 s has not been "recorded" yet
    data = read_all(mic)
    assert len(data) == 16000 and time.monotonic() - started >= 0.45


# --- writing what is said to a file ------------------------------------------------


def test_speaker_file_appends_and_stays_a_valid_wav(tmp_path: Path):
    out = tmp_path / "spoken.wav"
    sink = audio.SpeakerFile(out)
    assert audio.read_wav(out)[0].size == 0  # valid even before anything is said
    assert sink.play(sine(440, 22050, 0.5), 22050)
    assert len(audio.read_wav(out)[0]) == 11025  # complete after each sound, not only at close
    assert sink.play(sine(440, 16000, 0.5), 16000)  # another rate: converted to the first
    sink.close()
    pcm, rate = audio.read_wav(out)
    assert rate == 22050 and abs(len(pcm) - 22050) <= 1


def test_speaker_file_in_a_missing_folder_is_one_sentence(tmp_path: Path):
    with pytest.raises(ReflectError) as err:
        audio.SpeakerFile(tmp_path / "nowhere" / "spoken.wav")
    assert err.value.msg is Msg.WAV_WRITE_FAILED


# --- the real devices --------------------------------------------------------------


@pytest.mark.audio
def test_find_device_by_name_or_index(sounddevice):
    assert audio.find_device(None, "input") is None
    index = audio.find_device("PULSE", "output")
    assert sounddevice.query_devices(index)["name"] == "pulse"
    assert audio.find_device(str(index), "input") == index
    for spec in ("no-such-card", "99"):
        with pytest.raises(ReflectError) as err:
            audio.find_device(spec, "input")
        assert err.value.msg is Msg.DEVICE_NOT_FOUND
        assert f'"{spec}"' in str(err.value) and "reflect devices" in str(err.value)


def capture_while_playing(mic: audio.MicStream, virtual_audio, wav: Path) -> np.ndarray:
    """Play `wav` into the virtual mic while reading `mic`; returns what was read."""
    wait_until(lambda: virtual_audio.recording_clients() > 0)
    chunks = [mic.read(1.0)]  # a live mic: feed it once it really delivers sound
    player = virtual_audio.play_into_mic(wav)
    while player.poll() is None:
        chunks.append(mic.read(0.2))
    end = time.monotonic() + 0.4
    while time.monotonic() < end:
        chunks.append(mic.read(0.2))
    return np.frombuffer(b"".join(chunks), np.int16)


@pytest.mark.audio
@pytest.mark.parametrize("device_rate_refused", [False, True])
def test_mic_stream_hears_the_virtual_mic(virtual_audio, sounddevice, espeak_wav,
                                          monkeypatch, device_rate_refused: bool):
    wav = espeak_wav("Speak after the tone, and take your time.")
    if device_rate_refused:  # a device without 16 kHz: opened at its own rate, resampled
        def refuse(*args, **kwargs):
            raise sounddevice.PortAudioError("Invalid sample rate")
        monkeypatch.setattr(sounddevice, "check_input_settings", refuse)
    mic = audio.MicStream(None, 16000)
    mic.start()
    try:
        heard = capture_while_playing(mic, virtual_audio, wav)
    finally:
        mic.close()
    assert (mic._resampler is not None) == device_rate_refused
    speech, rate = audio.read_wav(wav)
    reference = audio.resample(speech, rate, 16000)
    offset, correlation = align(heard, reference)
    assert correlation > 0.95 and mic.overflows == 0
    first, last = speech_span(heard[offset:offset + len(reference)], 16000)
    ref_first, ref_last = speech_span(reference, 16000)
    assert abs((last - first) - (ref_last - ref_first)) < 0.05 * 16000


@pytest.mark.audio
def test_mic_stream_drops_what_it_hears_while_held(virtual_audio, sounddevice, espeak_wav):
    mic = audio.MicStream(None, 16000)
    mic.start()
    try:
        mic.hold()
        during = capture_while_playing(mic, virtual_audio, espeak_wav("This is Reflect talking."))
        mic.release()
        after = np.frombuffer(b"".join(mic.read(0.2) for _ in range(3)), np.int16)
    finally:
        mic.close()
    assert len(during) == 0
    assert len(after) > 0 and np.abs(after).max() < 100  # only the quiet after it


LOSE_DEVICE = """
import sys, time
from assistant.speech import audio
mic = audio.MicStream(None, 16000)
mic.start()
print("open", flush=True)
try:
    while True:
        mic.read(0.2)
except audio.DeviceLost as err:
    print("lost:", err, flush=True)
"""


@pytest.mark.audio
def test_mic_stream_raises_device_lost_when_the_sound_server_goes(own_sound_card):
    child = subprocess.Popen([sys.executable, "-c", LOSE_DEVICE], env=own_sound_card.env,
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "open"
    finally:
        own_sound_card.stop()
    out, err = child.communicate(timeout=10)
    assert out.startswith("lost:")
    assert "Expression '" not in err and "pa_linux_alsa.c" not in err, err


@pytest.mark.audio
def test_speaker_plays_to_the_end_or_until_interrupted(virtual_audio, sounddevice, espeak_wav,
                                                       tmp_path: Path):
    speech, rate = audio.read_wav(espeak_wav("One, two, three, four, five, six, seven."))
    speaker = audio.Speaker(None)
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    try:
        assert speaker.play(speech, rate)
        time.sleep(0.3)
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        assert speaker.play(speech, rate, stop) is False
        cut_after = time.monotonic() - started
        time.sleep(0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    assert cut_after < 0.5 + 0.2 < len(speech) / rate
    heard, heard_rate = audio.read_wav(recording)
    reference = audio.resample(speech, rate, heard_rate)
    offset, correlation = align(heard, reference)
    assert correlation > 0.95
    # The whole first sound arrived, then only about half a second of the second one.
    rest = heard[offset + len(reference):]
    loud = np.flatnonzero(np.abs(rest) > 0.05 * np.abs(reference).max())
    assert len(loud) and 0.3 < (loud[-1] - loud[0]) / heard_rate < 0.75


@pytest.mark.audio
def test_speaker_that_cannot_open_is_one_sentence(sounddevice):
    with pytest.raises(ReflectError) as err:
        audio.Speaker(None).play(np.zeros(100, np.int16), 12345678)
    assert err.value.msg is Msg.SPEAKER_UNAVAILABLE


def test_alsa_notes_go_to_the_log_not_the_screen(capfd, caplog):
    import ctypes
    import logging

    audio.sounddevice()
    alsa = ctypes.CDLL("libasound.so.2")
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.audio"):
        assert alsa.snd_pcm_open(ctypes.byref(ctypes.c_void_p()), b"no_such_pcm", 0, 0) < 0
    assert "no_such_pcm" not in capfd.readouterr().err
    assert "alsa-lib" in caplog.text


@pytest.mark.audio
def test_portaudio_notes_go_to_the_log_not_the_screen(own_sound_card, sounddevice, monkeypatch,
                                                      capfd, caplog):
    """A lost device makes PortAudio print "Expression '...' failed in '...pa_linux_alsa.c'"
    lines; they belong in the log, not on the user's screen."""
    import logging

    for name, value in own_sound_card.vars.items():  # the stream opens on the private card
        monkeypatch.setenv(name, value)
    mic = audio.MicStream(None, 16000)
    mic.start()
    try:
        with caplog.at_level(logging.DEBUG, logger="assistant.speech.audio"):
            own_sound_card.stop()
            with pytest.raises(audio.DeviceLost):
                for _ in range(100):
                    mic.read(0.1)
            wait_until(lambda: "PortAudio: Expression '" in caplog.text)
    finally:
        mic.close()
    assert "Expression '" not in capfd.readouterr().err


STUCK_THREAD = """
import ctypes, logging, sys, threading, time
from assistant.speech import audio
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
audio.sounddevice()
libc = ctypes.CDLL(None)
stderr = ctypes.c_void_p.in_dll(libc, "stderr")
libc.fprintf.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
note = (b"Expression 'self->capture.ready || self->playback.ready' failed in "
        b"'src/hostapi/alsa/pa_linux_alsa.c', line: 3958\\n")

def stuck():  # what PortAudio 19.6's stream thread does after some device losses
    while True:
        libc.fprintf(stderr.value, note)

threading.Thread(target=stuck, daemon=True).start()
time.sleep(2.0)
started = time.process_time()
time.sleep(1.0)
libc.fprintf(stderr.value, b"a line of someone else\\n")
time.sleep(0.2)
print("busy", time.process_time() - started, flush=True)
"""


@pytest.mark.audio
def test_a_stuck_portaudio_thread_is_parked_not_shown(sounddevice):
    """The note that PortAudio 19.6 repeats forever when it is stuck is logged once; the
    thread then waits (no processor burnt, no flood on stderr), the C library's stderr
    goes on working for others, and the process still exits."""
    done = subprocess.run([sys.executable, "-c", STUCK_THREAD], cwd=REPO, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "a line of someone else\n"
    lines = done.stdout.splitlines()
    assert sum("thread is stuck repeating" in line for line in lines) == 1
    busy = float(lines[-1].split()[1])
    assert busy < 0.2, f"{busy:.2f} s of processor time in 1 s: the thread still runs"


def test_no_sound_server_at_all_is_said_in_plain_words(tmp_path: Path) -> None:
    """Without any sound device PortAudio says "Error querying device -1"; the user reads
    that no device was found (in a fresh process: PortAudio lists devices once)."""
    code = ("import numpy as np\nfrom assistant.speech import audio\n"
            "try:\n    audio.Speaker(None).play(np.zeros(100, np.int16), 16000)\n"
            "except Exception as err:\n    print(err)\n")
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/none"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert Msg.REASON_NO_DEVICE.format() in done.stdout, done.stdout + done.stderr
    assert "-1" not in done.stdout
