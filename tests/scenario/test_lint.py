"""Scenario lint: one malformed file per kind of error, each reported with file, line, column, key and fix."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest

from simulator.scenario import FAILURE_MODES, ScenarioError, lint_scenario, load_scenario, schema

BAD = Path(__file__).parent / "bad"
ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "scenarios").glob("*.yaml"))

# file → (line:column of the first finding, key path, words the message must contain)
EXPECTED = {
    "yaml-syntax.yaml": ("4:1", "", "invalid YAML"),
    "empty.yaml": ("1:1", "", "the file is empty"),
    "not-a-mapping.yaml": ("1:1", "", "this file holds a list"),
    "wrong-type.yaml": ("4:1", "seed", 'is not of type "integer"'),
    "unknown-key.yaml": ("6:5", "faults[0].timout_after_commit", "did you mean 'timeout_after_commit'?"),
    "negative-duration.yaml": ("3:1", "duration", "is not positive"),
    "alias-bomb.yaml": ("6:4", "", "expands to more than 200,000 values"),
    "python-tag.yaml": ("1:7", "", "tags that run code are not allowed"),
    "missing-key.yaml": ("1:1", "", "missing required key 'duration'"),
    "bad-enum.yaml": ("4:10", "covers[0]", "did you mean 'outage-across-cutoff'?"),
    "two-actions.yaml": ("5:5", "faults[0]", "give exactly one action"),
    "unknown-point.yaml": ("5:5", "faults[0].at", "did you mean 'bank.repayApply'"),
    "action-at-wrong-point.yaml": ("6:5", "faults[0].reorder", "'reorder' applies at bank.bankNotice"),
    "backwards-range.yaml": ("4:13", "borrowers.late_days", "write 1..20"),
    "share-over-100.yaml": ("4:13", "borrowers.on_time", "not a share between 0% and 100%"),
    "uncovered-year.yaml": ("2:1", "start", "calendar.extra_holidays"),
    "window-backwards.yaml": ("8:5", "faults[0].until", "swap them"),
    "bad-status.yaml": ("6:14", "faults[0].outage.status", "less than the minimum of 400"),
    "impossible-date.yaml": ("2:8", "", "'2019-02-30' is not a real date"),
    "grace-in-business-days.yaml": ("4:8", "bank.grace", "grace is counted in calendar days"),
}


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_malformed_scenario_is_reported_with_its_position_and_fix(name: str) -> None:
    where, key, words = EXPECTED[name]

    findings = lint_scenario(BAD / name)

    assert findings, "no finding"
    first = findings[0]
    assert f"{first.line}:{first.column}" == where
    assert first.path == key
    assert words in first.message
    assert str(first).startswith(f"{BAD / name}:{where}: ")


def test_a_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    scenario = tmp_path / "tag.yaml"
    scenario.write_text(f'name: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")

    lint_scenario(scenario)

    assert not marker.exists()


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("description: " + "x" * (1024 * 1024 + 1) + "\n", encoding="utf-8")

    findings = lint_scenario(big)

    assert "a scenario is at most" in findings[0].message


@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.stem)
def test_the_catalog_lints_clean(path: Path) -> None:
    assert [str(f) for f in lint_scenario(path)] == []


def test_the_incident_scenario_loads_with_its_instants_in_shanghai_time() -> None:
    scenario = load_scenario(str(ROOT / "scenarios" / "xiaomi-minsheng-2019.yaml"))

    shanghai = ZoneInfo("Asia/Shanghai")
    assert scenario.start == datetime(2019, 4, 20, tzinfo=shanghai)
    assert scenario.duration == timedelta(days=70)
    assert scenario.faults[0]["from"] == datetime(2019, 5, 10, 20, tzinfo=shanghai)
    assert scenario.expect["no_false_delinquency"]["window"].business is True
    assert set(scenario.covers) <= set(FAILURE_MODES)


def test_load_scenario_raises_with_every_finding() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(BAD / "unknown-key.yaml"))

    assert len(caught.value.findings) == 2


def test_the_schema_ships_in_the_package_and_is_valid_json_schema() -> None:
    meta = jsonschema_rs.validator_for({"$ref": "https://json-schema.org/draft/2020-12/schema"})

    assert meta.is_valid(schema())
    assert json.loads((ROOT / "simulator" / "scenario" / "schema.json").read_text(encoding="utf-8")) == schema()
