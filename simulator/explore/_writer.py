"""A finding as a scenario file: what it found in a comment, the invariants it violated as its ``expect``,
checked by lint before it is kept, replayable with ``lendsim run``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from simulator.errors import LendsimError
from simulator.explore._search import Found
from simulator.scenario import lint_scenario

__all__ = ["scenario_name", "scenario_yaml", "write_finding"]

_ORDER: Final[tuple[str, ...]] = (
    "name",
    "description",
    "seed",
    "start",
    "duration",
    "population",
    "borrowers",
    "bank",
    "bureau",
)
_SHOWN: Final = 3


def scenario_name(found: Found) -> str:
    """``explore-ledgers-reconcile``: what a finding's scenario is called."""
    return "explore-" + found.key.replace("_", "-")


def scenario_yaml(found: Found, *, platform: str, replay: str) -> str:
    """The finding as scenario YAML: a comment saying what it found and how to replay it, then the scenario,
    expecting the invariants the run violated."""
    verdicts = [verdict for verdict in found.verdicts if verdict.violated]
    data: dict[str, Any] = dict(found.candidate.data)
    data["name"] = scenario_name(found)
    data["description"] = (
        f"Found by lendsim explore against {platform}: "
        + "; ".join(f"{verdict.invariant} {verdict.key} violated" for verdict in verdicts)
        + f". {found.candidate.describe()}."
    )
    data["expect"] = {verdict.key: data["expect"][verdict.key] for verdict in verdicts}
    ordered: dict[str, Any] = {key: data[key] for key in _ORDER if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    lines = [f"# Found by `lendsim explore --platform {platform}`, shrunk to {found.candidate.describe()}."]
    for verdict in verdicts:
        lines.append(f"# {verdict.invariant} {verdict.key} violated ({verdict.reason}):")
        for violation in verdict.violations[:_SHOWN]:
            lines.append(f"#   {_one_line(violation.message)}")
        if len(verdict.violations) > _SHOWN:
            lines.append(f"#   … and {len(verdict.violations) - _SHOWN} more")
    lines.append(f"# Replay: {replay}")
    return "\n".join(lines) + "\n" + _dump(ordered)


def write_finding(found: Found, folder: Path, *, stem: str, platform: str) -> Path:
    """Write the finding to ``folder/STEM.yaml`` and check it with lint; a finding lint has anything to say
    about is a bug of explore's (:class:`~simulator.errors.LendsimError`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.yaml"
    replay = f"lendsim run {path} --platform {platform}"
    path.write_text(scenario_yaml(found, platform=platform, replay=replay), encoding="utf-8")
    findings = lint_scenario(path)
    if findings:
        raise LendsimError(
            f"the scenario written to {path} does not pass lendsim lint (a bug of lendsim explore): "
            + "; ".join(str(finding) for finding in findings)
        )
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Dumper(yaml.SafeDumper):
    """Block style for the scenario's sections, flow style for a fault's action and small leaf mappings."""


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(data), Dumper=_Dumper, sort_keys=False, default_flow_style=None, allow_unicode=True, width=120
    )
