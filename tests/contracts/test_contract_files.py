"""The built-in contracts are valid OpenAPI, their examples match their schemas, and they keep our conventions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator._resources import bundled_contracts_dir
from simulator.openapi import lint_contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = sorted(bundled_contracts_dir().glob("*.yaml"))


def test_all_five_contracts_ship() -> None:
    assert [path.stem for path in CONTRACTS] == ["bank", "bureau", "control", "platform", "sms"]


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.stem)
def test_a_built_in_contract_lints_clean(path: Path) -> None:
    assert [str(finding) for finding in lint_contract(path)] == []


def test_the_house_conventions_hold() -> None:
    # Every operation with 400 and 503 problem+json responses, the virtual-time header on every response,
    # bounded request fields, links to real operations, webhooks matching the platform's receivers.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_contracts.py")], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
