"""Runs in other processes come back as the runs themselves would: the same verdicts, violation counts and journal
entries per kind as the same run made here; runs against one platform over HTTP go one after another."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import pytest

from simulator._resources import bundled_scenario
from simulator.oracles import Outcome
from simulator.run import run_scenario
from simulator.run._platforms import driver_maker
from simulator.run._pool import RunSummary, RunTask, _lanes, entry_counts, executor, run_task, run_tasks
from simulator.scenario import Scenario, load_scenario

#: A few catalog scenarios the naive platform fails and the resilient one passes, small.
CATALOG = ("out-of-order-callback", "late-or-lost-callback", "sms-retry-storm")
BORROWERS = 15


def catalog(names: Sequence[str] = CATALOG) -> list[Scenario]:
    return [load_scenario(str(bundled_scenario(name))) for name in names]


def tasks_of(scenarios: Sequence[Scenario]) -> list[RunTask]:
    return [
        RunTask(scenario, platform, borrowers=BORROWERS)
        for scenario in scenarios
        for platform in ("naive", "resilient")
    ]


def judged(summary: RunSummary) -> tuple[object, ...]:
    """What a run's judgement is: its status, each verdict's outcome, count judged and violations, its entries."""
    verdicts = tuple((v.key, v.outcome, v.checked, len(v.violations)) for v in summary.verdicts)
    return (summary.scenario.name, summary.platform, summary.seed, summary.status, verdicts, dict(summary.entries))


def here(task: RunTask) -> tuple[object, ...]:
    """The same judgement, of the run made in this process with the runner itself."""
    result = run_scenario(task.scenario, driver_maker(task.platform)(), borrowers=task.borrowers)
    verdicts = tuple((v.key, v.outcome, v.checked, len(v.violations)) for v in result.verdicts)
    return (result.scenario.name, task.platform, result.seed, result.status, verdicts, entry_counts(result))


def test_runs_on_two_processes_are_judged_as_the_same_runs_here() -> None:
    tasks = tasks_of(catalog())

    with executor(2) as pool:
        summaries = list(run_tasks(pool, tasks))

    expected = [here(task) for task in tasks]
    assert [judged(summary) for summary in summaries] == expected
    statuses = {summary.platform: set() for summary in summaries}
    for summary in summaries:
        statuses[summary.platform].add(summary.status)
    assert statuses == {"naive": {"failed"}, "resilient": {"passed"}}  # the runs judged something either way
    assert all(summary.entries for summary in summaries)


def test_a_summary_is_compact_and_travels() -> None:
    (scenario,) = catalog(CATALOG[:1])

    summary = run_task(RunTask(scenario, "naive", borrowers=BORROWERS))

    copy = pickle.loads(pickle.dumps(summary))
    assert judged(copy) == judged(summary)
    assert (copy.console, copy.verdicts) == (summary.console, summary.verdicts)
    assert summary.journal is None  # not asked for
    assert any(verdict.outcome is Outcome.VIOLATED for verdict in summary.verdicts)
    assert summary.console.startswith(f"{scenario.name} against naive: FAILED")
    assert len(pickle.dumps(summary)) < 200_000


def test_a_platform_that_cannot_be_made_where_the_run_is_comes_back_as_a_failure_not_a_crash() -> None:
    (scenario,) = catalog(CATALOG[:1])

    summary = run_task(RunTask(scenario, "no_such_module:create"))

    assert summary.failure == "cannot import 'no_such_module': No module named 'no_such_module'"
    assert summary.exit_code == 2
    assert summary.verdicts == ()


def test_runs_against_one_url_share_a_lane_and_in_process_runs_each_have_one() -> None:
    (scenario,) = catalog(CATALOG[:1])
    platforms = ["http://127.0.0.1:9000", "naive", "http://127.0.0.1:9001", "http://127.0.0.1:9000", "naive"]

    lanes = _lanes([RunTask(scenario, platform) for platform in platforms])

    assert lanes == [[0, 3], [1], [2], [4]]


def test_one_worker_runs_each_task_here_when_its_result_is_asked_for_and_a_cancelled_one_never() -> None:
    ran: list[str] = []

    def task(name: str) -> str:
        ran.append(name)
        return name.upper()

    with executor(1) as pool:
        first, second, third = (pool.submit(task, name) for name in ("a", "b", "c"))
        assert ran == []  # nothing runs until asked: a run's pieces one after another, not all at once
        assert second.result() == "B" and first.result() == "A"
        assert third.cancel()

    assert ran == ["b", "a"]
    assert third.cancelled()


def test_a_failure_of_a_task_run_here_comes_back_from_its_result() -> None:
    def refuse() -> None:
        raise ValueError("no such platform")

    with executor(1) as pool:
        future = pool.submit(refuse)

        assert isinstance(future.exception(), ValueError)
        with pytest.raises(ValueError, match="no such platform"):
            future.result()
