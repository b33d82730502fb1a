"""Searches on several workers: the budget shared out, the findings merged (the smallest per invariant)."""

from __future__ import annotations

from simulator.explore import Budget, Search
from simulator.explore._parallel import _merge, split


def test_a_budget_of_runs_is_shared_out_and_no_worker_gets_none() -> None:
    assert split(Budget(runs=7), 3) == [Budget(runs=3), Budget(runs=2), Budget(runs=2)]
    assert split(Budget(runs=2), 4) == [Budget(runs=1), Budget(runs=1)]
    assert split(Budget(seconds=60), 2) == [Budget(seconds=60), Budget(seconds=60)]


def test_merged_searches_add_up_their_runs_and_keep_the_first_finding_time() -> None:
    merged = Search()

    _merge(merged, Search(runs=4, shrink_runs=1, first_found_seconds=9.0))
    _merge(merged, Search(runs=3, shrink_runs=2, first_found_seconds=2.5))
    _merge(merged, Search(runs=5))

    assert (merged.runs, merged.shrink_runs, merged.first_found_seconds) == (12, 3, 2.5)
