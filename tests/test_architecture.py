"""The layer rules of ARCHITECTURE.md hold: import contracts, and no wall-clock reads in the core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "scenario",
    "oracles",
    "world.py",
    "partners",
    "core",
    "openapi",
    "journal",
    "clock",
    "population",
    "masking.py",
    "domain",
    "types.py",
]
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"}


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize("package", PURE)
def test_nothing_in_the_core_reads_the_wall_clock(package: str) -> None:
    offenders = []
    target = ROOT / "simulator" / package
    for path in sorted(target.rglob("*.py") if target.is_dir() else [target]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WALL_CLOCK_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date", "time"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.value.id}.{node.func.attr}()")

    assert offenders == [], "the core must ask the virtual clock, not the wall clock"
