"""O12 signed_callbacks_only on hand-built journals."""

from __future__ import annotations

from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, Story, at, check

KEY = "signed_callbacks_only"


def platform_says(story: Story, serial: str, state: str) -> int:
    return story.event(
        "platform", "platformRepayStatus", at(6, 30), loan=LOAN, serial=serial, data={"repayStatus": state}
    )


def test_forged_and_unsigned_copies_refused_hold_and_each_is_judged() -> None:
    story = Story()
    story.notify(at(5, 10, 9), "RP1", "FAIL", status=401, signature="forged")
    story.notify(at(5, 10, 9), "RP1", "SUCCESS", signature="b1")
    story.notify(at(5, 11, 9), "RP2", "SUCCESS", status=401, signature="unsigned")
    story.notify(at(5, 11, 9), "RP2", "SUCCESS", signature="b2")
    platform_says(story, "RP1", "SUCCESS")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 2


def test_a_forged_copy_acknowledged_is_a_violation_naming_it() -> None:
    story = Story()
    forged = story.notify(at(5, 10, 9), "RP1", "FAIL", status=200, signature="forged")
    story.notify(at(5, 10, 9), "RP1", "SUCCESS", signature="b1")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O12", BORROWER, LOAN)
    assert "acknowledged (200) a forged repayResultNotify" in violation.message and "claiming FAIL" in violation.message
    assert violation.chain == (forged,)


def test_a_platform_holding_what_a_forgery_claimed_violates_even_when_it_answered_an_error() -> None:
    story = Story()
    forged = story.notify(at(5, 10, 9), "RP1", "FAIL", status=500, signature="forged")
    story.notify(at(5, 10, 9), "RP1", "SUCCESS", signature="b1")
    said = platform_says(story, "RP1", "FAIL")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.message == (
        "the platform holds repayment RP1 as FAIL, as a forged repayResultNotify the bank did not sign (repayment RP1, "
        "claiming FAIL) claimed; the bank's signed callbacks said SUCCESS"
    )
    assert violation.chain == (forged, said)


def test_a_forged_copy_acknowledged_and_believed_is_one_violation_saying_both() -> None:
    story = Story()
    story.notify(at(5, 10, 9), "RP1", "FAIL", status=200, signature="forged")
    story.notify(at(5, 10, 9), "RP1", "SUCCESS", signature="b1")
    platform_says(story, "RP1", "FAIL")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.message.endswith(
        "; the platform holds repayment RP1 as FAIL, as it claimed; the bank's signed callbacks said SUCCESS"
    )
    assert verdict.checked == 1


def test_genuine_callbacks_alone_judge_nothing() -> None:
    story = Story()
    story.notify(at(5, 10, 9), "RP1", "SUCCESS", signature="b1")
    story.notify(at(5, 10, 9), "RP2", "SUCCESS")  # an unsigned run: no signature recorded at all

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED and not verdict.held
