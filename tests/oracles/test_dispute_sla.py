"""O8 dispute_sla on hand-built journals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from simulator.core import Engine, Request
from simulator.partners.bureau import BureauModel
from tests.oracles.story import LOAN, Story, at, check
from tests.partners.bureau.builders import account, load
from tests.partners.bureau.test_disputes import dispute_body

KEY = "dispute_sla"


def test_a_dispute_answered_within_twenty_days_holds() -> None:
    story = Story()
    story.loan()
    story.dispute(at(5, 16, 9))
    story.answered(at(5, 21, 9))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_an_answer_after_the_deadline_is_a_violation() -> None:
    story = Story()
    story.loan()
    filed = story.dispute(at(5, 16, 9))
    answered = story.answered(at(6, 6, 9), outcome="CONFIRMED")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O8", "B000123", LOAN)
    assert "answered CONFIRMED on 2019-06-06, after its deadline 2019-06-05 (20 days)" in violation.message
    assert violation.chain == (filed, answered)


def test_a_dispute_left_open_past_its_deadline_is_a_violation_and_one_inside_it_is_pending() -> None:
    story = Story()
    story.loan()
    story.dispute(at(5, 16, 9))

    late = check(story.journal, KEY, end=at(6, 6))
    pending = check(story.journal, KEY, end=at(6, 5, 23))

    assert "still unanswered at the end of the run" in late.violations[0].message
    assert pending.held and pending.checked == 1


def test_the_limit_follows_the_calendar_in_business_days() -> None:
    story = Story()
    story.loan()
    story.dispute(at(4, 30, 9))  # Labour Day 2019: 1–4 May off
    story.answered(at(5, 7, 9))

    business = check(story.journal, KEY, end=at(7, 1), params={"within": "3 business days"})
    calendar = check(story.journal, KEY, end=at(7, 1), params={"within": "3 days"})

    assert business.held
    assert "after its deadline 2019-05-03 (3 days)" in calendar.violations[0].message


def test_an_answer_the_bureau_marked_late_is_late() -> None:
    story = Story()
    story.loan()
    story.dispute(at(5, 16, 9))
    story.answered(at(5, 21, 9), late=True)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "the bureau marked the answer late" in verdict.violations[0].message


def test_a_dispute_accepted_but_not_flagged_at_once_is_a_violation() -> None:
    story = Story()
    accepted = story.journal.append(
        "response",
        at(5, 16, 9),
        partner="bureau",
        operation="fileDispute",
        status=201,
        data={"body": {"disputeId": "DSP9", "status": "FLAGGED"}},
    ).seq

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "dispute DSP9 was accepted" in violation.message and "never flagged" in violation.message
    assert violation.chain == (accepted,)


@pytest.mark.parametrize("client_timeout", [None, timedelta(seconds=10)], ids=["delayed", "timed-out"])
def test_a_dispute_whose_answer_a_latency_fault_delays_was_still_flagged_at_once(
    client_timeout: timedelta | None,
) -> None:
    engine = Engine(seed=7, strict=True)
    engine.install(BureauModel(engine))
    load(engine, account(month="2019-04", rpt_date="2019-04-30"), account(month="2019-05", rpy="1"))
    engine.add_fault({"at": "bureau.fileDispute", "latency": {"delay": "PT1H"}})
    body = json.dumps(dispute_body()).encode()
    headers = {"content-type": "application/json"}

    response = engine.handle(
        Request("POST", "/bureau/disputes", headers=headers, body=body, client_timeout=client_timeout)
    )

    answer = engine.journal.last(kind="response", operation="fileDispute")
    assert answer is not None and answer.status == 201 and answer.data["delay"] == 3600
    assert answer.virtual_time == engine.clock.now() + timedelta(hours=1)  # journaled as of when it arrives
    assert (response.transport_fault == "timeout") is (client_timeout is not None)
    verdict = check(engine.journal, KEY, end=engine.clock.now() + timedelta(days=1))  # before its deadline
    assert verdict.held and verdict.checked == 1  # the bureau flagged it when it handled it, an hour earlier
