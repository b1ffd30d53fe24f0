"""The test rig itself: each real speech part works on this machine, through the virtual
sound card that scripts/virtual-audio starts. The parts are used directly (sounddevice,
pyttsx3, vosk), not through Reflect's streams or recognizer, so a failure here points at
the machine; only the WAV and resampling helpers of assistant.speech.audio.wavfiles are borrowed."""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from soundcheck import align, speech_span, wait_recorded, wait_until

from assistant.speech.audio.wavfiles import read_wav, resample, write_wav


@pytest.mark.audio
def test_speech_into_the_virtual_mic_comes_back_through_sounddevice(
        virtual_audio, sounddevice, espeak_wav):
    wav = espeak_wav("The quick brown fox jumps over the lazy dog, twice on a Sunday.")
    reference, rate = read_wav(wav)
    chunks: list[bytes] = []
    stream = sounddevice.RawInputStream(samplerate=rate, channels=1, dtype="int16",
                                        callback=lambda data, *_: chunks.append(bytes(data)))
    with stream:
        # A live mic: feed it only once the stream is open and delivering sound.
        wait_until(lambda: virtual_audio.recording_clients() > 0 and len(chunks) > 0)
        before = len(chunks)
        started = time.monotonic()
        player = virtual_audio.play_into_mic(wav)
        assert player.wait(timeout=30) == 0
        played = time.monotonic() - started

        def delivered() -> float:
            """Seconds of audio the stream delivered since playing started."""
            return sum(len(c) for c in chunks[before:]) / 2 / rate

        wait_until(lambda: delivered() >= played + 0.5)  # half a second past the end
        elapsed = time.monotonic() - started
        during = delivered()
    # Real-time pace: from the start of playing on, the stream delivered as much audio as
    # wall-clock time passed (within 5 %, a callback period or two of jitter).
    assert abs(during - elapsed) < max(0.1, 0.05 * elapsed), (during, elapsed)
    captured = np.frombuffer(b"".join(chunks), np.int16)
    offset, correlation = align(captured, reference)
    assert correlation > 0.95
    # The speech lasts as long as it did in the file: measured over all that was captured
    # from where it starts, so a stretched or repeated ending would show.
    first, last = speech_span(captured[offset:], rate)
    ref_first, ref_last = speech_span(reference, rate)
    assert abs((last - first) - (ref_last - ref_first)) / rate < 0.05


@pytest.mark.audio
@pytest.mark.tts
def test_pyttsx3_speech_played_with_sounddevice_reaches_the_speaker(
        virtual_audio, sounddevice, tmp_path: Path):
    import pyttsx3

    rendered = tmp_path / "rendered.wav"
    try:
        engine = pyttsx3.init()
    except Exception as err:  # libespeak-ng missing or broken
        pytest.fail(f"pyttsx3 cannot start espeak-ng ({err}): run scripts/setup (espeak-ng)")
    engine.save_to_file("Reflect reads each part aloud, then it listens.", str(rendered))
    engine.runAndWait()
    speech, rate = read_wav(rendered)
    assert len(speech) > rate  # more than a second of sound: it really spoke
    recording = tmp_path / "speaker.wav"
    recorder = virtual_audio.record_speaker(recording)
    recording_since = time.monotonic()
    try:
        sounddevice.play(speech, rate, blocking=True)
        wait_recorded(recording, time.monotonic() - recording_since + 0.5)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, heard_rate = read_wav(recording)
    reference = resample(speech, rate, heard_rate)
    offset, correlation = align(heard, reference)
    assert correlation > 0.9
    first, last = speech_span(heard[offset:], heard_rate)
    ref_first, ref_last = speech_span(reference, heard_rate)
    assert abs((last - first) - (ref_last - ref_first)) / heard_rate < 0.05


@pytest.fixture(scope="module")
def ko_vosk(ko_model: Path):
    """The Korean model loaded once (it takes about a second)."""
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(ko_model))


def recognize(model, wav: Path) -> tuple[list[dict], int]:
    """Stream a 16 kHz WAV into vosk in 0.1 s chunks: (results, partials seen)."""
    import vosk

    with wave.open(str(wav), "rb") as w:
        rate = w.getframerate()
        recognizer = vosk.KaldiRecognizer(model, rate)
        recognizer.SetWords(True)
        results, partials = [], 0
        while chunk := w.readframes(rate // 10):
            if recognizer.AcceptWaveform(chunk):
                results.append(json.loads(recognizer.Result()))
            elif json.loads(recognizer.PartialResult()).get("partial"):
                partials += 1
    results.append(json.loads(recognizer.FinalResult()))
    return results, partials


@pytest.mark.stt
def test_vosk_transcribes_streamed_korean_speech_with_word_timings(
        ko_vosk, espeak_wav, tmp_path: Path):
    speech, rate = read_wav(espeak_wav("오늘은 날씨가 정말 좋습니다. 저는 학교에 갑니다.", "ko"))
    wav16 = tmp_path / "speech-16k.wav"
    write_wav(wav16, resample(speech, rate, 16000), 16000)
    results, partials = recognize(ko_vosk, wav16)
    words = [w for r in results for w in r.get("result", [])]
    text = " ".join(r.get("text", "") for r in results).split()
    assert partials > 0  # it recognizes while the audio streams in
    assert len(words) >= 5 and [w["word"] for w in words] == text
    assert "오늘" in text  # a word that was really said, not noise
    assert all("\uac00" <= ch <= "\ud7a3" for word in text for ch in word)  # all Hangul
    duration = len(speech) / rate
    times = [t for w in words for t in (w["start"], w["end"])]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= duration + 0.1
    assert all(0 < w["conf"] <= 1 for w in words)


@pytest.mark.stt
def test_vosk_hears_no_words_in_silence(ko_vosk, tmp_path: Path):
    silence = tmp_path / "silence.wav"
    write_wav(silence, np.zeros(16000 * 2, np.int16), 16000)
    results, _ = recognize(ko_vosk, silence)
    assert [w for r in results for w in r.get("result", [])] == []
