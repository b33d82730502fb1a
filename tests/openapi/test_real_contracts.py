"""Real-world contracts of any size in bounded memory: Stripe's spec3 (4.2 MB, 468 operations, whose references
written out grew past 12 GiB) served by ``lendsim serve --contract`` and checked by ``lendsim lint``, measured from
outside the process as a user would see them."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.openapi import load_contract
from tests.cli.test_serve import free_port

#: ../shared/reference/real-contracts beside the clone (or LENDSIM_REAL_CONTRACTS): public contracts, not ours to ship.
CORPUS = Path(
    os.environ.get("LENDSIM_REAL_CONTRACTS")
    or Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-contracts"
)
BIN = Path(sys.executable).parent
GIB = 1024**3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CORPUS / "stripe.yaml").is_file(), reason=f"the real-world contracts are not at {CORPUS}"),
]


def _rss(pid: int) -> int:
    """Resident bytes of a process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (a busy machine slows its wall time, not this)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the server's CPU time and RSS from /proc")
def test_stripe_spec3_is_served_its_first_answer_within_10_cpu_seconds_and_1_gib() -> None:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "lendsim"), "serve", "--port", str(port), "--contract", str(CORPUS / "stripe.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    try:
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            peak = max(peak, _rss(process.pid))
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/stripe/v1/charges",
                    params={"limit": 3},
                    headers={"authorization": "Bearer sk_test_lendsim"},  # as Stripe's SDK sends its key
                    timeout=60,
                )
                break
            except httpx.TransportError:
                assert time.monotonic() - started < 180, "no answer within 3 minutes"
                time.sleep(0.05)
        cpu, rss, wall = _cpu_seconds(process.pid), _rss(process.pid), time.monotonic() - started
    finally:
        process.terminate()
        process.communicate(timeout=10)

    print(f"stripe first answer: {wall:.1f} s wall, {cpu:.1f} s CPU, {max(peak, rss) / 2**20:.0f} MiB RSS")
    assert answer.status_code == 200, answer.text
    assert cpu <= 10
    assert max(peak, rss) <= GIB
    operation = load_contract(CORPUS / "stripe.yaml").operation("GetCharges")
    assert operation.validate_response(200, answer.json(), "application/json") == []


def test_lint_checks_stripe_spec3_within_1_gib() -> None:
    done = subprocess.run(
        [str(BIN / "lendsim"), "lint", str(CORPUS / "stripe.yaml")], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    # The largest resident size of any child this process waited for (the server above stays well under it).
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 <= GIB
