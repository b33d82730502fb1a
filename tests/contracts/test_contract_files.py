"""The built-in contracts are valid OpenAPI, their examples match their schemas, and they keep our conventions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

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


def _string_schemas(node: object, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "format" in node and "pattern" in node:
            yield pointer, node
        for key, value in node.items():
            yield from _string_schemas(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_schemas(value, f"{pointer}/{index}")


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.stem)
def test_a_pattern_next_to_a_format_spells_the_whole_value(path: Path) -> None:
    # Generators (schemathesis, hypothesis-jsonschema) build such a string from its pattern and keep what fits the
    # format: `^(19|20)[0-9]{2}-` next to `format: date` gave "1999-" plus anything, nearly never a date, and the
    # schemathesis CLI failed its health check ("too many generated examples are filtered out").
    document = yaml.safe_load(path.read_text(encoding="utf-8"))

    partial = [
        f"{pointer}: {schema['pattern']!r}"
        for pointer, schema in _string_schemas(document)
        if not (schema["pattern"].startswith("^") and schema["pattern"].endswith("$"))
    ]

    assert partial == []


def test_every_time_zone_the_platform_contract_admits_is_one_zoneinfo_knows() -> None:
    document = yaml.safe_load((bundled_contracts_dir() / "platform.yaml").read_text(encoding="utf-8"))
    zones = document["components"]["schemas"]["TimeZone"]["enum"]

    unknown = [zone for zone in zones if not _known_zone(zone)]

    assert unknown == [] and len(zones) == len(set(zones)) and "Asia/Shanghai" in zones


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return False
    return True
