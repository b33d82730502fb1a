"""A search on several workers: independent searches, one per worker, on the pool ``lendsim run`` uses.

Hypothesis drives a search one example at a time — it decides what to draw next from what the last run said, and
shrinking is a chain of runs each depending on the one before — so the runs of one search cannot be spread over
processes without taking the search apart. What parallelizes honestly is the search itself: worker ``k`` runs a
whole search (probe, draws, shrink) seeded ``seed + k``, a budget of runs split between the workers (a time budget
is each worker's), and the findings are merged, the smallest scenario per invariant kept. With the same seed and
the same number of workers the same scenarios are drawn; one worker is the search of ``explore`` itself.

Each search comes back as a :class:`Search` whose findings carry verdicts, not runs (picklable); the platform's
error, if any, comes back as its parts and is made again here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from simulator.errors import PlatformError
from simulator.explore._search import Budget, Search, explore
from simulator.run import DEFAULT_CLIENT_TIMEOUT
from simulator.run._platforms import driver_maker

__all__ = ["SearchTask", "explore_on", "search_task", "split"]


@dataclass(frozen=True, slots=True)
class SearchTask:
    """One worker's search: against ``platform`` (by name), within ``budget``, seeded ``seed``; ``database`` is
    hypothesis' example folder (``None``: none — on a cluster a worker's folder is on another machine)."""

    platform: str
    budget: Budget
    seed: int
    database: str | None = None
    client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT


@dataclass(frozen=True, slots=True)
class _Outcome:
    search: Search  # with no error: a PlatformError does not pickle
    error: tuple[str, str, str] | None  # the platform's error as (operation, answer, hint)


def search_task(task: SearchTask) -> _Outcome:
    """Run one worker's search, here."""
    make = driver_maker(task.platform, client_timeout=task.client_timeout)
    database = None if task.database is None else Path(task.database)
    search = explore(make, task.budget, seed=task.seed, database=database)
    error = search.error
    search.error = None
    return _Outcome(search, None if error is None else (error.operation, error.answer, error.hint))


def split(budget: Budget, workers: int) -> list[Budget]:
    """Each worker's budget: a number of runs shared out (no worker gets none: fewer workers then), a time each's."""
    if budget.runs is None:
        return [budget] * workers
    count = min(workers, budget.runs)
    share, extra = divmod(budget.runs, count)
    return [Budget(runs=share + (1 if index < extra else 0)) for index in range(count)]


def explore_on(
    pool: Executor,
    platform: str,
    budget: Budget,
    *,
    workers: int,
    seed: int = 0,
    database: Path | None = None,
    client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT,
    done: Callable[[int, Search], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Search:
    """``workers`` searches on ``pool`` (see the module), merged into one :class:`Search`; ``done(k, search)`` is
    called as worker ``k``'s search comes back (in order)."""
    started = clock()
    tasks = [
        SearchTask(platform, part, seed + index, None if database is None else str(database), client_timeout)
        for index, part in enumerate(split(budget, workers))
    ]
    futures = [pool.submit(search_task, task) for task in tasks]
    merged = Search()
    try:
        for index, future in enumerate(futures):
            outcome = future.result()
            search = outcome.search
            if outcome.error is not None and merged.error is None:
                operation, answer, hint = outcome.error
                merged.error = PlatformError(operation, answer, hint=hint)
            _merge(merged, search)
            if done is not None:
                done(index, replace(search, error=merged.error))
    finally:
        for future in futures:
            future.cancel()
    merged.seconds = clock() - started
    return merged


def _merge(into: Search, search: Search) -> None:
    into.runs += search.runs
    into.shrink_runs += search.shrink_runs
    found_at = search.first_found_seconds
    if found_at is not None:
        first = into.first_found_seconds
        into.first_found_seconds = found_at if first is None else min(first, found_at)
    for key, found in search.found.items():
        kept = into.found.get(key)
        if kept is None or found.candidate.size() < kept.candidate.size():
            into.found[key] = found
