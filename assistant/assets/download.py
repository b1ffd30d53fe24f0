"""Fetching a published file (a speech model's zip, a voice's files): resumed from a part
file, checked against the published size and digests, never half installed.

What arrives is appended to `NAME.part` and fsynced as it comes, so a broken connection,
a stall or Ctrl-C keeps it for the next try to go on from (HTTP Range). A complete response
of another size than the published one, or bytes whose digest is not the published one,
are not the published file: they are deleted, since going on from them would only build on
wrong bytes. Every failure is one sentence that names the command to run again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from assistant import __version__, files
from assistant.errors import Cancelled, ReflectError, reason
from assistant.messages import Msg
from assistant.terminal.statusline import StatusLine

TIMEOUT = 30.0  # seconds without a byte before a download gives up (offline never hangs)
CHUNK = 1 << 16


class DiskTrouble(ReflectError):
    """The file could not be written here (a full disk, a folder without permission):
    what arrived is kept, and trying again after fixing that goes on from it."""


@dataclass(frozen=True)
class Published:
    """A file as its catalogue publishes it; `retry` is the command that tries again."""

    name: str
    url: str
    size: int | None  # bytes, as published
    md5: str | None = None
    sha256: str | None = None
    kind: str = "model"  # what it is, in the user's words
    setting: str = "model_url"  # the setting that says where such files come from
    retry: str = ""


def human_size(size: int | None) -> str:
    if size is None:
        return Msg.MODEL_SIZE_UNKNOWN.format()
    value = float(size)
    for unit in ("bytes", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def fetch(item: Published, part: Path, out: TextIO, timeout: float = TIMEOUT) -> None:
    """Bring `part` to the whole published file and check it; ReflectError (one sentence)
    otherwise, Cancelled on Ctrl-C. `part` stays when going on from it makes sense."""
    out.write(Msg.DOWNLOADING.format(name=item.name, size=human_size(item.size),
                                     url=item.url) + "\n")
    try:
        _fetch(item, part, timeout, out)
    except KeyboardInterrupt:
        raise Cancelled(Msg.DOWNLOAD_INTERRUPTED, name=item.name, retry=item.retry) from None
    _check(item, part, out)


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"reflect/{__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                  timeout=timeout)


def _fetch(item: Published, part: Path, timeout: float, out: TextIO) -> None:
    """Bring `part` to the whole file, going on from what is already there."""
    have = part.stat().st_size if part.exists() else 0
    if item.size is not None and have >= item.size:
        if have == item.size:
            return  # complete from an earlier run; the checksum decides
        part.unlink()
        have = 0
    for _ in range(2):  # a second try only to start over when the part cannot be used
        try:
            response = _open(item.url, have, timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:  # the server cannot go on from our part
                part.unlink()
                have = 0
                continue
            raise ReflectError(Msg.DOWNLOAD_SERVER_ERROR, name=item.name, url=item.url,
                               status=f"{err.code} {err.reason}", kind=item.kind,
                               retry=item.retry) from None
        except (OSError, http.client.HTTPException) as err:
            raise _network_error(item, err) from None
        with response:
            if have and response.status == 206 and not response.headers.get(
                    "Content-Range", "").startswith(f"bytes {have}-"):
                part.unlink()  # a different piece than asked for: ask again from the start
                have = 0
                continue
            if have and response.status != 206:  # the server ignores Range
                out.write(Msg.DOWNLOAD_RESTARTING.format() + "\n")
                have = 0
            elif have:
                out.write(Msg.DOWNLOAD_RESUMING.format(size=human_size(have)) + "\n")
            _stream(response, item, part, have, out)
        return


def _network_error(item: Published, err: Exception) -> ReflectError:
    why = getattr(err, "reason", None) or err.__class__.__name__
    return ReflectError(Msg.DOWNLOAD_NETWORK_FAILED, name=item.name, url=item.url, reason=why,
                        retry=item.retry)


def _stream(response: http.client.HTTPResponse, item: Published, part: Path, have: int,
            out: TextIO) -> None:
    """Append the response body to `part` (or replace it when `have` is 0), then judge
    its size (`_judge_size`)."""
    length = response.headers.get("Content-Length")
    expected = have + int(length) if length and length.isdigit() else None
    progress = Progress(item.size or expected, out)
    done = have
    cut_short = False
    try:
        if not have:
            part.unlink(missing_ok=True)
        with os.fdopen(files.open_private_append(part), "ab") as sink:
            try:
                while item.size is None or done <= item.size:  # past it: not the file
                    try:
                        chunk = response.read1(CHUNK)  # what has arrived: kept on a stall
                    except http.client.IncompleteRead:  # a chunked response broke off
                        cut_short = True
                        break
                    except (OSError, http.client.HTTPException) as err:
                        raise _network_error(item, err) from None
                    if not chunk:
                        break
                    sink.write(chunk)
                    sink.flush()  # on disk as it comes: even a killed run can resume
                    done += len(chunk)
                    progress.update(done)
            finally:
                sink.flush()
                os.fsync(sink.fileno())
                progress.finish()
    except OSError as err:
        raise DiskTrouble(Msg.DOWNLOAD_WRITE_FAILED, name=item.name, path=part,
                          reason=reason(err), retry=item.retry) from None
    cut_short = cut_short or (expected is not None and done < expected)
    _judge_size(item, part, done, cut_short, item.size or expected)


def _judge_size(item: Published, part: Path, size: int, cut_short: bool,
                total: int | None) -> None:
    """A connection that broke early keeps its part, for the next try to go on from. A
    complete response (or one running past the published size) of another size than the
    published one is not the published file: it is deleted."""
    published = item.size
    if published is not None and size != published and (size > published or not cut_short):
        part.unlink()
        raise ReflectError(Msg.DOWNLOAD_SIZE_MISMATCH, name=item.name, url=item.url,
                           done=human_size(size), total=human_size(published),
                           kind=item.kind, setting=item.setting, retry=item.retry)
    if cut_short and size != published:
        raise ReflectError(Msg.DOWNLOAD_TRUNCATED, name=item.name, done=human_size(size),
                           total=human_size(total), retry=item.retry)


def _check(item: Published, part: Path, out: TextIO) -> None:
    """The published digests (the size was judged as it arrived); a wrong file is deleted."""
    sums = {kind: hashlib.new(kind) for kind in ("md5", "sha256") if getattr(item, kind)}
    if not sums:
        out.write(Msg.DOWNLOAD_NO_CHECKSUM.format(name=item.name) + "\n")
        return
    with open(part, "rb") as source:
        while chunk := source.read(1 << 20):
            for digest in sums.values():
                digest.update(chunk)
    for kind, digest in sums.items():
        if digest.hexdigest() != getattr(item, kind).lower():
            part.unlink()
            raise ReflectError(Msg.DOWNLOAD_CHECKSUM_MISMATCH, name=item.name, kind=kind,
                               retry=item.retry)


class Progress:
    """How far a download is: the status line rewritten at each percent on a terminal; a
    plain line every 10 % otherwise, so screen readers and logs get a few readable lines
    instead of a flood."""

    def __init__(self, total: int | None, out: TextIO) -> None:
        self.total = total
        self.status = StatusLine(out)
        self.shown = -1

    def update(self, done: int) -> None:
        if self.total:
            percent = min(100, done * 100 // self.total)
            step = percent if self.status.live else percent - percent % 10
            if step == self.shown:
                return
            self.shown = step
            line = Msg.DOWNLOAD_PROGRESS.format(percent=step, done=human_size(done),
                                                total=human_size(self.total))
        else:
            mb = done // 10_000_000  # unknown size: a line per 10 MB
            if mb == self.shown:
                return
            self.shown = mb
            line = Msg.DOWNLOAD_PROGRESS_UNKNOWN.format(done=human_size(done))
        if self.status.live:
            self.status.show(line)
        else:
            self.status.line(line)

    def finish(self) -> None:
        self.status.close()
