"""O5 bureau_converges on hand-built journals."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, Story, at, check, record

KEY = "bureau_converges"


def reported_then_corrected(story: Story) -> None:
    story.loan()
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "1")])
    story.loaded(at(5, 14, 12), "SUB1")
    story.submit(at(5, 16, 10), "SUB2", [record("2019-05", "C", kind="212")])


def test_the_bureau_holding_the_banks_last_record_holds() -> None:
    story = Story()
    reported_then_corrected(story)
    story.loaded(at(5, 16, 18), "SUB2", rpy="C", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_a_rejected_correction_left_alone_is_two_violations() -> None:
    story = Story()
    reported_then_corrected(story)
    rejected = story.rejected(at(5, 16, 18), "SUB2", code="ABR006", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 1))

    state, feedback = verdict.violations
    assert (state.invariant, state.borrower, state.loan) == ("O5", "B000123", LOAN)
    assert "the bank last reported RpyStatus C" in state.message and "bureau holds RpyStatus 1" in state.message
    assert "rejected with ABR006" in state.message
    assert "rejected the 212 record of SUB2 with ABR006" in feedback.message and "no retry, no escalation" in (
        feedback.message
    )
    assert feedback.chain == (rejected,)


def test_a_rejection_followed_by_a_retry_is_handled() -> None:
    story = Story()
    reported_then_corrected(story)
    story.rejected(at(5, 16, 18), "SUB2", code="ABR006", kind="212")
    story.event("bank", "correctionRetry", at(5, 17, 4), loan=LOAN, data={"submissionId": "SUB2"})
    story.submit(at(5, 17, 4), "SUB3", [record("2019-05", "C", kind="212")])
    story.loaded(at(5, 17, 12), "SUB3", rpy="C", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 2


def test_a_window_still_open_at_the_end_of_the_run_is_pending() -> None:
    story = Story()
    reported_then_corrected(story)
    story.rejected(at(5, 16, 18), "SUB2", code="ABR006", kind="212")

    verdict = check(story.journal, KEY, end=at(5, 20), params={"window": "30 days"})

    assert verdict.outcome is Outcome.NOT_EXERCISED and verdict.violations == ()


def test_an_installment_the_bank_shows_collected_in_grace_must_not_stay_negative() -> None:
    story = Story()
    story.loan()
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "1")])
    loaded = story.loaded(at(5, 14, 12), "SUB1")
    cleared = story.cleared(at(5, 14, 18))

    verdict = check(story.journal, KEY, end=at(7, 1), params={"window": "10 business days"})

    (violation,) = verdict.violations
    assert "installment 3 (due 2019-05-10) was collected within grace" in violation.message
    assert "still reports 2019-05 as RpyStatus 1" in violation.message
    assert violation.chain == (loaded, cleared)


def overdue(story: Story, when: datetime, no: int, due: str) -> int:
    return story.event(
        "bank", "installmentOverdue", when, borrower=BORROWER, loan=LOAN, data={"installmentNo": no, "dueDate": due}
    )


def test_a_month_negative_through_another_installment_still_overdue_is_that_installments_own() -> None:
    """Installment 2 was paid late and is still overdue in May (its penalty unpaid, say): May is negative at the
    bureau whatever is done for installment 3, collected within grace — no violation for it (explore found the
    resilient platform "failing" this with no fault at all)."""
    story = Story()
    story.loan()
    overdue(story, at(4, 14, 2), 2, "2019-04-10")
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "2")])
    story.loaded(at(5, 14, 12), "SUB1", rpy="2")
    story.cleared(at(5, 14, 18))

    verdict = check(story.journal, KEY, end=at(7, 1), params={"window": "10 business days"})

    assert verdict.held and verdict.checked == 2


@pytest.mark.parametrize(
    ("cleared", "within"),
    [((4, 20, 10), False), ((5, 12, 10), True)],  # cleared late before May began; collected within grace in May
)
def test_another_installment_overdue_but_not_in_that_month_or_collected_in_grace_explains_nothing(
    cleared: tuple[int, int, int], within: bool
) -> None:
    story = Story()
    story.loan()
    overdue(story, at(4, 14, 2), 2, "2019-04-10")
    story.cleared(at(*cleared), no=2, due="2019-04-10", within=within)
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "1")])
    story.loaded(at(5, 14, 12), "SUB1")
    story.cleared(at(5, 14, 18))

    verdict = check(story.journal, KEY, end=at(7, 1), params={"window": "10 business days"})

    (violation,) = verdict.violations
    assert "installment 3 (due 2019-05-10) was collected within grace" in violation.message


def test_an_abr004_needs_no_follow_up() -> None:
    story = Story()
    story.loan()
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "N")])
    story.loaded(at(5, 14, 12), "SUB1", rpy="N")
    story.submit(at(5, 15, 4), "SUB2", [record("2019-05", "N")])
    story.rejected(at(5, 15, 12), "SUB2", code="ABR004")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held
