"""A real uvicorn server on a free loopback port, in a thread, for tests of what goes over the wire."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from simulator import Simulator
from simulator.http import create_app


@dataclass
class LiveServer:
    sim: Simulator
    url: str


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sim = Simulator(seed=7, wall_clock=time.time)
    config = uvicorn.Config(create_app(sim), host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    yield LiveServer(sim, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
