"""Both reference platforms, started as a user starts them, pass ``lendsim check`` of the whole platform contract
with its default options (examples bounded). Slow (half a minute each: the coverage phase sends setupRun once per
time zone the contract admits), so marked ``slow``: ``scripts/test`` runs it after the default suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._processes import example_platform

BIN = Path(sys.executable).parent
PLATFORM = str(Path(__file__).resolve().parents[2] / "contracts" / "platform.yaml")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["naive", "resilient"])
def test_a_reference_platform_passes_the_whole_platform_contract_with_default_options(
    name: str, tmp_path: Path
) -> None:
    # --time-limit only so that a loaded CI machine does not cut the run short (the default is 120 s)
    options = ["--max-examples", "5", "--time-limit", "600"]

    with example_platform(name, tmp_path / "example-platform.log") as url:
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
