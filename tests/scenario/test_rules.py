"""The rules lint warns by are true: a scenario they warn about fails the resilient reference platform (or leaves
the invariant nothing to judge), and the same scenario written as the warning advises passes it, unwarned."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from lendsim_examples import resilient
from simulator.clock import Calendar, parse_span
from simulator.oracles._base import Context
from simulator.run import InProcessDriver, run_scenario
from simulator.scenario import Scenario, build_scenario
from simulator.scenario._rules import window_end

BAD = Path(__file__).parent / "bad"
BORROWERS = 12


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((BAD / name).read_text(encoding="utf-8"))
    return loaded


def verdict(scenario: Scenario, invariant: str) -> tuple[int, int]:
    """(violations, checked) of one invariant when the resilient platform plays ``scenario``."""
    result = run_scenario(scenario, InProcessDriver(resilient.create()), borrowers=BORROWERS)
    (found,) = [v for v in result.verdicts if v.invariant == invariant]
    return len(found.violations), found.checked


def warned(data: dict[str, Any]) -> list[str]:
    return [warning.path for warning in build_scenario(data).warnings]


def advised(name: str, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(fixture(name))
    change(data)
    return data


def _move_duplicate_to_receipts(data: dict[str, Any]) -> None:
    data["faults"][1]["at"] = "sms.smsReport"


def _keep_clear_of_the_batch(data: dict[str, Any]) -> None:
    data["faults"][0].update({"from": "2019-05-14 10:00", "until": "2019-05-14 20:00"})


def _refuse_for_a_while(data: dict[str, Any]) -> None:
    data["bureau"] = {}
    data["faults"].append({"at": "bureau.corrections", "drop": {}, "until": "2019-06-04 00:00"})


def _give_it_a_window(data: dict[str, Any]) -> None:
    data["faults"][0].update({"from": "2019-05-10 20:00", "until": "2019-05-14 18:00"})


def _answer_in_time(data: dict[str, Any]) -> None:
    data["bank"] = {"dispute_answer_days": 20}


def _platform_only(data: dict[str, Any]) -> None:
    data["expect"]["contact_hours"] = {"senders": ["platform"]}


# fixture → (the invariant it cannot pass, the fix its warning advises)
UNPASSABLE = {
    "link-down-all-run.yaml": ("O1", _give_it_a_window),
    "sms-duplicated-by-the-gateway.yaml": ("O2", _move_duplicate_to_receipts),
    "notice-lost-at-the-handset.yaml": ("O3", _keep_clear_of_the_batch),
    "corrections-always-refused.yaml": ("O1", _refuse_for_a_while),
    "disputes-answered-late.yaml": ("O8", _answer_in_time),
    "contact-hours-at-the-banks-batch.yaml": ("O10", _platform_only),
}


@pytest.mark.parametrize("name", sorted(UNPASSABLE))
def test_a_scenario_warned_as_unpassable_fails_the_resilient_platform(name: str) -> None:
    invariant, _ = UNPASSABLE[name]
    scenario = build_scenario(fixture(name))

    violations, checked = verdict(scenario, invariant)

    assert len(scenario.warnings) == 1
    assert violations > 0, f"{invariant} held over {checked}"


@pytest.mark.parametrize("name", sorted(UNPASSABLE))
def test_the_same_scenario_written_as_the_warning_advises_passes_unwarned(name: str) -> None:
    invariant, fix = UNPASSABLE[name]
    scenario = build_scenario(advised(name, fix))

    violations, checked = verdict(scenario, invariant)

    assert scenario.warnings == ()
    assert (violations, checked > 0) == (0, True)


# The link is down from the due date across the month's end: May's settlement reports the overdue (1 June) before
# the platform can forward the payment, so a correction (and a dispute) has something to put right.
WHOLE_RUN: dict[str, Any] = {
    "name": "x",
    "start": "2019-05-01",
    "duration": "60 days",
    "population": {"loan": {"term": 3, "due_day": 25}},
    "borrowers": {"on_time": "100%", "pay_at": "20:00", "disputes": "50%"},
    "faults": [
        {"at": "bank.repayApply", "outage": {"status": 503}, "from": "2019-05-25 20:00", "until": "2019-06-02 00:00"}
    ],
    "expect": {
        "no_false_delinquency": {"window": "10 days"},
        "bureau_converges": {"window": "10 days"},
        "dispute_sla": {"within": "20 days"},
    },
}


@pytest.mark.slow  # six runs of 60 days, ~45 s
@pytest.mark.parametrize(
    ("fault", "invariants"),
    [
        ({"at": "bank.repayApply", "drop": {}}, {"O1"}),
        ({"at": "bank.correctionApply", "outage": {"status": 503}}, {"O1", "O5"}),
        ({"at": "bureau.corrections", "drop": {}}, {"O1", "O5"}),
        ({"at": "bureau.feedback", "drop": {}}, {"O5"}),
        ({"at": "bureau.submitReport", "drop": {}}, {"O5"}),
        ({"at": "bureau.answerDispute", "outage": {"status": 500}}, {"O1", "O8"}),
    ],
    ids=lambda value: value["at"] if isinstance(value, dict) else "",
)
def test_a_link_down_for_the_whole_run_fails_the_invariants_it_warns_about(
    fault: dict[str, Any], invariants: set[str]
) -> None:
    scenario = build_scenario({**WHOLE_RUN, "faults": [*WHOLE_RUN["faults"], fault]})

    result = run_scenario(scenario, InProcessDriver(resilient.create()), borrowers=BORROWERS)

    (warning,) = scenario.warnings
    assert warning.path == f"faults[1].{next(iter(set(fault) - {'at'}))}"
    assert {f"({key})" for key in invariants} == set(re.findall(r"\(O\d\)", warning.message))
    assert {v.invariant for v in result.verdicts if v.violations} >= invariants


def test_dispute_sla_without_disputing_borrowers_judges_nothing() -> None:
    scenario = build_scenario(fixture("disputes-nobody-files.yaml"))

    assert verdict(scenario, "O8") == (0, 0)
    assert [w.path for w in scenario.warnings] == ["expect.dispute_sla"]


@pytest.mark.parametrize("name", ["signed-callbacks-nothing-to-judge.yaml", "signing-fault-unsigned-run.yaml"])
def test_signing_that_cannot_act_or_judge_warns_and_o12_then_judges_nothing(name: str) -> None:
    data = fixture(name)
    data["expect"] = {"signed_callbacks_only": {}}
    scenario = build_scenario(data)

    assert verdict(scenario, "O12") == (0, 0)
    assert [w.path for w in scenario.warnings][-1] == "expect.signed_callbacks_only"


def test_a_signed_run_with_a_forged_callback_fault_warns_about_nothing_and_judges_it() -> None:
    data = fixture("signed-callbacks-nothing-to-judge.yaml")
    data["faults"] = [{"at": "bank.repayResultNotify", "forged_callback": {}}]
    scenario = build_scenario(data)

    violations, checked = verdict(scenario, "O12")

    assert scenario.warnings == () and (violations, checked > 0) == (0, True)


@pytest.mark.parametrize(("delay", "warns"), [("1 day", False), ("27 hours", True)])
def test_a_notice_held_back_at_the_handset_warns_only_past_the_months_settlement_report(
    delay: str, warns: bool
) -> None:
    """lending-domain.md §1.3 (event-driven plus monthly reporting) and §1.4 Art. 15 (notice before the report):
    installments due 27 May turn overdue at the batch of 31 May 02:00, the month's last day; May's settlement goes
    out on 1 June at 04:00, 26 hours later — a notice held back longer reaches the phone after the record."""
    data = fixture("notice-lost-at-the-handset.yaml")
    data["population"]["loan"]["due_day"] = 27
    data["faults"] = [{"at": "sms.delivery", "latency": {"delay": delay}}]
    scenario = build_scenario(data)

    violations, checked = verdict(scenario, "O3")

    assert [w.path for w in scenario.warnings] == (["faults[0].latency"] if warns else [])
    assert checked > 0 and (violations > 0) is warns


BASE: dict[str, Any] = {
    "name": "x",
    "start": "2019-05-01",
    "duration": "60 days",
    "borrowers": {"disputes": "50%"},
}


@pytest.mark.parametrize(
    ("fault", "expect", "paths"),
    [
        ({"at": "sms.delivery", "duplicate": {"times": 3}}, {"sms_unique": {}}, ["faults[0].duplicate"]),
        ({"at": "sms.sendSms", "duplicate": {}, "probability": 0.1}, {"sms_unique": {}}, ["faults[0].duplicate"]),
        ({"at": "sms.sendSms", "duplicate": {}, "probability": 0}, {"sms_unique": {}}, []),
        ({"at": "sms.sendSms", "duplicate": {}}, {"ledgers_reconcile": {}}, []),
        ({"at": "bank.bankNotice", "duplicate": {}}, {"sms_unique": {}}, []),
        ({"at": "sms.sendSms", "duplicate": {}}, {"contact_frequency": {}}, ["faults[0].duplicate"]),
        ({"at": "sms.delivery", "duplicate": {}}, {"contact_frequency": {}}, []),
        (
            {"at": "sms.delivery", "outage": {"status": 503}},
            {"notice_before_negative_report": {}},
            ["faults[0].outage"],
        ),
        ({"at": "sms.sendSms", "outage": {"status": 503}}, {"notice_before_negative_report": {}}, []),
        ({"at": "bureau.corrections", "drop": {}}, {"bureau_converges": {}}, ["faults[0].drop"]),
        ({"at": "bureau.corrections", "outage": {"status": 503}, "until": "2019-05-22"}, {"bureau_converges": {}}, []),
        ({"at": "bureau.corrections", "drop": {}, "probability": 0.5}, {"no_false_delinquency": {}}, []),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_partner_side_fault_warns_only_where_no_platform_can_pass(
    fault: dict[str, Any], expect: dict[str, Any], paths: list[str]
) -> None:
    assert warned({**BASE, "faults": [fault], "expect": expect}) == paths


@pytest.mark.parametrize(
    ("bank", "hours", "paths"),
    [
        ({}, {}, ["expect.contact_hours.senders"]),
        ({"overdue_batch": "09:00"}, {}, []),
        ({"overdue_batch": "09:00"}, {"from": "10:00"}, ["expect.contact_hours.senders"]),
        ({}, {"from": "00:00", "until": "24:00"}, []),
    ],
)
def test_contact_hours_over_the_banks_notices_warns_only_when_its_batch_is_outside_them(
    bank: dict[str, Any], hours: dict[str, Any], paths: list[str]
) -> None:
    data = {**BASE, "bank": bank, "expect": {"contact_hours": {"senders": ["bank"], **hours}}}

    assert warned(data) == paths


def test_a_latency_at_the_handset_with_monthly_furnishing_does_not_warn() -> None:
    data = {
        **BASE,
        "bank": {"furnishing": "monthly"},
        "faults": [{"at": "sms.delivery", "latency": {"delay": "3 hours"}}],
        "expect": {"notice_before_negative_report": {}},
    }

    assert warned(data) == []


def test_a_bureau_deadline_shorter_than_the_banks_answer_warns_at_the_bureau() -> None:
    data = {**BASE, "bureau": {"dispute_window": "3 days"}, "expect": {"dispute_sla": {}}}

    assert warned(data) == ["bureau.dispute_window"]


def test_a_run_shorter_than_a_default_window_warns_at_the_invariant() -> None:
    data = {**BASE, "duration": "20 days", "expect": {"bureau_converges": {}, "ledgers_reconcile": {}}}

    warnings = build_scenario(data).warnings

    assert [w.path for w in warnings] == ["expect.bureau_converges"]
    assert "a window of 30 days (the default)" in warnings[0].message


def test_a_run_exactly_as_long_as_the_window_does_not_warn() -> None:
    data = {**BASE, "duration": "45 days", "expect": {"no_false_delinquency": {"window": "30 business days"}}}

    assert warned(data) == []


@pytest.mark.parametrize("span", ["30 business days", "20 days", "1 day", "0 days"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("opened", [datetime(2019, 4, 28, 23, 30), datetime(2019, 9, 30, 8, 0)])
def test_lint_counts_a_window_as_the_oracles_do(span: str, zone: str, opened: datetime) -> None:
    calendar = Calendar(zone)
    at = opened.replace(tzinfo=calendar.tz)
    context = Context(calendar, calendar.at(date(2020, 1, 1), time(0)))

    assert window_end(calendar, at, parse_span(span)) == context.window_until(at, parse_span(span))
