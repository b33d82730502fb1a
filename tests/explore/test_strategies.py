"""What explore draws: scenarios lint is silent about, faults only where the engine takes them, every invariant
of the registry expected unless lint says the run cannot judge it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings

from simulator.explore import Candidate, candidates, repair
from simulator.explore._strategies import PROBE, Echo, expectations, incident_moments
from simulator.oracles import ORACLES
from simulator.scenario import known_points, lint_scenario

FEW = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
BASE: dict[str, Any] = {
    "name": "explore",
    "start": "2019-05-01",
    "duration": "20 days",
    "population": {"borrowers": 2, "loan": {"principal": "1000..2000", "term": 1, "due_day": 10}},
    "expect": {key: {} for key in ORACLES},
}


@FEW
@given(candidates())
def test_a_drawn_scenario_passes_lint_as_a_file(tmp_path_factory: Any, candidate: Candidate) -> None:
    path = Path(tmp_path_factory.mktemp("drawn")) / "drawn.yaml"
    path.write_text(yaml.safe_dump(dict(candidate.data), sort_keys=False), encoding="utf-8")

    assert lint_scenario(path) == []


@FEW
@given(candidates())
def test_every_fault_is_at_a_point_that_takes_its_action(candidate: Candidate) -> None:
    points = known_points()

    for fault in candidate.data.get("faults", ()):
        (action,) = [key for key in fault if key not in ("at", "from", "until", "probability")]
        assert action in points[fault["at"]]


@FEW
@given(candidates())
def test_at_most_twenty_borrowers_and_expectations_from_the_registry(candidate: Candidate) -> None:
    assert 1 <= candidate.borrowers <= 20
    assert set(candidate.data["expect"]) <= set(ORACLES)
    assert candidate.data["expect"]


def test_repair_takes_out_an_invariant_the_run_is_too_short_to_judge() -> None:
    scenario = repair(BASE)

    assert scenario is not None
    assert "no_false_delinquency" not in scenario.expect  # a 30-business-day window does not fit in 20 days
    assert "dispute_sla" not in scenario.expect  # nobody disputes
    assert "ledgers_reconcile" in scenario.expect
    assert scenario.warnings == ()


def test_repair_takes_out_a_fault_no_platform_survives() -> None:
    data = {
        **BASE,
        "faults": [
            {"at": "sms.sendSms", "duplicate": {"times": 3}},
            {"at": "bank.repayApply", "drop": {}, "until": "2019-05-05"},
        ],
    }

    scenario = repair(data)

    assert scenario is not None
    assert [fault["at"] for fault in scenario.faults] == ["bank.repayApply"]


def test_repair_gives_up_on_a_scenario_with_an_error() -> None:
    assert repair({**BASE, "duration": "-3 days"}) is None


@pytest.mark.parametrize(
    ("faults", "recycled", "unjudged"),
    [
        ([], False, set()),
        ([{"at": "bureau.feedback", "drop": {}, "probability": 0.2}], False, {"bureau_converges"}),
        ([{"at": "bureau.feedback", "latency": {"delay": "2 hours"}}], False, set()),
        ([{"at": "bureau.submitReport", "drop": {}}], False, set()),
        ([], True, {"notice_before_negative_report", "sms_unique"}),
    ],
)
def test_a_candidate_expects_every_invariant_but_those_its_partners_break_whatever_the_platform_does(
    faults: list[dict[str, Any]], recycled: bool, unjudged: set[str]
) -> None:
    """A file dropped at bureau.feedback whose month the bank has since reported is never sent again (the
    simulated bank's limit), and the bank's notice to a reissued number reaches a stranger: O5, O3 would fail
    whatever the platform does — false alarms."""
    expected = expectations(faults, recycled_phones=recycled)

    assert set(ORACLES) - set(expected) == unjudged
    assert recycled or expected["sms_unique"] == {"senders": ["platform"]}


def test_the_incident_moments_are_the_link_down_the_batch_after_the_grace_and_the_link_back() -> None:
    assert incident_moments(PROBE) == {
        "down": datetime(2019, 5, 10, 19, 0),
        "batch": datetime(2019, 5, 11, 2, 0),  # no grace: the first batch after the due day's cut-off
        "recovery": datetime(2019, 5, 12, 19, 0),
    }


@pytest.mark.parametrize(
    ("bank", "batch"),
    [
        ({}, datetime(2019, 5, 14, 2, 0)),  # the bank's defaults: 3 days' grace, the batch at 02:00
        ({"grace": "1 days", "cutoff": "21:30", "overdue_batch": "04:30"}, datetime(2019, 5, 12, 4, 30)),
    ],
)
def test_the_batch_moment_follows_the_banks_own_grace_cutoff_and_batch_hour(
    bank: dict[str, Any], batch: datetime
) -> None:
    data = {**PROBE, "bank": bank}

    moments = incident_moments(data)

    assert moments is not None and moments["batch"] == batch


def test_a_scenario_that_does_not_start_with_the_link_down_has_no_incident_moments() -> None:
    assert incident_moments({**BASE, "faults": [{"at": "sms.sendSms", "drop": {}, "from": "2019-05-10 08:00"}]}) is None
    assert incident_moments(BASE) is None


ECHO = Echo("batch", 6, "sms.sendSms")


@FEW
@given(candidates(echoes=[ECHO]))
def test_after_the_incident_the_other_faults_meet_the_platform_where_and_when_the_probe_did(
    candidate: Candidate,
) -> None:
    """The probe saw the platform call the gateway six hours after the batch: in a candidate that starts as the
    incident did, every other fault is at the gateway, its window over six hours past the candidate's batch."""
    moments = incident_moments(candidate.data)
    assume(moments is not None)
    assert moments is not None
    met = moments["batch"] + timedelta(hours=6)

    for fault in candidate.data["faults"][1:]:
        assert fault["at"] == "sms.sendSms"
        begin, until = (datetime.fromisoformat(fault[key]) for key in ("from", "until"))
        assert begin <= met < until and until - begin <= timedelta(hours=30)


@FEW
@given(candidates())
def test_the_incident_outage_lasts_past_the_end_of_the_grace_or_one_to_four_days(candidate: Candidate) -> None:
    moments = incident_moments(candidate.data)
    assume(moments is not None)
    assert moments is not None
    bank = candidate.data.get("bank", {})
    grace = timedelta(days=int(bank.get("grace", "3 days").split()[0]))
    due = date(2019, 5, candidate.data["population"]["loan"]["due_day"])
    deadline = datetime.combine(due + grace, time.fromisoformat(bank.get("cutoff", "23:59:59")))

    outage = moments["recovery"] - moments["down"]

    assert moments["recovery"] > deadline or timedelta(hours=24) <= outage <= timedelta(hours=96)
