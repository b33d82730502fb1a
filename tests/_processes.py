"""Helpers for tests that start lendsim as a user does, as a process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def example_platform(name: str, log: Path) -> Iterator[str]:
    """``lendsim example-platform NAME`` on a free port, its output in ``log``; its base URL once it answers."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "lendsim"), "example-platform", name, "--port", str(port)], stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30  # a cold start on a busy machine
        while True:
            assert process.poll() is None, f"lendsim example-platform {name} exited: {log.read_text(encoding='utf-8')}"
            try:
                if httpx.get(f"{url}/harness/ledger", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"lendsim example-platform {name} did not start: {log.read_text()}"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
