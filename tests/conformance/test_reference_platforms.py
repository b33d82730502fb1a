"""Both reference platforms, started as a user starts them, pass ``lendsim check`` of the whole platform contract
with its default options (examples bounded). Slow (half a minute each: the coverage phase sends setupRun once per
time zone the contract admits), so marked ``slow``: ``scripts/test`` runs it after the default suite."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.test_serve import free_port

BIN = Path(sys.executable).parent
PLATFORM = str(Path(__file__).resolve().parents[2] / "contracts" / "platform.yaml")


@contextmanager
def example_platform(name: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "lendsim"), "example-platform", name, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"lendsim example-platform {name} exited with {process.returncode}"
            try:
                httpx.get(f"{url}/harness/ledger", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"lendsim example-platform {name} did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["naive", "resilient"])
def test_a_reference_platform_passes_the_whole_platform_contract_with_default_options(name: str) -> None:
    # --time-limit only so that a loaded CI machine does not cut the run short (the default is 120 s)
    options = ["--max-examples", "5", "--time-limit", "600"]

    with example_platform(name) as url:
        result = subprocess.run(
            [str(BIN / "lendsim"), "check", "--contract", PLATFORM, "--url", url, *options],
            capture_output=True,
            text=True,
            check=False,
            timeout=700,
        )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "8 operations: 8 passed, 0 failed" in result.stdout
    assert "Time limit" not in result.stdout  # everything asked for ran
