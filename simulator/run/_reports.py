"""What a run tells people and machines: a console summary, a JSON report, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.masking import NAME_KEYS, mask_text, mask_value
from simulator.oracles import describe_chain
from simulator.run._runner import RunResult

__all__ = ["console_summary", "json_report", "junit_xml", "replay_command"]

SHOWN_PER_INVARIANT = 5


def replay_command(result: RunResult, platform: str) -> str:
    return (
        f"lendsim run {result.scenario.file} --platform {platform} --seed {result.seed} --borrowers {result.borrowers}"
    )


def _chain(result: RunResult, seqs: Sequence[int]) -> list[str]:
    return describe_chain(result.sim.journal, seqs)


def console_summary(result: RunResult, platform: str) -> str:
    held = sum(1 for verdict in result.verdicts if verdict.held)
    out = [
        f"{result.scenario.name} (seed {result.seed}, {result.borrowers:,} borrowers, "
        f"{result.scenario.duration.days} virtual days, {result.events:,} events, {result.wall_seconds:.1f} s) "
        f"against {platform}: {held}/{len(result.verdicts)} invariants held",
    ]
    for verdict in result.verdicts:
        mark = "held    " if verdict.held else "VIOLATED"
        out.append(
            f"  {mark} {verdict.invariant} {verdict.key}: {verdict.checked:,} checked, "
            f"{len(verdict.violations):,} violations"
        )
    for verdict in result.verdicts:
        for violation in verdict.violations[:SHOWN_PER_INVARIANT]:
            out.append(
                f"\n  {verdict.invariant} {verdict.key} — borrower {mask_text(violation.borrower or '-')}, "
                f"loan {violation.loan or '-'}"
            )
            out.append(f"    {mask_text(violation.message)}")
            out.extend(f"      {mask_text(line)}" for line in _chain(result, violation.chain))
        if len(verdict.violations) > SHOWN_PER_INVARIANT:
            out.append(
                f"  … and {len(verdict.violations) - SHOWN_PER_INVARIANT:,} more {verdict.key} violations "
                "(all in the JSON report)"
            )
    for error in result.errors[:5]:
        out.append(f"  platform error: {mask_text(error)}")
    if not result.passed:
        out.append(f"\n  replay: {replay_command(result, platform)}")
    return "\n".join(out)


def json_report(result: RunResult, platform: str) -> dict[str, Any]:
    return mask_value(
        {
            "scenario": result.scenario.name,
            "file": result.scenario.file,
            "seed": result.seed,
            "borrowers": result.borrowers,
            "platform": platform,
            "passed": result.passed,
            "events": result.events,
            "wallSeconds": round(result.wall_seconds, 3),
            "replay": replay_command(result, platform),
            "platformErrors": result.errors,
            "invariants": [
                {
                    "invariant": verdict.invariant,
                    "key": verdict.key,
                    "held": verdict.held,
                    "checked": verdict.checked,
                    "violations": [
                        {
                            "borrower": violation.borrower,
                            "loan": violation.loan,
                            "message": violation.message,
                            "chain": _chain(result, violation.chain),
                        }
                        for violation in verdict.violations
                    ],
                }
                for verdict in result.verdicts
            ],
        },
        name_keys=NAME_KEYS,
    )


def junit_xml(results: Sequence[RunResult], platform: str, path: Path) -> None:
    """One test case per scenario × invariant; a violated invariant is a failure with its first violations."""
    suites = ET.Element("testsuites", name="lendsim")
    for result in results:
        failures = sum(1 for verdict in result.verdicts if not verdict.held)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=result.scenario.name,
            tests=str(len(result.verdicts)),
            failures=str(failures),
            time=f"{result.wall_seconds:.3f}",
        )
        for verdict in result.verdicts:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"lendsim.{result.scenario.name}",
                name=f"{verdict.invariant} {verdict.key}",
            )
            if not verdict.held:
                failure = ET.SubElement(
                    case, "failure", message=f"{len(verdict.violations)} violations of {verdict.key}"
                )
                failure.text = (
                    "\n".join(
                        mask_text(f"{v.loan or '-'}: {v.message}") for v in verdict.violations[:SHOWN_PER_INVARIANT]
                    )
                    + f"\nreplay: {replay_command(result, platform)}"
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_json(result: RunResult, platform: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{result.scenario.name}-{result.seed}.json"
    target.write_text(json.dumps(json_report(result, platform), ensure_ascii=False, indent=2), encoding="utf-8")
    return target
