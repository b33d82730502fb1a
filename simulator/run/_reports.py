"""What a run tells people and machines: a console summary, a JSON report, JUnit XML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from simulator._junit import JUnitCase, JUnitSuite, write_junit
from simulator.masking import NAME_KEYS, mask_text, mask_value
from simulator.oracles import Verdict, describe_chain
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
    suites = [
        JUnitSuite(
            result.scenario.name,
            [_junit_case(result, verdict, platform) for verdict in result.verdicts],
            result.wall_seconds,
        )
        for result in results
    ]
    write_junit(suites, path)


def _junit_case(result: RunResult, verdict: Verdict, platform: str) -> JUnitCase:
    case = JUnitCase(classname=f"lendsim.{result.scenario.name}", name=f"{verdict.invariant} {verdict.key}")
    if verdict.held:
        return case
    shown = verdict.violations[:SHOWN_PER_INVARIANT]
    details = "\n".join(mask_text(f"{v.loan or '-'}: {v.message}") for v in shown)
    return replace(
        case,
        failure=f"{len(verdict.violations)} violations of {verdict.key}",
        details=f"{details}\nreplay: {replay_command(result, platform)}",
    )


def write_json(result: RunResult, platform: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{result.scenario.name}-{result.seed}.json"
    target.write_text(json.dumps(json_report(result, platform), ensure_ascii=False, indent=2), encoding="utf-8")
    return target
