"""Real uvicorn servers on free loopback ports, in threads, for tests of what goes over the wire."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from simulator.core import Engine
from simulator.http import create_app


@dataclass
class LiveServer:
    engine: Engine
    url: str


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port for the duration; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    engine = Engine(seed=7, wall_clock=time.time)
    with running(create_app(engine)) as url:
        yield LiveServer(engine, url)
