"""What a run tells people and machines: a console summary, a JSON report, JUnit XML, a summary across runs.

Each run is one scenario against one platform; every report names both. A run's status is ``passed`` (every
expected invariant exercised and held), ``failed`` (one violated or not exercised) or ``error`` (the platform
failed a call of the harness); ``lendsim run`` exits 0, 1 or 2 by the worst of them (:func:`exit_code`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from simulator._junit import JUnitCase, JUnitSuite, write_junit
from simulator._resources import bundled_scenarios_dir
from simulator.masking import NAME_KEYS, mask_text, mask_value
from simulator.oracles import ORACLES, Outcome, Verdict, chain_entries, describe_chain
from simulator.run._platforms import over_http
from simulator.run._runner import RunResult, Status
from simulator.scenario import Scenario

__all__ = [
    "Interruption",
    "Judged",
    "PlatformRun",
    "Reported",
    "console_summary",
    "exit_code",
    "json_report",
    "junit_xml",
    "matrix",
    "platform_slug",
    "replay_command",
    "report_path",
    "summary",
    "write_json",
]

SHOWN_PER_INVARIANT: Final = 5
_MARK: Final = {Outcome.HELD: "held", Outcome.VIOLATED: "VIOLATED", Outcome.NOT_EXERCISED: "NOT EXERCISED"}
_STATUS: Final = {"passed": "passed", "failed": "FAILED", "error": "ERROR"}


class Judged(Protocol):
    """What the reports across runs read of a run: a :class:`RunResult`, or a run's compact summary from
    another process (``simulator.run._pool.RunSummary``). ``error`` is ``None`` unless the run ended in error."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def seed(self) -> int: ...
    @property
    def borrowers(self) -> int: ...
    @property
    def verdicts(self) -> Sequence[Verdict]: ...
    @property
    def wall_seconds(self) -> float: ...
    @property
    def events(self) -> int: ...
    @property
    def error(self) -> object: ...
    @property
    def status(self) -> Status: ...
    @property
    def exit_code(self) -> int: ...


class Reported(Protocol):
    """A run and the platform it ran against (:class:`PlatformRun`, or one run in another process)."""

    @property
    def platform(self) -> str: ...
    @property
    def result(self) -> Judged: ...


@dataclass(frozen=True, slots=True)
class PlatformRun:
    """A run and the platform it ran against, as the user named it (``naive``, a URL, ``module:factory``)."""

    platform: str
    result: RunResult


@dataclass(frozen=True, slots=True)
class Interruption:
    """A run a signal stopped before it finished (``signal``: ``SIGINT``, ``SIGTERM``): nothing was judged."""

    scenario: Scenario
    platform: str
    signal: str


def _name(key: str) -> str:
    """An invariant as reports name it: ``O2 sms_unique``."""
    oracle = ORACLES.get(key)
    return f"{oracle.invariant} {key}" if oracle is not None else key


def exit_code(runs: Sequence[Reported]) -> int:
    """0 when every run passed, 2 when any ended in error (it wins), else 1 (an invariant violated or not
    exercised)."""
    return max((run.result.exit_code for run in runs), default=0)


# -- names -----------------------------------------------------------------------------------------------


def platform_slug(platform: str) -> str:
    """``platform`` as a part of a file name: ``naive``, ``127-0-0-1-8080`` for ``http://127.0.0.1:8080``,
    ``my-platform-create`` for ``my_platform:create``."""
    name = re.sub(r"^[a-z]+://", "", platform.strip().lower())
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "platform"


def report_path(run: Reported, directory: Path) -> Path:
    """Where the JSON report of ``run`` goes: one file per scenario × platform (× seed)."""
    result = run.result
    return directory / f"{result.scenario.name}-{platform_slug(run.platform)}-{result.seed}.json"


def _scenario_argument(result: Judged) -> str:
    """How to name the scenario on a command line: its catalog name if it is the catalog's file, else its path."""
    file = Path(result.scenario.file)
    catalog = bundled_scenarios_dir() / f"{file.stem}.yaml"
    try:
        if file.suffix in (".yaml", ".yml") and catalog.is_file() and file.resolve() == catalog.resolve():
            return file.stem
    except OSError:
        pass
    return str(file)


def replay_command(result: Judged, platform: str) -> str:
    """The command that replays ``result`` exactly, quoted for a POSIX shell.

    Over HTTP with a fault drawn by probability it asks for one request at a time (``--concurrency 1``): a
    platform that mints its own serials mints them in whatever order its threads win, and a request named only by
    such a serial draws its fault by that name, so at a higher concurrency another repayment may draw it."""
    command = [
        "lendsim",
        "run",
        _scenario_argument(result),
        "--platform",
        platform,
        "--seed",
        str(result.seed),
        "--borrowers",
        str(result.borrowers),
    ]
    if over_http(platform) and _draws_faults(result.scenario):
        command += ["--concurrency", "1"]
    return shlex.join(command)


def _draws_faults(scenario: Scenario) -> bool:
    """Whether a fault of ``scenario`` fires by chance (a probability other than 0 and 1)."""
    return any(0 < fault.get("probability", 1) < 1 for fault in scenario.faults)


# -- the console ---------------------------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset(), indent: str = "  ") -> list[str]:
    """``rows`` (the first one the header) in aligned columns two spaces apart; ``right`` columns right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _counts(verdicts: Sequence[Verdict]) -> str:
    held = sum(1 for verdict in verdicts if verdict.outcome is Outcome.HELD)
    violated = sum(1 for verdict in verdicts if verdict.outcome is Outcome.VIOLATED)
    idle = sum(1 for verdict in verdicts if verdict.outcome is Outcome.NOT_EXERCISED)
    return f"{held}/{len(verdicts)} invariants held, {violated} violated, {idle} not exercised"


def console_summary(
    result: RunResult, platform: str, *, report: Path | None = None, shown: int = SHOWN_PER_INVARIANT
) -> str:
    """What a person reads after a run: the outcome, a table of the invariants, the first violations with
    their chains of events, and the command that replays it. ``report`` is the JSON report, if one was
    written (the rest of the violations are there)."""
    scenario = result.scenario
    status = _STATUS[result.status]
    out = [
        f"{scenario.name} against {platform}: {status} (seed {result.seed}, {result.borrowers:,} borrowers, "
        f"{scenario.duration.days} virtual days, {result.events:,} events, {result.wall_seconds:.1f} s)"
    ]
    if result.error is not None:
        out.append(f"  error: {mask_text(str(result.error))}")
        out.append(
            "  no invariant was judged: the run stopped at the first call of the harness the platform failed "
            f"(expected: {', '.join(_name(key) for key in scenario.expect) or 'none'})"
        )
    elif not result.verdicts:
        out.append("  the scenario expects no invariant, so nothing was judged: add expect: (docs/scenarios.md)")
    else:
        out[0] += f": {_counts(result.verdicts)}"
        rows = [["outcome", "invariant", "judged", "violations", "what"]]
        for verdict in result.verdicts:
            rows.append(
                [
                    _MARK[verdict.outcome],
                    f"{verdict.invariant} {verdict.key}",
                    f"{verdict.checked:,}",
                    f"{len(verdict.violations):,}",
                    verdict.judges if verdict.exercised else f"no {verdict.judges} in the run",
                ]
            )
        out.extend(_table(rows, right=frozenset({2, 3})))
    for verdict in result.verdicts:
        for violation in verdict.violations[:shown]:
            out.append(
                f"\n  {verdict.invariant} {verdict.key} — borrower {mask_text(violation.borrower or '-')}, "
                f"loan {violation.loan or '-'}"
            )
            out.append(f"    {mask_text(violation.message)}")
            out.extend(f"      {mask_text(line)}" for line in describe_chain(result.sim.journal, violation.chain))
        if len(verdict.violations) > shown:
            more = f"  … and {len(verdict.violations) - shown:,} more {verdict.key} violations"
            out.append(f"{more} (all in {report})" if report is not None else more)
    if not result.passed:
        out.append(f"\n  replay: {replay_command(result, platform)}")
    return "\n".join(out)


def _cell(result: Judged, key: str) -> str:
    if result.error is not None:
        return "ERROR"
    verdict = next((v for v in result.verdicts if v.key == key), None)
    if verdict is None:
        return "-"
    if verdict.outcome is Outcome.VIOLATED:
        return f"VIOLATED ×{len(verdict.violations):,}"
    return _MARK[verdict.outcome]


def matrix(runs: Sequence[Reported]) -> str:
    """One scenario against several platforms, side by side: an invariant a row, a platform a column."""
    keys = list(dict.fromkeys(key for run in runs for key in run.result.scenario.expect))
    rows = [["invariant", *(run.platform for run in runs)]]
    rows.extend([_name(key), *(_cell(run.result, key) for run in runs)] for key in keys)
    rows.append(["result", *(_STATUS[run.result.status] for run in runs)])
    return "\n".join(_table(rows))


def summary(runs: Sequence[Reported]) -> str:
    """The end of a run of several scenarios (or platforms): one row per scenario × platform, and the totals."""
    scenarios = len({run.result.scenario.name for run in runs})
    platforms = len({run.platform for run in runs})
    seeds = len({run.result.seed for run in runs})
    by_seed = len({(run.result.scenario.name, run.platform) for run in runs}) < len(runs)  # --seeds: a column
    statuses = [run.result.status for run in runs]
    rows = [["scenario", "platform", *(["seed"] if by_seed else []), "result", "held", "violated", "not exercised",
             "seconds"]]  # fmt: skip
    for run in runs:
        result = run.result
        verdicts = result.verdicts
        counts = (
            ["-", "-", "-"]
            if result.error is not None
            else [
                str(sum(1 for v in verdicts if v.outcome is outcome))
                for outcome in (Outcome.HELD, Outcome.VIOLATED, Outcome.NOT_EXERCISED)
            ]
        )
        seed = [str(result.seed)] if by_seed else []
        rows.append(
            [result.scenario.name, run.platform, *seed, _STATUS[result.status], *counts, f"{result.wall_seconds:.1f}"]
        )
    of_seeds = f" × {seeds} seeds" if by_seed and seeds > 1 else ""
    head = (
        f"summary: {scenarios} scenario{'s' if scenarios != 1 else ''}{of_seeds} × {platforms} "
        f"platform{'s' if platforms != 1 else ''}: {statuses.count('passed')} passed, "
        f"{statuses.count('failed')} failed, {statuses.count('error')} in error"
    )
    shift = 1 if by_seed else 0
    return "\n".join([head, *_table(rows, right=frozenset(column + shift for column in (3, 4, 5, 6)))])


# -- files -----------------------------------------------------------------------------------------------------


def json_report(result: RunResult, platform: str) -> dict[str, Any]:
    """The whole run for machines: status, each invariant's outcome and every violation with its chain."""
    error = result.error
    return mask_value(
        {
            "scenario": result.scenario.name,
            "file": result.scenario.file,
            "seed": result.seed,
            "borrowers": result.borrowers,
            "platform": platform,
            "status": result.status,
            "passed": result.passed,
            "events": result.events,
            "wallSeconds": round(result.wall_seconds, 3),
            "replay": replay_command(result, platform),
            "error": None if error is None else {"operation": error.operation, "message": mask_text(str(error))},
            "expected": list(result.scenario.expect),
            "invariants": [
                {
                    "invariant": verdict.invariant,
                    "key": verdict.key,
                    "outcome": verdict.outcome.value,
                    "held": verdict.held,
                    "checked": verdict.checked,
                    "judges": verdict.judges,
                    "reason": verdict.reason,
                    "violations": [
                        {
                            "borrower": violation.borrower,
                            "loan": violation.loan,
                            "message": violation.message,
                            "chain": chain_entries(result.sim.journal, violation.chain),
                        }
                        for violation in verdict.violations
                    ],
                }
                for verdict in result.verdicts
            ],
        },
        name_keys=NAME_KEYS,
    )


def write_json(run: PlatformRun, directory: Path) -> Path:
    """Write the JSON report of ``run`` under ``directory`` (:func:`report_path`); returns the file."""
    target = report_path(run, directory)
    directory.mkdir(parents=True, exist_ok=True)
    report = json_report(run.result, run.platform)
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def junit_xml(runs: Sequence[Reported], path: Path, *, interrupted: Interruption | None = None) -> None:
    """A suite per scenario × platform (``scenario [platform]``), a test case per expected invariant: a violated
    one is a ``<failure>`` with its first violations; one not exercised, or any of a run that ended in error or
    was ``interrupted``, is an ``<error>`` — it fails the job, and a ``<skipped>`` would show green."""
    suites = [
        JUnitSuite(
            f"{run.result.scenario.name} [{run.platform}]",
            _junit_cases(run),
            run.result.wall_seconds,
        )
        for run in runs
    ]
    if interrupted is not None:
        scenario, platform = interrupted.scenario, interrupted.platform
        classname = f"lendsim.{scenario.name}.{platform_slug(platform)}"
        message = f"not judged: interrupted by {interrupted.signal} before the run finished"
        cases = [JUnitCase(classname, _name(key), error=message) for key in scenario.expect] or [
            JUnitCase(classname, "(run)", error=message)
        ]
        suites.append(JUnitSuite(f"{scenario.name} [{platform}]", cases))
    write_junit(suites, path)


def _junit_cases(run: Reported) -> list[JUnitCase]:
    result, platform = run.result, run.platform
    classname = f"lendsim.{result.scenario.name}.{platform_slug(platform)}"
    replay = f"replay: {replay_command(result, platform)}"
    if result.error is not None:
        message = mask_text(str(result.error))
        names = [_name(key) for key in result.scenario.expect] or ["(run)"]
        return [
            JUnitCase(classname, name, error=f"not judged: {message}", details=f"{message}\n{replay}") for name in names
        ]
    if not result.verdicts:
        return [
            JUnitCase(
                classname,
                "(run)",
                error="the scenario expects no invariant: nothing was judged",
                details=f"add expect: to {result.scenario.file} (docs/scenarios.md)",
            )
        ]
    cases = []
    for verdict in result.verdicts:
        case = JUnitCase(classname, f"{verdict.invariant} {verdict.key}")
        if verdict.outcome is Outcome.VIOLATED:
            shown = verdict.violations[:SHOWN_PER_INVARIANT]
            details = "\n".join(mask_text(f"{v.loan or '-'}: {v.message}") for v in shown)
            case = JUnitCase(
                case.classname,
                case.name,
                failure=f"{len(verdict.violations)} violations of {verdict.key}",
                details=f"{details}\n{replay}",
            )
        elif verdict.outcome is Outcome.NOT_EXERCISED:
            case = JUnitCase(
                case.classname,
                case.name,
                error=f"not exercised: {verdict.reason}",
                details=f"{verdict.invariant} {verdict.key} {verdict.reason}: the run gave it nothing to judge, so it "
                f"proves nothing; make the scenario exercise it (docs/scenarios.md)\n{replay}",
            )
        cases.append(case)
    return cases
