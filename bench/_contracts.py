"""Contract self-test section: the wall time of the schemathesis conformance tests in tests/.

tests/contracts/test_conformance.py fuzzes every operation of every served contract in-process (positive and
negative data, stateful links); tests/cli/test_serve.py runs schemathesis' own CLI against a real
``lendsim serve``. Both run here in one pytest process, as the default suite runs them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from bench._report import Row

__all__ = ["TESTS", "measure"]

ROOT = Path(__file__).resolve().parent.parent
TESTS = (
    "tests/contracts/test_conformance.py",
    "tests/cli/test_serve.py::test_serve_binds_loopback_and_schemathesis_cli_finds_no_failure",
)
SECTION = "contracts"
TARGET_SECONDS = 60.0


def measure() -> tuple[list[Row], list[str]]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    summary = next(
        (line.strip("= ") for line in reversed(done.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)),
        f"pytest exited {done.returncode}",
    )
    ok = done.returncode == 0
    row = Row(
        SECTION,
        "schemathesis conformance tests (in-process + CLI against lendsim serve)",
        f"{seconds:.1f} s",
        ratio=seconds / TARGET_SECONDS,
        target=f"≤ {TARGET_SECONDS:.0f} s",
        met=ok and seconds <= TARGET_SECONDS,
        note=summary if ok else f"FAILED: {summary}",
    )
    return [row], [f"`pytest {' '.join(TESTS)}`, one process, wall time including start-up."]
