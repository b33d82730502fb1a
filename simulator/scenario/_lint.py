"""Check a scenario in one pass — repeated keys, the schema, meaning, the rules that warn — and build it.

The schema's errors do not stop the checks of meaning: those run on the parts the schema accepted, so a file's
problems come out together, in line order. ``lint_scenario`` lists them; ``load_scenario`` and
``build_scenario`` raise :class:`ScenarioError` when there is an error and otherwise give the
:class:`Scenario`, its warnings attached (a run goes ahead with them, and says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator._yaml import Finding, YamlDocument
from simulator.scenario._findings import Findings, ScenarioError
from simulator.scenario._loader import read_source, report_duplicates
from simulator.scenario._model import Scenario, check_meaning
from simulator.scenario._rules import check_rules
from simulator.scenario._schema import check_schema, jsonable

__all__ = ["build_scenario", "lint_scenario", "load_scenario"]


def _check(data: Mapping[str, Any], out: Findings) -> Scenario | None:
    """Every check of ``data``, reported to ``out``; the Scenario when there is no error."""
    given = jsonable(data)
    usable = check_schema(given, out)
    draft = check_meaning(usable, out)
    check_rules(draft, out)
    if out.has_errors:
        return None
    assert draft.start is not None and draft.duration is not None
    return Scenario(
        name=given["name"],
        file=out.file,
        description=given.get("description", ""),
        covers=tuple(given.get("covers", ())),
        seed=int(given.get("seed", 0)),
        calendar=draft.calendar,
        start=draft.start,
        duration=draft.duration,
        population=draft.population,
        borrowers=draft.borrowers,
        bank=dict(given.get("bank", {})),
        bureau=dict(given.get("bureau", {})),
        sms=dict(given.get("sms", {})),
        signing=dict(given["signing"]) if "signing" in given else None,
        faults=tuple(fault for _, fault in draft.faults),
        expect=draft.expect,
        raw=given,
        warnings=tuple(finding for finding in out.sorted() if finding.severity == "warning"),
    )


def build_scenario(
    data: Mapping[str, Any], *, file: str = "<scenario>", source: YamlDocument | None = None
) -> Scenario:
    """A checked Scenario from data as a scenario file holds it; ScenarioError listing every problem otherwise.

    ``source`` (the document the data came from) positions the findings."""
    out = Findings(file, source)
    scenario = _check(data, out)
    if scenario is None:
        raise ScenarioError(out.found)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; ScenarioError listing every problem with its position."""
    source = read_source(path)
    out = Findings(str(path), source)
    report_duplicates(source, out)
    scenario = _check(source.data, out)
    if scenario is None:
        raise ScenarioError(out.found)
    return scenario


def lint_scenario(path: str | Path) -> list[Finding]:
    """Every problem in the scenario at ``path``, errors and warnings, in line order (empty when it is clean)."""
    try:
        source = read_source(path)
    except ScenarioError as exc:
        return exc.findings
    out = Findings(str(path), source)
    report_duplicates(source, out)
    _check(source.data, out)
    return out.sorted()
