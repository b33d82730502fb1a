"""The ``detection`` section: ``lendsim explore`` against each mutant of the resilient platform, and against the
resilient platform itself (no false alarm), with no catalog scenario to start from.

Each search runs in a process of its own, two at a time (the two cores the issue's figures are for), on a fresh
database (nothing replayed from an earlier search). Per mutant: found or not, the time and run of the first
finding, and the size of the minimal scenario written for it (checked by lint on the way). The resilient
platform is searched over the same budget on three seeds: every finding there is a false alarm, or a defect
of the reference platform.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench._report import Row

WORKERS = 2
RESILIENT_SEEDS = (1, 2, 3)
MUTANT_SEED = 1
MAX_FAULTS = 3
MAX_BORROWERS = 20


@dataclass(frozen=True)
class Settings:
    seconds: float = 300.0

    @classmethod
    def quick(cls) -> Settings:
        return cls(seconds=60.0)


@dataclass(frozen=True)
class Outcome:
    """What one search did (picklable: it comes back from a worker)."""

    target: str
    seed: int
    runs: int
    seconds: float
    first_seconds: float | None
    first_run: int | None
    found: tuple[str, ...]  # "O4 ledgers_reconcile", in the order found
    faults: int | None  # of the first finding's minimal scenario
    borrowers: int | None
    days: int | None
    error: str | None


def _search(target: str, seed: int, seconds: float) -> Outcome:
    from lendsim_examples import resilient
    from simulator.explore import Budget, explore, write_finding
    from simulator.run import InProcessDriver

    disabled = set() if target == "resilient" else {target}
    search = explore(
        lambda: InProcessDriver(resilient.create(disable=disabled)), Budget(seconds=seconds), seed=seed, database=None
    )
    findings = search.findings
    first = findings[0] if findings else None
    if first is not None:
        with tempfile.TemporaryDirectory() as folder:  # written as explore writes it: lint checks it there
            write_finding(first, Path(folder), stem="finding", platform=target)
    return Outcome(
        target,
        seed,
        search.runs,
        search.seconds,
        search.first_found_seconds,
        first.at_run if first else None,
        tuple(f"{found.verdict.invariant} {found.key}" for found in findings),
        first.candidate.faults if first else None,
        first.candidate.borrowers if first else None,
        first.candidate.days if first else None,
        str(search.error) if search.error else None,
    )


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    from lendsim_examples.resilient import SAFEGUARDS

    jobs = [(safeguard, MUTANT_SEED) for safeguard in SAFEGUARDS]
    jobs += [("resilient", seed) for seed in RESILIENT_SEEDS]
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(_search, target, seed, settings.seconds) for target, seed in jobs]
        outcomes = [future.result() for future in futures]
    rows = [_row(outcome, settings) for outcome in outcomes]
    budget = f"{settings.seconds:.0f} s"
    details = [
        f"Each search: `lendsim explore`'s own loop with a budget of {budget} (and as much again to shrink what it "
        f"found), seed {MUTANT_SEED} for the mutants and {', '.join(map(str, RESILIENT_SEEDS))} for the resilient "
        f"platform, no database, {WORKERS} searches at a time in processes of their own. A mutant is the resilient "
        "platform with one safeguard off (`lendsim_examples.resilient.create(disable={…})`). The figure names every "
        "invariant violated along the way; faults, borrowers and days are those of the first finding's minimal "
        "scenario, written and linted as `lendsim explore` writes it. A finding against the resilient platform is "
        "a false alarm or a defect of the reference platform: see docs/scenarios.md (Exploring)."
    ]
    return rows, details


def _row(outcome: Outcome, settings: Settings) -> Row:
    runs = f"{outcome.runs} runs"
    if outcome.target == "resilient":
        found = ", ".join(outcome.found) or "0 findings"
        return Row(
            "detection",
            f"explore resilient, seed {outcome.seed}",
            f"{found} ({runs})" if not outcome.error else f"error: {outcome.error}",
            target="0 findings",
            met=not outcome.found and outcome.error is None,
        )
    measurement = f"explore −{outcome.target}"
    if not outcome.found:
        figure = f"not found ({runs})" if not outcome.error else f"error: {outcome.error}"
        return Row("detection", measurement, figure, target=_TARGET, met=False)
    first = outcome.found[0]
    figure = (
        f"{first} at {outcome.first_seconds or 0:.0f} s (run {outcome.first_run}); minimal: "
        f"{_count(outcome.faults or 0, 'fault')}, {_count(outcome.borrowers or 0, 'borrower')}, {outcome.days} days"
    )
    if len(outcome.found) > 1:
        figure += f"; also {', '.join(outcome.found[1:])}"
    met = (outcome.faults or 0) <= MAX_FAULTS and (outcome.borrowers or 0) <= MAX_BORROWERS
    return Row("detection", measurement, figure, target=_TARGET, met=met)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


_TARGET = f"found; ≤ {MAX_FAULTS} faults, ≤ {MAX_BORROWERS} borrowers"
