"""A room with an echo, on the virtual sound card: what Reflect plays comes back into its
microphone (the speaker's monitor looped into the microphone feed at a realistic level and
delay, by PulseAudio's module-loopback), and the real parts of listening while speaking --
Voice, Speaker, MicStream, Silero, a command recognizer (grammar-restricted Vosk, or
Whisper in its command mode), BargeIn -- run
in this process. Shared by the barge-in tests and `scripts/bench listen --only barge-in`.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from soundcheck import align

from assistant.config import Settings
from assistant.guides.finder import bundled
from assistant.speech import engines
from assistant.speech.audio import wavfiles
from assistant.speech.audio.microphone import MicStream
from assistant.speech.audio.speaker import Speaker
from assistant.speech.engines import Model, open_model
from assistant.speech.listening.bargein import BARGE_IN, BargeIn
from assistant.speech.listening.echo import Playback
from assistant.speech.listening.silero import Silero
from assistant.speech.tts.voice import Voice
from assistant.text.commands import Commands

RATE = 16000
# PulseAudio's volume percent is cubic: 68 % is 0.68^3 = 0.31 of the amplitude, -10 dB, the
# level of a laptop's own speakers heard by its own microphone.
ECHO_VOLUME = 68
ECHO_DELAY_MS = 30  # what module-loopback is asked for; it is subtracted from the figures
# A long narration to say a command over (it takes over 20 s to say).
LONG = ("Take a slow breath. Think of a moment this week when you felt trusted, and a "
        "moment when you did not. Notice what was different between the two. Stay with "
        "it for a while; there is no hurry. Let the details come back to you one by one: "
        "the place, the people, the words, and how your body felt afterwards.")
# The Korean test model knows no English command word: these Korean ones stand in (the
# setting `commands` adds phrases the same way for a user). Its full recognizer hears
# espeak-ng's "멈춰" as "넘치고", which is added for the half-duplex case.
KOREAN_COMMANDS = {"stop": ["멈춰", "넘치고"], "help": ["도움말"], "skip": ["건너뛰기"]}


def guide_texts(minutes: float | None = None) -> list[str]:
    """What the bundled guide says, in order -- a whole session's narration, or about its
    first `minutes` (at 150 words a minute)."""
    guide = next(g for g in bundled() if g.id == "rebuilding-trust")
    texts = [guide.intro, *(t for s in guide.steps
                            for t in (s.title, s.say, *(p.ask for p in s.prompts))),
             guide.outro]
    words, kept = 0, []
    for text in texts:
        if minutes is not None and words > minutes * 150:
            break
        kept.append(text)
        words += len(text.split())
    return kept


@contextmanager
def echo_path(pactl: Any, volume: int = ECHO_VOLUME,
              delay_ms: int = ECHO_DELAY_MS) -> Iterator[None]:
    """The speaker heard by the microphone, `volume` percent loud, `delay_ms` late."""
    module = pactl("load-module", "module-loopback", "source=speaker.monitor", "sink=micfeed",
                   f"latency_msec={delay_ms}", "source_dont_move=true",
                   "sink_dont_move=true").strip()
    try:
        inputs = pactl("list", "sink-inputs")
        ours = re.findall(rf"Sink Input #(\d+)\n(?:\t.*\n)*?\tOwner Module: {module}\n",
                          inputs)
        assert ours, f"module-loopback {module} has no sink input: {inputs}"
        pactl("set-sink-input-volume", ours[0], f"{volume}%")
        yield
    finally:
        pactl("unload-module", module)


@contextmanager
def overheard(pactl: Any, delay_ms: int = ECHO_DELAY_MS) -> Iterator[str]:
    """With no echo path (headphones) the microphone never hears Reflect's voice, so when
    it fell silent is measured on what someone beside the user would hear: the microphone
    and the speaker mixed, each through a loopback of the same latency, into a sink of
    its own. Yields the source to record."""
    modules = [pactl("load-module", "module-null-sink", "sink_name=overheard",
                     "rate=48000").strip()]
    try:
        for source in ("mic", "speaker.monitor"):
            modules.append(pactl("load-module", "module-loopback", f"source={source}",
                                 "sink=overheard", f"latency_msec={delay_ms}",
                                 "source_dont_move=true", "sink_dont_move=true").strip())
        yield "overheard.monitor"
    finally:
        for module in reversed(modules):
            pactl("unload-module", module)


@dataclass
class Narrated:
    hushed: bool  # a command was heard: the voice was cut short
    command: str | None
    seconds: float  # wall time of the narration
    cpu: float  # CPU seconds the process used meanwhile
    begun: int  # how many of the texts were begun


class EchoRoom:
    """Reflect speaking with barge-in on (or off: `listening=False`), in the echo room."""

    def __init__(self, model: Path | Model, settings: Settings | None = None,
                 listening: bool = True) -> None:
        self.settings = settings or Settings(tones=False)
        self.commands = Commands("en", KOREAN_COMMANDS)
        self.playback = Playback()
        speaker = Speaker(tap=self.playback.played)
        self.voice = Voice(speaker, self.settings, None,
                           engines.for_settings(self.settings, "en"))
        self.source = MicStream(None, RATE)
        self.source.start()
        self.source.hold()
        grammar = self.commands.phrases(BARGE_IN)
        speech = open_model(model) if isinstance(model, Path) else model
        self.barge_in: BargeIn | None = None
        if listening:
            self.barge_in = BargeIn(self.source, lambda: speech.recognizer(grammar=grammar),
                                    Silero(RATE), self.playback,
                                    lambda text: self.commands.match(text),
                                    hush=self.voice.hush, unhush=self.voice.hushed.clear)
            self.barge_in.watch()

    def narrate(self, texts: Sequence[str]) -> Narrated:
        """Say `texts` one after the other until done, or until a command cuts them short."""
        start, cpu = time.monotonic(), time.process_time()
        begun = 0
        for text in texts:
            begun += 1
            self.voice.say(text)
            if self.voice.hushed.is_set():
                break
        seconds, cpu = time.monotonic() - start, time.process_time() - cpu
        hushed = self.voice.hushed.is_set()
        heard = self.barge_in.take() if self.barge_in is not None else None
        if self.barge_in is not None:
            self.barge_in.watch()
        return Narrated(hushed, heard.name if heard else None, seconds, cpu, begun)

    def close(self) -> None:
        if self.barge_in is not None:
            self.barge_in.close()
        self.source.close()
        self.voice.close()


def command_said(text: str, tmp: Path) -> tuple[Path, np.ndarray]:
    """`text` said by espeak-ng's Korean voice, as a WAV to play into the microphone (a
    little quiet around it) and as the samples of the speech itself."""
    from soundcheck import espeak_says

    pcm, rate = wavfiles.read_wav(espeak_says(tmp / "command-espeak.wav", text, "ko"))
    pcm = wavfiles.resample(pcm, rate, RATE)
    wav = tmp / "command.wav"
    wavfiles.write_wav(wav, np.concatenate([np.zeros(RATE // 5, np.int16), pcm,
                                         np.zeros(RATE // 5, np.int16)]), RATE)
    return wav, pcm


def cut_short(room: EchoRoom, virtual_audio: Any, texts: Sequence[str], command: Path,
              command_pcm: np.ndarray, after: float, tmp: Path,
              device: str = "mic") -> tuple[Narrated, float]:
    """Narrate `texts` and say the command `after` seconds in; what was narrated, and the
    seconds from the end of the command's speech to the end of Reflect's voice, as
    `device` heard them: the microphone (the echo path's delay taken off), or the source
    `overheard` yields, where voice and command are equally late."""
    late = ECHO_DELAY_MS / 1000 if device == "mic" else 0.0
    recording = tmp / "mic.wav"
    recorder = subprocess.Popen(
        ["parecord", f"--device={device}", "--file-format=wav", "--channels=1", f"--rate={RATE}",
         "--format=s16le", str(recording)], env=virtual_audio.env)
    try:
        timer = threading.Timer(after, lambda: virtual_audio.play_into_mic(command).wait())
        timer.start()
        narrated = room.narrate(texts)
        timer.join()
        time.sleep(1.0)  # the end of the echo, and quiet after it
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    heard, _ = wavfiles.read_wav(recording)
    at, _ = align(heard, command_pcm)
    ended = at + int(np.flatnonzero(np.abs(command_pcm) > 300)[-1]) + 1  # its last sound
    # 0 when the voice was silent before the command ended (it is acted on at its first
    # pause once its words are whole)
    return narrated, max(0.0, voice_ends(heard, ended) - ended / RATE - late)


def voice_ends(heard: np.ndarray, after: int, window: int = RATE // 100,
               loud: float = 100.0) -> float:
    """Seconds into `heard` where its last loud 10 ms window ends, from `after` on."""
    tail = heard[after:].astype(np.float64)
    levels = [np.sqrt(np.mean(tail[i:i + window] ** 2))
              for i in range(0, len(tail) - window + 1, window)]
    last = max((i for i, level in enumerate(levels) if level > loud), default=-1)
    return (after + (last + 1) * window) / RATE
