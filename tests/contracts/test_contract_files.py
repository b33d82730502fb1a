"""The built-in contracts are valid OpenAPI, their examples match their schemas, and they keep our conventions."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator._resources import bundled_contracts_dir
from simulator.openapi import lint_contract, lint_receivers

CONTRACTS = sorted(bundled_contracts_dir().glob("*.yaml"))


def test_all_five_contracts_ship() -> None:
    assert [path.stem for path in CONTRACTS] == ["bank", "bureau", "control", "platform", "sms"]


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.stem)
def test_a_built_in_contract_lints_clean(path: Path) -> None:
    assert [str(finding) for finding in lint_contract(path)] == []


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.stem)
def test_the_house_conventions_hold(path: Path) -> None:
    # Every operation with 400 and 503 problem+json responses, the virtual-time header on every response,
    # bounded request fields, links to real operations (tests/openapi/test_lint.py breaks each rule once).
    assert [str(finding) for finding in lint_contract(path, conventions=True)] == []


def test_the_webhooks_match_the_platform_s_receivers() -> None:
    assert [str(finding) for finding in lint_receivers(CONTRACTS)] == []
