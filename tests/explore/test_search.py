"""The search: a budget in time or runs, a violation shrunk to its smallest scenario, the database replaying it,
and a platform that fails the harness stopping it."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

import pytest

from lendsim_examples import resilient
from simulator.errors import ConfigError
from simulator.explore import Budget, Progress, explore, scenario_yaml
from simulator.explore._search import echoes, touched_points
from simulator.explore._strategies import PROBE, Echo, incident_moments, repair
from simulator.run import InProcessDriver, run_scenario


def without(safeguard: str) -> Any:
    return lambda: InProcessDriver(resilient.create(disable={safeguard}))


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("10m", Budget(seconds=600)),
        ("90s", Budget(seconds=90)),
        ("1h30m", Budget(seconds=5400)),
        ("5 minutes", Budget(seconds=300)),
        ("200 runs", Budget(runs=200)),
        ("200runs", Budget(runs=200)),
        ("1 run", Budget(runs=1)),
    ],
)
def test_a_budget_is_a_time_or_a_number_of_runs(text: str, budget: Budget) -> None:
    assert Budget.parse(text) == budget


@pytest.mark.parametrize("text", ["", "10x", "12", "0 runs", "0s", "-5m", "many runs"])
def test_anything_else_is_refused_naming_both_forms(text: str) -> None:
    with pytest.raises(ConfigError, match=r"is not a budget: give a time such as 10m, 90s or 1h, or a number of runs"):
        Budget.parse(text)


def test_a_violation_is_shrunk_to_no_fault_one_borrower_and_kept_with_its_verdict() -> None:
    seen: list[Progress] = []

    search = explore(without("masked_logs"), Budget(runs=5), seed=1, progress=seen.append)

    found = search.found["pii_minimized"]
    assert (found.candidate.faults, found.candidate.borrowers) == (0, 1)
    assert found.verdict.violated and found.verdict.invariant == "O7"
    assert found.at_run == 2 and search.first_found_seconds is not None  # the first drawn, after the probe
    assert seen[-1].phase == "shrink" and seen[-1].current is found


def test_the_database_replays_what_failed_first(tmp_path: Path) -> None:
    explore(without("masked_logs"), Budget(runs=3), seed=1, database=tmp_path)

    again = explore(without("masked_logs"), Budget(runs=3), seed=99, database=tmp_path)

    assert again.found["pii_minimized"].at_run == 2  # the first after the probe


def test_a_time_budget_stops_the_search_when_the_clock_says_so() -> None:
    ticks = count()

    search = explore(lambda: InProcessDriver(resilient.create()), Budget(seconds=4), seed=7, clock=lambda: next(ticks))

    assert search.found == {}
    assert 2 <= search.runs <= 3  # the probe, then what the budget allows


def test_the_written_scenario_expects_only_what_was_violated_and_says_what_was_found() -> None:
    search = explore(without("masked_logs"), Budget(runs=3), seed=1)

    text = scenario_yaml(
        search.found["pii_minimized"], platform="mutant", replay="lendsim run x.yaml --platform mutant"
    )

    assert text.startswith("# Found by `lendsim explore --platform mutant`, shrunk to 0 faults, 1 borrower")
    assert "# Replay: lendsim run x.yaml --platform mutant\n" in text
    assert text.endswith("expect:\n  pii_minimized: {}\n")


def test_the_probe_shows_where_and_when_the_incident_sets_the_platform_to_work() -> None:
    """The bank's overdue notice reaches the platform at the batch, its reassurance SMS goes out the morning after
    (from 08:00), and when the link is back it forwards what it collected and asks for corrections."""
    probe = repair(PROBE)
    assert probe is not None
    moments = incident_moments(PROBE)
    assert moments is not None

    result = run_scenario(probe, InProcessDriver(resilient.create()))
    seen = echoes(result, moments)

    assert {
        Echo("batch", 0, "bank.bankNotice"),
        Echo("batch", 6, "sms.sendSms"),
        Echo("down", 1, "bank.repayApply"),
        Echo("recovery", 0, "bank.repayApply"),
        Echo("recovery", 1, "bank.correctionApply"),
    } <= seen
    assert {echo.point for echo in seen} <= touched_points(result)
    assert all(0 <= echo.hours < 48 for echo in seen)
