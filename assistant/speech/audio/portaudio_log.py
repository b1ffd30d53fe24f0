"""PortAudio and alsa-lib print notes straight to stderr -- "underrun occurred", or three
"Expression '...' failed" lines each time a device is lost -- in the middle of the live
transcript. Here they are sent to the log instead, through ctypes, before and after
sounddevice loads PortAudio (audio/devices.py calls `QUIET.alsa()` and `QUIET.portaudio()`).

PortAudio 19.6 can also get stuck after a device is lost: a `goto error` below its own
error label repeats one note forever in the stream's thread, which cannot be cancelled
then. Such a thread is recognised by its note (RUNAWAY times in a row) and parked.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

# PortAudio's own failure notes, e.g. "Expression 'alsa_snd_pcm_poll_descriptors_revents(
# self->pcm, pfds, self->nfds, &revents )' failed in 'src/hostapi/alsa/pa_linux_alsa.c',
# line: 3665".
PORTAUDIO_NOTE = re.compile(rb"^Expression '.*' failed in '.*'")
RUNAWAY = 50  # the same note this many times in a row: that thread is stuck


class Quiet:
    """What the native libraries were given, kept alive here (a ctypes callback that is
    collected would crash the process), and the note PortAudio last printed. One per
    process: QUIET."""

    def __init__(self) -> None:
        self.alsa_handler: Any = None  # None: not tried yet; False: nothing to quiet
        self.portaudio_print: Any = None  # likewise
        self.last_note: tuple[bytes, int] = (b"", 0)  # the note and how often in a row

    def alsa(self) -> None:
        """alsa-lib's error handler goes to the log (before PortAudio lists the devices)."""
        if self.alsa_handler is not None:
            return
        import ctypes

        try:
            lib = ctypes.CDLL("libasound.so.2")
        except OSError:
            self.alsa_handler = False  # not ALSA: nothing to quiet
            return
        kind = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                ctypes.c_int, ctypes.c_char_p)
        self.alsa_handler = kind(lambda file, line, function, err, fmt:
                                 log.debug("alsa-lib: %s (%s:%d)", fmt.decode(errors="replace"),
                                           file.decode(errors="replace"), line))
        lib.snd_lib_error_set_handler(self.alsa_handler)

    def portaudio(self, libname: str) -> None:
        """PortAudio's notes go to the log.

        Builds that export PaUtil_SetDebugPrintFunction take a print function. Debian's
        (autotools) build keeps it private and prints through the C library's `stderr`
        stream, so there that stream is sorted instead (see `CStderr`).
        """
        if self.portaudio_print is not None:
            return
        import ctypes

        try:
            setter = ctypes.CDLL(libname).PaUtil_SetDebugPrintFunction
        except (OSError, AttributeError):
            self.portaudio_print = False
            CStderr.install(self)
            return
        kind = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
        self.portaudio_print = kind(self._print_note)
        setter.argtypes, setter.restype = [kind], None
        setter(self.portaudio_print)

    def _print_note(self, text: bytes) -> None:
        """PortAudio's print function: a stuck thread that brings a note is parked here."""
        if not self.note(text):
            threading.Event().wait()

    def note(self, text: bytes) -> bool:
        """Log one of PortAudio's notes; False once the same note came RUNAWAY times in a
        row (its thread is stuck: the caller parks it, so it stops burning a processor)."""
        count = self.last_note[1] + 1 if text == self.last_note[0] else 1
        self.last_note = (text, count)
        note = text.decode(errors="replace").rstrip()
        if count < RUNAWAY:
            log.debug("PortAudio: %s", note)
        elif count == RUNAWAY:
            log.warning("PortAudio's stream thread is stuck repeating a note; it is left waiting")
        return count < RUNAWAY


QUIET = Quiet()


class CStderr:
    """The C library's `stderr` stream pointed at a pipe that a thread sorts: PortAudio's
    notes go to the log, every other line on to file descriptor 2, as before. Python
    writes its own stderr to the descriptor, not through this stream: it is not touched.

    A stuck PortAudio thread is parked by no longer reading its pipe: once the pipe is
    full, its write blocks, for good. Other writers then get a fresh pipe.
    """

    def __init__(self, libc: Any, stream: Any, notes: Quiet) -> None:
        self.libc, self.stream, self.notes = libc, stream, notes
        self.original = stream.value
        self.current: tuple[int, int, threading.Thread] | None = None  # FILE*, fd, sorter
        self.parked: list[int] = []  # the write ends of pipes a stuck thread is blocked on

    @classmethod
    def install(cls, notes: Quiet) -> None:
        import ctypes

        libc = ctypes.CDLL(None)
        try:
            stream = ctypes.c_void_p.in_dll(libc, "stderr")
        except ValueError:  # a C library without a `stderr` variable (macOS names it otherwise)
            return
        libc.fdopen.argtypes, libc.fdopen.restype = [ctypes.c_int, ctypes.c_char_p], \
            ctypes.c_void_p
        libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
        libc.fclose.argtypes = [ctypes.c_void_p]
        sorted_stderr = cls(libc, stream, notes)
        if sorted_stderr.open():
            atexit.register(sorted_stderr.restore)

    def open(self) -> bool:
        """Point the stream at a new pipe and start its sorter; False if that failed."""
        read, write = os.pipe()
        piped = self.libc.fdopen(write, b"w")
        if not piped:
            os.close(read)
            os.close(write)
            return False
        self.libc.setvbuf(piped, None, 1, 0)  # _IOLBF: line-buffered, as stderr is
        sorter = threading.Thread(target=self._sort, args=(read,), name="reflect-stderr",
                                  daemon=True)
        self.current = (piped, write, sorter)
        self.stream.value = piped
        sorter.start()
        return True

    def _sort(self, fd: int) -> None:
        pipe = open(fd, "rb")  # noqa: SIM115 -- left open when a stuck thread is parked on it
        for line in pipe:
            if not PORTAUDIO_NOTE.match(line):
                os.write(2, line)
            elif not self.notes.note(line):
                self._park(fd)
        pipe.close()

    def _park(self, fd: int) -> None:
        """Stop reading `fd` until the stuck writer blocks on it, then hand the stream a
        fresh pipe; this thread and that writer wait from then on."""
        import fcntl
        import termios

        room = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) - 4096  # a note's write blocks past this
        waiting = bytearray(4)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            fcntl.ioctl(fd, termios.FIONREAD, waiting)
            if int.from_bytes(waiting, sys.byteorder) >= room:
                break
            time.sleep(0.01)
        if self.current is not None:
            self.parked.append(self.current[1])
        self.open()
        threading.Event().wait()

    def restore(self) -> None:
        """At exit: the stream as it was; lines still in the pipe come out first.

        The C library flushes every stream as the process ends: writes to a parked pipe
        must fail then, not wait for a reader that is gone."""
        import fcntl

        self.stream.value = self.original
        for fd in self.parked:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        if self.current is not None:
            piped, _, sorter = self.current
            self.libc.fclose(piped)
            sorter.join(timeout=1.0)
