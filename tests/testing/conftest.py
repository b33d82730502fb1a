"""In-process adapter tests run on the bare engine: no partner models, the generic mock answers every operation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from simulator.core import Engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(seed=7, strict=True)
    yield engine
    engine.journal.close()


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="session")
def local_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering ``hello``: what a pass-through host reaches."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    # shutdown() waits out one poll of serve_forever: a short poll keeps the session's teardown quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
