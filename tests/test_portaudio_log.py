"""audio/portaudio_log.py: PortAudio's and alsa-lib's notes go to the log, never to the
user's screen, and a PortAudio thread stuck repeating one is parked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from soundcheck import wait_until

from assistant.speech.audio import devices
from assistant.speech.audio.microphone import MicStream
from assistant.speech.audio.streams import DeviceLost

REPO = Path(__file__).resolve().parent.parent


def test_alsa_notes_go_to_the_log_not_the_screen(capfd, caplog):
    import ctypes
    import logging

    devices.sounddevice()
    alsa = ctypes.CDLL("libasound.so.2")
    with caplog.at_level(logging.DEBUG, logger="assistant.speech.audio.portaudio_log"):
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
    mic = MicStream(None, 16000)
    mic.start()
    try:
        with caplog.at_level(logging.DEBUG, logger="assistant.speech.audio.portaudio_log"):
            own_sound_card.stop()
            with pytest.raises(DeviceLost):
                for _ in range(100):
                    mic.read(0.1)
            wait_until(lambda: "PortAudio: Expression '" in caplog.text)
    finally:
        mic.close()
    assert "Expression '" not in capfd.readouterr().err


STUCK_THREAD = """
import ctypes, logging, sys, threading, time
from assistant.speech.audio import devices
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
devices.sounddevice()
libc = ctypes.CDLL(None)
stderr = ctypes.c_void_p.in_dll(libc, "stderr")
sorted_pipe = stderr.value
libc.fprintf.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
note = (b"Expression 'self->capture.ready || self->playback.ready' failed in "
        b"'src/hostapi/alsa/pa_linux_alsa.c', line: 3958\\n")

def stuck():  # what PortAudio 19.6's stream thread does after some device losses
    while True:
        libc.fprintf(stderr.value, note)

threading.Thread(target=stuck, daemon=True).start()
deadline = time.monotonic() + 10
while stderr.value == sorted_pipe:  # a fresh pipe once the stuck thread is parked on its own
    assert time.monotonic() < deadline, "the stuck thread was not parked"
    time.sleep(0.01)
started = time.process_time()
time.sleep(1.0)  # how much processor time a second of the parked thread takes
libc.fprintf(stderr.value, b"a line of someone else\\n")
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
