"""``evaluate`` and the registry: keys, parameters, order, one pass for all."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest

from simulator.clock import Span
from simulator.errors import ConfigError
from simulator.journal import Entry, Journal
from simulator.oracles import INVARIANTS, ORACLES, InvariantViolation, Outcome, Verdict, evaluate
from simulator.oracles._base import Handler, Part, Route, stream
from tests.oracles.story import CALENDAR, Story, at

SCHEMA = Path(__file__).resolve().parents[2] / "simulator" / "scenario" / "schema.json"


def test_an_unknown_invariant_is_refused_with_the_closest_key() -> None:
    with pytest.raises(ConfigError, match="unknown invariant 'sms_uniqe'; did you mean 'sms_unique'"):
        evaluate(Journal(), {"sms_uniqe": {}}, calendar=CALENDAR, end=at(7, 1))


def test_an_unknown_parameter_is_refused_with_the_closest_one() -> None:
    with pytest.raises(ConfigError, match="dispute_sla: unknown parameter 'withn'; did you mean 'within'"):
        evaluate(Journal(), {"dispute_sla": {"withn": "20 days"}}, calendar=CALENDAR, end=at(7, 1))
    with pytest.raises(ConfigError, match="no parameters"):
        evaluate(Journal(), {"pii_minimized": {"window": "1 day"}}, calendar=CALENDAR, end=at(7, 1))


def test_a_bad_window_or_end_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"no_false_delinquency\.window"):
        evaluate(Journal(), {"no_false_delinquency": {"window": "soon"}}, calendar=CALENDAR, end=at(7, 1))
    with pytest.raises(ConfigError, match="timezone-aware"):
        evaluate(Journal(), {"sms_unique": {}}, calendar=CALENDAR, end=datetime(2019, 7, 1))


def test_verdicts_come_in_invariant_order_one_per_key_and_none_params_mean_defaults() -> None:
    story = Story()
    story.loan()
    expect = {
        "dispute_sla": None,
        "no_false_delinquency": {"window": Span(30, business=True)},
        "pii_minimized": {},
    }

    verdicts = evaluate(story.journal, expect, calendar=CALENDAR, end=at(7, 1))

    assert [(v.invariant, v.key) for v in verdicts] == [
        ("O1", "no_false_delinquency"),
        ("O7", "pii_minimized"),
        ("O8", "dispute_sla"),
    ]
    assert all(v.outcome is Outcome.NOT_EXERCISED and v.violations == () for v in verdicts)  # a loan, no more
    assert evaluate(story.journal, {}, calendar=CALENDAR, end=at(7, 1)) == []


def test_an_invariant_that_judged_nothing_is_not_exercised_never_held() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 9))

    nothing = INVARIANTS["dispute_sla"](story.journal, calendar=CALENDAR, end=at(7, 1))
    something = INVARIANTS["no_false_delinquency"](story.journal, calendar=CALENDAR, end=at(7, 1))

    assert nothing.outcome is Outcome.NOT_EXERCISED and not nothing.held and not nothing.exercised
    assert nothing.reason == "judged nothing: no disputes filed in the run"
    assert something.outcome is Outcome.HELD and something.held and something.checked == 1
    assert something.reason == "installments paid in full by due date + grace: 1 judged, none violated"


def test_a_violation_makes_a_verdict_violated_whatever_was_counted() -> None:
    violation = InvariantViolation("O4", "ledgers_reconcile", None, None, "no platformLedger event", ())

    verdict = Verdict.of("O4", "ledgers_reconcile", 0, [violation], "loans in either ledger")

    assert verdict.outcome is Outcome.VIOLATED and verdict.exercised and not verdict.held
    assert verdict.reason == "loans in either ledger: 0 judged, 1 violation"


def test_the_registry_covers_every_key_of_the_scenario_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    keys = list(schema["properties"]["expect"]["properties"])

    assert list(ORACLES) == keys == list(INVARIANTS)
    assert [oracle.invariant for oracle in ORACLES.values()] == [f"O{n}" for n in range(1, 16)]


def test_each_invariant_alone_gives_the_same_verdict_as_in_the_shared_pass() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 20, 15))
    story.overdue(at(5, 14, 2))
    story.notice_failed(at(5, 14, 2))
    story.loaded(at(5, 14, 12), "SUB1")
    story.dispute(at(5, 16, 9))
    expect: dict[str, dict[str, object]] = {key: {} for key in ORACLES}

    together = evaluate(story.journal, expect, calendar=CALENDAR, end=at(7, 1))
    alone = [INVARIANTS[key](story.journal, {}, calendar=CALENDAR, end=at(7, 1)) for key in ORACLES]

    assert together == alone
    assert {v.key for v in together if not v.held} >= {
        "no_false_delinquency",
        "notice_before_negative_report",
        "ledgers_reconcile",
        "dispute_sla",
    }


class _Recorder(Part):
    def __init__(self, routes: list[Route]) -> None:
        self.wanted = routes
        self.seen: list[tuple[int, Route]] = []

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        for route in self.wanted:
            yield route, self._take

    def _take(self, entry: Entry) -> None:
        self.seen.append((entry.seq, (entry.kind, entry.partner, entry.operation)))


def test_the_shared_pass_feeds_each_part_exactly_the_entries_on_its_routes_in_seq_order() -> None:
    journal = Journal()
    rows = [
        ("request", "bank", "repayApply"),
        ("event", "platform", "platformLog"),
        ("response", "bank", "repayApply"),
        ("event", "bank", "furnished"),
        ("delivery", "bank", "bankNotice"),
        ("event", "bank", "furnishLoaded"),
        ("event", "sms", "smsDelivered"),
        ("delivery", "sms", "smsReport"),
        ("event", None, None),
        ("request", "sms", "repayApply"),
    ] * 3
    for minute, (kind, partner, operation) in enumerate(rows):
        journal.append(kind, at(5, 1, 0, minute), partner=partner, operation=operation)
    parts = [
        _Recorder([("event", "bank", "furnished"), ("request", "bank", "repayApply"), ("delivery", None, None)]),
        _Recorder([("event", "sms", None), ("response", "bank", "repayApply"), ("event", "bank", "furnished")]),
        _Recorder([("request", None, "repayApply"), ("event", "bank", None)]),
    ]

    stream(journal, parts)

    for part in parts:
        expected = [
            (entry.seq, route)
            for entry in journal
            if (route := (entry.kind, entry.partner, entry.operation)) in part.wanted
            or (route[0], route[1], None) in part.wanted
            or (route[0], None, None) in part.wanted
        ]
        assert part.seen == expected
        assert expected
