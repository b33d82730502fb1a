"""The ``detection`` section: ``lendsim explore`` against each mutant of the resilient platform, and against the
resilient platform itself (no false alarm), with no catalog scenario to start from.

Each search runs in a process of its own, two at a time (the two cores the issue's figures are for), on a fresh
database (nothing replayed from an earlier search). Every finding of a search is written as ``lendsim explore``
writes it (lint checks it on the way) and replayed from that file, with its own seed, against the platform it was
found on and against the resilient platform. A mutant counts as **found** only by a finding that fails the mutant
and passes the resilient platform: a scenario the correct platform fails too says nothing about the mutant (a
**false alarm**: a scenario no platform passes, or a defect of the reference platform). Per mutant: found, the
time and run of that finding and the size of its minimal scenario; or a false alarm; or not found. The resilient
platform is searched over the same budget on three seeds: every finding there is a false alarm, or a defect of
the reference platform.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench._report import Row

WORKERS = 2
RESILIENT = "resilient"
RESILIENT_SEEDS = (1, 2, 3)
MUTANT_SEED = 1
MAX_FAULTS = 3
MAX_BORROWERS = 20

#: What a search says of a mutant.
FOUND: Final = "found"
FALSE_ALARM: Final = "false alarm"
NOT_FOUND: Final = "not found"


@dataclass(frozen=True)
class Settings:
    """Each search's budget: ``seconds`` of wall time, or ``runs`` scenarios (a test's tiny search); ``only`` the
    searches to make, as (target, seed) — a safeguard's name for its mutant, ``resilient`` — instead of all."""

    seconds: float | None = 300.0
    runs: int | None = None
    only: tuple[tuple[str, int], ...] | None = None

    @classmethod
    def quick(cls) -> Settings:
        return cls(seconds=60.0)

    def jobs(self) -> list[tuple[str, int]]:
        from lendsim_examples.resilient import SAFEGUARDS

        if self.only is not None:
            return list(self.only)
        return [(safeguard, MUTANT_SEED) for safeguard in SAFEGUARDS] + [(RESILIENT, s) for s in RESILIENT_SEEDS]

    def describe(self) -> str:
        return f"{self.runs} runs" if self.runs is not None else f"{self.seconds:.0f} s"


@dataclass(frozen=True)
class Replayed:
    """One finding of a search, its minimal scenario written as ``lendsim explore`` writes it and replayed from the
    file with its own seed (picklable: it comes back from a worker)."""

    found: str  # "O4 ledgers_reconcile": the invariant it was shrunk for
    at_run: int
    after_seconds: float
    faults: int
    borrowers: int
    days: int
    fails_target: bool  # the replay fails on the platform it was found on
    fails_resilient: bool  # ... and on the resilient platform (the same as fails_target when that is the target)

    @property
    def evidence(self) -> bool:
        """Whether it tells the mutant from the resilient platform: fails the one, passes the other."""
        return self.fails_target and not self.fails_resilient


@dataclass(frozen=True)
class Outcome:
    """What one search did (picklable: it comes back from a worker)."""

    target: str
    seed: int
    runs: int
    seconds: float
    findings: tuple[Replayed, ...]  # in the order found
    error: str | None

    @property
    def evidence(self) -> Replayed | None:
        """The first finding that fails the mutant and passes the resilient platform."""
        return next((finding for finding in self.findings if finding.evidence), None)

    @property
    def verdict(self) -> str:
        """``found`` (by a finding the resilient platform passes), ``false alarm`` (found, but the resilient
        platform fails every finding too, or they do not replay), or ``not found``."""
        if self.evidence is not None:
            return FOUND
        return FALSE_ALARM if self.findings else NOT_FOUND


def replay(path: Path, target: str) -> tuple[bool, bool]:
    """Run the scenario file ``path`` (its own seed) against ``target`` and against the resilient platform: whether
    each fails it (an invariant violated or not exercised, or the platform failing the harness)."""
    from lendsim_examples import resilient
    from simulator.run import InProcessDriver, run_scenario
    from simulator.scenario import load_scenario

    scenario = load_scenario(str(path))

    def fails(disabled: set[str]) -> bool:
        return not run_scenario(scenario, InProcessDriver(resilient.create(disable=disabled))).passed

    on_resilient = fails(set())
    return (on_resilient if target == RESILIENT else fails({target})), on_resilient


def search(target: str, seed: int, settings: Settings) -> Outcome:
    """One search against ``target`` (a safeguard's name: the resilient platform without it; or ``resilient``),
    each finding written and replayed (:func:`replay`)."""
    from lendsim_examples import resilient
    from simulator.explore import Budget, explore, write_finding
    from simulator.run import InProcessDriver

    disabled = set() if target == RESILIENT else {target}
    budget = Budget(seconds=settings.seconds) if settings.runs is None else Budget(runs=settings.runs)
    done = explore(lambda: InProcessDriver(resilient.create(disable=disabled)), budget, seed=seed, database=None)
    findings = []
    with tempfile.TemporaryDirectory() as folder:  # written as explore writes it: lint checks it there
        for found in done.findings:
            path = write_finding(found, Path(folder), stem=found.key, platform=target)
            fails_target, fails_resilient = replay(path, target)
            findings.append(
                Replayed(
                    f"{found.verdict.invariant} {found.key}",
                    found.at_run,
                    found.after_seconds,
                    found.candidate.faults,
                    found.candidate.borrowers,
                    found.candidate.days,
                    fails_target,
                    fails_resilient,
                )
            )
    return Outcome(target, seed, done.runs, done.seconds, tuple(findings), str(done.error) if done.error else None)


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    jobs = settings.jobs()
    with ProcessPoolExecutor(max_workers=min(WORKERS, len(jobs))) as pool:
        futures = [pool.submit(search, target, seed, settings) for target, seed in jobs]
        outcomes = [future.result() for future in futures]
    rows = [row(outcome) for outcome in outcomes]
    mutants = [outcome for outcome in outcomes if outcome.target != RESILIENT]
    tally = ", ".join(
        f"{sum(1 for outcome in mutants if outcome.verdict == verdict)} {verdict}"
        for verdict in (FOUND, FALSE_ALARM, NOT_FOUND)
    )
    seeds = sorted({seed for target, seed in jobs if target == RESILIENT})
    details = [
        f"Each search: `lendsim explore`'s own loop with a budget of {settings.describe()} (and as much again to "
        f"shrink what it found), seed {MUTANT_SEED} for the mutants and {', '.join(map(str, seeds)) or 'none'} "
        f"for the resilient platform, no database, {WORKERS} searches at a time in processes of their own. A mutant "
        "is the resilient platform with one safeguard off (`lendsim_examples.resilient.create(disable={…})`). "
        "Every finding is written and linted as `lendsim explore` writes it, then replayed from the file (its own "
        "seed) against the mutant and against the resilient platform: a mutant is **found** only by a finding that "
        "fails it and passes the resilient platform; a **false alarm** when the resilient platform fails every "
        "finding too. The figure names that finding (faults, borrowers and days of its minimal scenario) and, "
        "after it, every other finding, each marked ✗ when the resilient platform fails it as well. "
        f"Mutants: {tally}. A finding against the resilient platform is a false alarm or a defect of the reference "
        "platform: see docs/scenarios.md (Exploring)."
    ]
    if settings.only is not None:
        details.append("Only some of the searches: " + ", ".join(f"{t} seed {s}" for t, s in settings.only) + ".")
    return rows, details


def row(outcome: Outcome) -> Row:
    runs = f"{outcome.runs} runs"
    if outcome.target == RESILIENT:
        figure = f"{_listed(outcome.findings, against_resilient=False) or '0 findings'} ({runs})"
        return Row(
            "detection",
            f"explore resilient, seed {outcome.seed}",
            f"error: {outcome.error}" if outcome.error else figure,
            target="0 findings",
            met=not outcome.findings and outcome.error is None,
        )
    measurement = f"explore −{outcome.target}"
    evidence = outcome.evidence
    if outcome.error or evidence is None:
        figure = f"error: {outcome.error}" if outcome.error else f"{outcome.verdict} ({runs})"
        if outcome.findings:
            figure += f": {_listed(outcome.findings)}"
        return Row("detection", measurement, figure, target=_TARGET, met=False)
    figure = (
        f"{FOUND}: {evidence.found} at {evidence.after_seconds:.0f} s (run {evidence.at_run}); minimal: "
        f"{_count(evidence.faults, 'fault')}, {_count(evidence.borrowers, 'borrower')}, {evidence.days} days"
    )
    others = [finding for finding in outcome.findings if finding is not evidence]
    if others:
        figure += f"; also {_listed(others)}"
    met = evidence.faults <= MAX_FAULTS and evidence.borrowers <= MAX_BORROWERS
    return Row("detection", measurement, figure, target=_TARGET, met=met)


def _listed(findings: Sequence[Replayed], *, against_resilient: bool = True) -> str:
    """Findings by invariant: "(not replayed)" on one its own platform passed on replay, "✗" on one the resilient
    platform fails too (``against_resilient``: a mutant's search)."""

    def mark(finding: Replayed) -> str:
        if not finding.fails_target:
            return " (not replayed)"
        return " ✗" if against_resilient and finding.fails_resilient else ""

    return ", ".join(finding.found + mark(finding) for finding in findings)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


_TARGET = f"{FOUND}; ≤ {MAX_FAULTS} faults, ≤ {MAX_BORROWERS} borrowers"
