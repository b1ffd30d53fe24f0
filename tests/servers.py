"""A local HTTP server standing in for the model and voice sites in the download tests:
it serves files (resuming with Range), and misbehaves on request -- a wrong status, a
connection cut short, a stall, no Range support, no Content-Length."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Server:
    """What the handler serves, how it misbehaves, and what it was asked."""

    def __init__(self) -> None:
        self.body = b""
        self.files: dict[str, bytes] = {}  # by file name: served instead of `body`
        self.status = 200
        self.cut_at: int | None = None  # close the connection after this many bytes
        self.stall = 0.0  # ... or first go quiet for this long (a dead network)
        self.ranges = True
        self.send_length = True  # False: no Content-Length, the body ends when it closes
        self.requests: list[str | None] = []  # the Range header of each request
        self.url = ""


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.headers.get("Range"))
            if state.status != 200:
                self.send_error(state.status)
                return
            body, start = state.files.get(self.path.rsplit("/", 1)[-1], state.body), 0
            wanted = self.headers.get("Range")
            if wanted and state.ranges:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            if state.send_length:
                self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            piece = body[start:]
            if state.cut_at is not None:
                piece = piece[:state.cut_at]
            self.wfile.write(piece)
            self.wfile.flush()
            time.sleep(state.stall)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/models"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
