"""The scenario JSON Schema as an editor uses it: the file the catalog points at, read with plain YAML and a
plain validator (none of lendsim's own reading), accepts the catalog and refuses what is within its reach."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from simulator.clock import parse_span
from simulator.oracles import ORACLES

ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "scenarios").glob("*.yaml"))
BAD = Path(__file__).parent / "bad"
SCHEMA_FILE = ROOT / "simulator" / "scenario" / "schema.json"

#: Bad fixtures whose problem an editor shows from the schema alone; the others' problems are of meaning (or of
#: YAML, below), for lint to find.
WITHIN_THE_SCHEMA = {
    "bad-enum.yaml",
    "bad-status.yaml",
    "day-counts-and-rounding.yaml",
    "empty-expect.yaml",
    "many-problems.yaml",
    "missing-expect.yaml",
    "missing-key.yaml",
    "seed-too-large.yaml",
    "two-actions.yaml",
    "unknown-key.yaml",
    "wrong-type.yaml",
}
#: Fixtures plain YAML cannot read as a mapping (syntax, tags, loops, bombs, a huge integer, an empty file, a list).
NOT_A_MAPPING = {
    "alias-bomb.yaml",
    "alias-loop.yaml",
    "alias-loop-mapping.yaml",
    "empty.yaml",
    "impossible-date.yaml",
    "not-a-mapping.yaml",
    "python-tag.yaml",
    "seed-too-long-to-read.yaml",
    "yaml-syntax.yaml",
}


def editor_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def as_json(node: Any) -> Any:
    """What an editor's YAML plugin hands the validator: dates as text."""
    if isinstance(node, dict):
        return {str(key): as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [as_json(value) for value in node]
    if isinstance(node, datetime):
        return node.isoformat(sep=" ")
    if isinstance(node, date):
        return node.isoformat()
    return node


def test_the_schema_file_is_valid_json_schema() -> None:
    meta = jsonschema_rs.validator_for({"$ref": "https://json-schema.org/draft/2020-12/schema"})

    assert meta.is_valid(editor_schema())


@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_schema_file_the_catalog_points_at_accepts_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pointer = text.splitlines()[0].removeprefix("# yaml-language-server: $schema=")

    validator = jsonschema_rs.validator_for(editor_schema())

    assert (path.parent / pointer).resolve() == SCHEMA_FILE
    assert [e.message for e in validator.iter_errors(as_json(yaml.safe_load(text)))] == []


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.yaml") if p.name not in NOT_A_MAPPING))
def test_the_schema_file_refuses_exactly_the_bad_fixtures_within_its_reach(name: str) -> None:
    validator = jsonschema_rs.validator_for(editor_schema())

    valid = validator.is_valid(as_json(yaml.safe_load((BAD / name).read_text(encoding="utf-8"))))

    assert valid is (name not in WITHIN_THE_SCHEMA)


@pytest.mark.parametrize("key", ["no_false_delinquency", "bureau_converges", "dispute_sla"])
def test_the_schema_gives_each_window_the_default_its_oracle_judges_with(key: str) -> None:
    (parameter,) = ORACLES[key].params
    spec = editor_schema()["properties"]["expect"]["properties"][key]["properties"][parameter]

    assert parse_span(spec["default"]) == ORACLES[key].params[parameter]
