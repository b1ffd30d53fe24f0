"""PortAudio through sounddevice: loading it, the devices it offers, and what every stream
on a real device shares (when a device counts as lost, letting a stream go, its errors in
words). The microphone is audio/microphone.py, the speaker audio/speaker.py.

sounddevice is imported only when a real device is opened, so that a missing PortAudio
becomes one clear sentence and a run on files never loads it.
"""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import Unavailable, reason
from assistant.messages import Msg
from assistant.speech.audio.portaudio_log import QUIET

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

LOST_AFTER = 2.0  # seconds without a callback from a running stream: the device is gone


def sounddevice() -> ModuleType:
    """The sounddevice module, or one sentence saying PortAudio is missing."""
    QUIET.alsa()  # before the import: PortAudio lists the ALSA devices as it loads
    try:
        import sounddevice as sd
    except OSError as err:  # sounddevice raises OSError when libportaudio is not found
        raise Unavailable(Msg.NO_PORTAUDIO, reason=str(err)) from err
    QUIET.portaudio(sd._libname)
    return sd


@dataclass(frozen=True)
class Device:
    """One device PortAudio offers; `index` is the number the settings take."""

    index: int
    name: str
    channels: dict[str, int]  # "input" and "output" -> how many of each
    rate: int  # its default sample rate, Hz


@dataclass(frozen=True)
class Listing:
    """Every device, and the index of the default of each kind ("input", "output"; -1
    when there is none)."""

    devices: list[Device]
    defaults: dict[str, int]

    def of(self, kind: str) -> list[Device]:
        """The devices with channels of `kind`."""
        return [d for d in self.devices if d.channels[kind] > 0]


def listing() -> Listing:
    """The devices PortAudio sees now, so that no other module needs sounddevice's API."""
    sd = sounddevice()
    found = [Device(i, d["name"], {"input": d["max_input_channels"],
                                   "output": d["max_output_channels"]},
                    round(d["default_samplerate"]))
             for i, d in enumerate(sd.query_devices())]
    default_in, default_out = sd.default.device
    return Listing(found, {"input": -1 if default_in is None else int(default_in),
                           "output": -1 if default_out is None else int(default_out)})


def find_device(spec: str | int | None, kind: str) -> int | None:
    """The device index for `spec` (an index or part of a name); None means the default.

    `kind` is "input" or "output": only devices with channels of that kind match.
    """
    if spec is None or str(spec).strip() == "":
        return None
    text = str(spec).strip()
    for device in listing().of(kind):
        if (str(device.index) == text if text.isdigit()
                else text.lower() in device.name.lower()):
            return device.index
    raise Unavailable(Msg.DEVICE_NOT_FOUND, kind=kind, spec=text)


_abandoned: list[Any] = []  # streams left to a stuck thread: never closed, never freed


def let_go(stream: Any, stuck: bool) -> None:
    """Close `stream` -- unless its device was lost while its thread still ran.

    PortAudio 19.6 can leave that thread stuck for good (see portaudio_log.RUNAWAY); closing the
    stream, or shutting PortAudio down at exit, would wait for it forever. So such a
    stream is kept as it is, and sounddevice's exit handler is called off.
    """
    if stuck:
        log.warning("leaving a lost audio stream open: its thread did not finish")
        _abandoned.append(stream)
        atexit.unregister(sounddevice()._exit_handler)
        return
    stream.close(ignore_errors=True)  # a device already gone has nothing left to save


def device_reason(err: BaseException) -> str:
    """Why a device failed, in words for the user (PortAudio's own, but for "no default")."""
    if "Error querying device -1" in str(err):  # PortAudio's words for "there is no default"
        return Msg.REASON_NO_DEVICE.format()
    return reason(err)
