"""O6 terminal_states_absorb on hand-built journals."""

from __future__ import annotations

from datetime import timedelta

from tests.oracles.story import LOAN, Story, at, check

KEY = "terminal_states_absorb"


def test_processing_then_success_then_success_again_holds() -> None:
    story = Story()
    story.loan()
    story.apply(at(5, 10, 9), serial="RP3")
    story.notify(at(5, 10, 9, 0, 2), "RP3", "SUCCESS")
    story.query(at(5, 10, 10), "RP3", "SUCCESS")
    story.notify(at(5, 10, 10, 1), "RP3", "SUCCESS")  # a duplicate callback

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_success_then_processing_is_a_regression_with_the_states_in_the_chain() -> None:
    story = Story()
    story.loan()
    _, processing = story.apply(at(5, 10, 9), serial="RP3")
    success = story.notify(at(5, 10, 9, 0, 2), "RP3", "SUCCESS")
    regressed = story.query(at(5, 10, 10), "RP3", "PROCESSING")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O6", "B000123", LOAN)
    assert "repayment RP3: what the platform was told went SUCCESS → PROCESSING" in violation.message
    assert violation.chain == (processing, success, regressed)


def test_a_delayed_answer_arrives_after_the_callback() -> None:
    story = Story()
    story.loan()
    story.apply(at(5, 10, 9), serial="RP3", delay=10.0)
    story.notify(at(5, 10, 9) + timedelta(seconds=2), "RP3", "SUCCESS")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "SUCCESS → PROCESSING" in verdict.violations[0].message


def test_success_then_fail_is_a_regression_and_fail_then_success_is_not() -> None:
    story = Story()
    story.loan()
    story.notify(at(5, 10, 9), "RP3", "SUCCESS")
    story.notify(at(5, 10, 10), "RP3", "FAIL")
    story.notify(at(5, 10, 9), "RP4", "FAIL")
    story.notify(at(5, 10, 10), "RP4", "SUCCESS")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "RP3" in violation.message and "SUCCESS → FAIL" in violation.message and verdict.checked == 2


def test_answers_the_platform_never_got_and_requests_that_are_not_the_platforms_are_ignored() -> None:
    story = Story()
    story.loan()
    story.notify(at(5, 10, 9), "RP3", "SUCCESS")
    story.apply(at(5, 10, 10), serial="RP3", fault="timeout")
    story.apply(at(5, 10, 11), serial="RP3", source="bank")
    story.notify(at(5, 10, 12), "RP3", "PROCESSING", status=None, error="dropped")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held


def test_the_platforms_own_view_is_judged_when_the_run_journals_it() -> None:
    story = Story()
    story.loan()
    story.notify(at(5, 10, 9), "RP3", "SUCCESS")
    story.query(at(5, 10, 10), "RP3", "PROCESSING")  # told out of order: a fault being replayed
    for when, state in ((at(5, 10, 9), "SUCCESS"), (at(5, 10, 10), "SUCCESS")):
        story.event("platform", "platformRepayStatus", when, loan=LOAN, serial="RP3", data={"repayStatus": state})
    story.notify(at(5, 11, 9), "RP5", "SUCCESS")
    story.event("platform", "platformRepayStatus", at(5, 11, 9), serial="RP5", data={"repayStatus": "SUCCESS"})
    story.event("platform", "platformRepayStatus", at(5, 11, 10), serial="RP5", data={"repayStatus": "PROCESSING"})

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "repayment RP5: the platform's own state went SUCCESS → PROCESSING" in violation.message


def test_a_settled_loan_marked_overdue_again_is_a_regression() -> None:
    story = Story()
    story.loan()
    settled = story.settled(at(5, 10, 9))
    overdue = story.overdue(at(5, 14, 2))

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "SETTLED regressed" in violation.message and violation.chain == (settled, overdue)


def test_a_platform_still_holding_processing_after_the_bank_told_it_success_is_behind() -> None:
    story = Story()
    story.loan()
    told = story.notify(at(5, 10, 9), "RP3", "SUCCESS")
    story.notify(at(5, 10, 9, 30), "RP3", "PROCESSING")  # a reordered callback: the fault, not the platform
    held = story.event(
        "platform", "platformRepayStatus", at(7, 1), loan=LOAN, serial="RP3", data={"repayStatus": "PROCESSING"}
    )
    story.notify(at(5, 11, 9), "RP5", "SUCCESS")
    story.notify(at(5, 11, 9, 30), "RP5", "PROCESSING")
    story.event("platform", "platformRepayStatus", at(7, 1), loan=LOAN, serial="RP5", data={"repayStatus": "SUCCESS"})

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "repayment RP3: the platform's own state went SUCCESS → PROCESSING" in violation.message
    assert told in violation.chain and held in violation.chain
