"""The search: hypothesis draws scenarios, each is run against the platform, a violation is shrunk.

:func:`explore` runs candidates (:mod:`simulator.explore._strategies`) until the budget is spent or an
invariant is violated; hypothesis then shrinks the violating scenario — fewer faults, shorter windows, fewer
borrowers, a shorter run — for at most the same budget again. Whatever violated an invariant along the way is
kept, the smallest per invariant, so a stop at any moment loses nothing found.

Hypothesis' example database (a folder, ``.lendsim/explore/PLATFORM/`` from the command) remembers what failed:
the next search against the same platform replays it first.
"""

from __future__ import annotations

import re
import time
import unittest
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Literal

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as seed_of_search
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import HypothesisException

from simulator.clock import parse_duration
from simulator.errors import ConfigError, PlatformError
from simulator.explore._strategies import PROBE, Candidate, Echo, candidates, incident_moments, repair
from simulator.oracles import Verdict
from simulator.run import PlatformDriver, RunResult, run_scenario

__all__ = ["Budget", "Found", "Progress", "Search", "echoes", "explore", "touched_points"]

Phase_ = Literal["search", "shrink"]
#: As many examples as a time budget could want: it is the clock that stops the search.
_UNBOUNDED: Final = 10**9
#: Who sent a request (the platform sends none, or ``platform``; partners their name; the runner ``harness``).
_SOURCE_HEADER: Final = "x-lendsim-source"
_RUNS: Final = re.compile(r"^(\d+)\s*runs?$")
#: How long after a moment of the probe's incident its meetings with the partners count as set off by it
#: (:func:`echoes`); later ones are the days' routine.
_ECHO_HOURS: Final = 48


@dataclass(frozen=True, slots=True)
class Budget:
    """How long a search may go on: ``seconds`` of wall time, or ``runs`` scenarios run. Shrinking a finding
    gets as much again."""

    seconds: float | None = None
    runs: int | None = None

    def __post_init__(self) -> None:
        if (self.seconds is None) == (self.runs is None):
            raise ConfigError("a budget is either seconds or runs, not both or neither")
        if self.seconds is not None and not self.seconds > 0:
            raise ConfigError(f"a time budget must be positive, got {self.seconds!r} seconds")
        if self.runs is not None and self.runs < 1:
            raise ConfigError(f"a budget of runs must be at least 1, got {self.runs!r}")

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``10m``, ``90s``, ``1h30m``, ``5 minutes`` (wall time) or ``200 runs``, ``200runs`` (scenarios run);
        :class:`~simulator.errors.ConfigError` naming the text and the forms otherwise."""
        stripped = text.strip()
        runs = _RUNS.match(stripped)
        try:
            if runs is not None:
                return cls(runs=int(runs.group(1)))
            if stripped and not stripped.isdigit():
                return cls(seconds=parse_duration(stripped).total_seconds())
        except ConfigError:
            pass
        shown = stripped if len(stripped) <= 30 else f"{stripped[:27]}…"
        raise ConfigError(
            f"{shown!r} is not a budget: give a time such as 10m, 90s or 1h, or a number of runs such as '200 runs'"
        )

    def __str__(self) -> str:
        if self.runs is not None:
            return f"{self.runs} run{'s' if self.runs != 1 else ''}"
        assert self.seconds is not None
        minutes, seconds = divmod(round(self.seconds), 60)
        return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"

    def spent(self, runs: int, seconds: float) -> bool:
        if self.runs is not None:
            return runs >= self.runs
        assert self.seconds is not None
        return seconds >= self.seconds


@dataclass(slots=True)
class Found:
    """The smallest scenario seen that violates ``invariant`` (its key), and what the run said."""

    key: str
    candidate: Candidate
    verdicts: tuple[Verdict, ...]  # what the run of the candidate said (a finding travels between processes)
    at_run: int  # the run (counted from 1) that first violated it
    after_seconds: float  # and when, from the start of the search
    shrinks: int = 0  # how many times a smaller violating scenario replaced it

    @property
    def verdict(self) -> Verdict:
        return next(verdict for verdict in self.verdicts if verdict.key == self.key)


@dataclass(frozen=True, slots=True)
class Progress:
    """What the search is doing, after each run: for the terminal."""

    phase: Phase_
    runs: int
    seconds: float
    findings: int
    current: Found | None  # the finding being shrunk


@dataclass(slots=True)
class Search:
    """What a search did: runs, time, findings (the smallest per invariant), and why it stopped."""

    runs: int = 0
    seconds: float = 0.0
    shrink_runs: int = 0
    found: dict[str, Found] = field(default_factory=dict)
    error: PlatformError | None = None  # the platform failed a call of the harness: the search stopped there
    first_found_seconds: float | None = None

    @property
    def findings(self) -> list[Found]:
        return sorted(self.found.values(), key=lambda found: (found.at_run, found.key))


class _Stop(unittest.SkipTest):
    """Ends hypothesis' run at once (it re-raises a test runner's skip without shrinking or reporting)."""


class Violation(AssertionError):
    """A run violated an invariant: the failure hypothesis shrinks (one subclass per invariant, so each is
    shrunk as a bug of its own)."""


_VIOLATIONS: dict[str, type[Violation]] = {}


def _violation(key: str) -> type[Violation]:
    if key not in _VIOLATIONS:
        _VIOLATIONS[key] = type(f"{key}_violated", (Violation,), {"__module__": __name__})
    return _VIOLATIONS[key]


def explore(
    make_driver: Callable[[], PlatformDriver],
    budget: Budget,
    *,
    seed: int = 0,
    database: Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Search:
    """Search scenarios against the platform ``make_driver`` drives (a fresh driver per run) until ``budget``
    is spent or an invariant is violated, then shrink what violated it.

    ``seed`` makes the search repeatable (with the same ``database`` contents); ``database`` is hypothesis'
    example folder, or ``None`` for none. A run in which the platform fails a call of the harness stops the
    search: :attr:`Search.error`.
    """
    search = Search()
    started = clock()
    shrink_started: list[float] = []  # when the first violation was found: the shrink's own budget starts

    def report(phase: Phase_, current: Found | None) -> None:
        search.seconds = clock() - started
        if progress is not None:
            progress(Progress(phase, search.runs, search.seconds, len(search.found), current))

    def run(candidate: Candidate) -> None:
        now = clock()
        if shrink_started:
            if budget.spent(search.shrink_runs, now - shrink_started[0]):
                raise _Stop("the shrink's budget is spent")
        elif budget.spent(search.runs, now - started):
            raise _Stop("the budget is spent")
        result = run_scenario(candidate.scenario, make_driver())
        search.runs += 1
        if shrink_started:
            search.shrink_runs += 1
        if result.error is not None:
            search.error = result.error
            raise _Stop("the platform failed a call of the harness")
        violated = [verdict for verdict in result.verdicts if verdict.violated]
        if not violated:
            report("shrink" if shrink_started else "search", _shrinking(search))
            return
        seconds = clock() - started
        for verdict in violated:
            kept = search.found.get(verdict.key)
            if kept is None:
                search.found[verdict.key] = Found(verdict.key, candidate, tuple(result.verdicts), search.runs, seconds)
            elif candidate.size() < kept.candidate.size():
                kept.candidate, kept.verdicts, kept.shrinks = candidate, tuple(result.verdicts), kept.shrinks + 1
        if not shrink_started:
            shrink_started.append(clock())
            search.first_found_seconds = seconds
        report("shrink", _shrinking(search))
        first = violated[0]
        raise _violation(first.key)(f"{first.invariant} {first.key} violated")

    probe = repair(PROBE)
    assert probe is not None, "the probe scenario passes lint"
    result = run_scenario(probe, make_driver())
    search.runs += 1
    if result.error is not None:
        search.error = result.error
        search.seconds = clock() - started
        return search
    report("search", None)
    moments = incident_moments(PROBE)
    assert moments is not None, "the probe starts as the incident did"
    test = given(candidates(touched_points(result), echoes=echoes(result, moments)))(run)
    # The seed first: hypothesis' @seed turns the database off, the settings applied over it turn it back on.
    test = seed_of_search(seed)(test)
    test = settings(
        max_examples=budget.runs or _UNBOUNDED,
        deadline=None,
        database=DirectoryBasedExampleDatabase(database) if database is not None else None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )(test)
    try:
        test()
    except _Stop:
        pass
    except (Violation, HypothesisException, ExceptionGroup):
        # Hypothesis re-raising the smallest violation it shrank to (or saying a replay did not violate it
        # again): what it found is already kept, the smallest per invariant.
        if not search.found:
            raise
    search.seconds = clock() - started
    return search


def touched_points(result: RunResult) -> set[str]:
    """The injection points where the platform met the partners in ``result``: the operations it called, the
    deliveries made to it."""
    return {point for point, _ in _meetings(result)}


def echoes(result: RunResult, moments: Mapping[str, datetime]) -> set[Echo]:
    """Where and when the platform met the partners in ``result`` after each of its incident's ``moments`` (local
    times): the first meeting at each point in the 48 hours after a moment, before the next one, as an
    :class:`~simulator.explore._strategies.Echo` of that moment."""
    tz = result.scenario.start.tzinfo
    order = sorted(moments.items(), key=lambda item: item[1])
    found: dict[tuple[str, str], Echo] = {}
    for point, when in _meetings(result):
        local = when.astimezone(tz).replace(tzinfo=None)
        since = [(name, moment) for name, moment in order if moment <= local]
        if not since:
            continue
        name, moment = since[-1]
        hours = int((local - moment) / timedelta(hours=1))
        if hours < _ECHO_HOURS and (name, point) not in found:
            found[name, point] = Echo(name, hours, point)
    return set(found.values())


def _meetings(result: RunResult) -> Iterator[tuple[str, datetime]]:
    """Each call the platform made to a partner, and each delivery made to it: its injection point and when."""
    for entry in result.sim.journal.iter():
        if entry.kind == "request" and entry.partner and entry.operation:
            headers = entry.data.get("headers")
            source = headers.get(_SOURCE_HEADER) if isinstance(headers, Mapping) else None
            if source in (None, "platform"):
                yield f"{entry.partner}.{entry.operation}", entry.virtual_time
        elif entry.kind == "delivery" and isinstance(entry.data.get("point"), str):
            yield entry.data["point"], entry.virtual_time


def _shrinking(search: Search) -> Found | None:
    """The finding being shrunk: the first one found."""
    findings = search.findings
    return findings[0] if findings else None
