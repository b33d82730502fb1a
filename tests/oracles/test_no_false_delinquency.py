"""O1 no_false_delinquency on hand-built journals."""

from __future__ import annotations

import pytest

from simulator.clock import Span
from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import LOAN, Story, at, check, record

KEY = "no_false_delinquency"


def wrongly_reported(story: Story) -> dict[str, int]:
    """Installment 3 collected on its due date, the forward refused, marked overdue, notified, reported."""
    story.loan()
    seqs = {"repaid": story.repaid(at(5, 10, 20, 15))}
    seqs["request"], seqs["answer"] = story.apply(at(5, 10, 20, 15), status=503)
    seqs["overdue"] = story.overdue(at(5, 14, 2))
    seqs["notice"] = story.notice_sent(at(5, 14, 2))
    seqs["sms"] = story.sms(at(5, 14, 2, 0, 7))
    story.submit(at(5, 14, 4), "SUB1", [record("2019-05", "1")])
    seqs["furnished"] = story.furnished(at(5, 14, 4), "SUB1")
    seqs["loaded"] = story.loaded(at(5, 14, 12), "SUB1")
    return seqs


def test_an_installment_paid_on_time_and_never_reported_holds() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 9))
    story.apply(at(5, 10, 9))
    story.posted(at(5, 10, 9, 0, 2))
    story.loaded(at(5, 11, 12), "SUB1", rpy="N")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert verdict.held and verdict.checked == 1 and verdict.violations == ()


def test_a_wrongful_overdue_left_standing_names_the_bank_and_the_bureau_with_the_chain_of_events() -> None:
    story = Story()
    seqs = wrongly_reported(story)

    verdict = check(story.journal, KEY, end=at(7, 31))

    (violation,) = verdict.violations
    assert not verdict.held and verdict.invariant == "O1"
    assert (violation.borrower, violation.loan) == ("B000123", LOAN)
    assert "installment 3" in violation.message and "2019-05-10" in violation.message
    assert "the bank still shows it overdue" in violation.message
    assert "the bureau still reports 2019-05 as RpyStatus 1" in violation.message
    assert "30 business days window counted from 2019-05-14" in violation.message
    assert violation.chain == tuple(sorted(seqs.values()))


def test_a_correction_within_the_window_clears_the_installment() -> None:
    story = Story()
    wrongly_reported(story)
    story.posted(at(5, 14, 18))
    story.cleared(at(5, 14, 18))
    story.loaded(at(5, 16, 18), "SUB2", rpy="C", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert verdict.held and verdict.checked == 1


def test_a_correction_after_the_window_is_too_late_even_if_the_run_goes_on() -> None:
    story = Story()
    wrongly_reported(story)
    story.cleared(at(5, 14, 18))
    story.loaded(at(5, 30, 18), "SUB2", rpy="C", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 31), params={"window": "5 business days"})

    (violation,) = verdict.violations
    assert "5 business days window" in violation.message
    assert "RpyStatus 1" in violation.message and "bank still shows" not in violation.message


def test_a_run_that_ends_inside_the_window_is_judged_at_its_end() -> None:
    story = Story()
    wrongly_reported(story)
    story.cleared(at(5, 14, 18))
    story.loaded(at(5, 16, 18), "SUB2", rpy="C", kind="212")

    before = check(story.journal, KEY, end=at(5, 15))
    after = check(story.journal, KEY, end=at(5, 17))

    assert not before.held and "at the end of the run (2019-05-15 00:00)" in before.violations[0].message
    assert after.held


def test_a_dispute_still_flagged_at_the_end_of_the_window_is_a_violation() -> None:
    story = Story()
    wrongly_reported(story)
    story.cleared(at(5, 14, 18))
    dispute = story.dispute(at(5, 16, 9))
    story.loaded(at(5, 16, 18), "SUB2", rpy="C", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 31))

    (violation,) = verdict.violations
    assert "dispute DSP1 of 2019-05 (filed 2019-05-16 09:00) is still flagged" in violation.message
    assert dispute in violation.chain


def test_a_borrower_who_paid_after_the_grace_is_not_judged() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 14, 0, 0, 1))  # the grace ended at the close of 13 May
    story.overdue(at(5, 14, 2))
    story.loaded(at(5, 14, 12), "SUB1")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert verdict.outcome is Outcome.NOT_EXERCISED and verdict.violations == ()


@pytest.mark.parametrize(("business", "judged"), [(False, False), (True, True)])
def test_the_grace_counts_the_days_the_bank_counts(business: bool, judged: bool) -> None:
    """lending-domain.md §2 O1 (collected by the due date plus grace) and #16 (calendar mismatch): a bank whose
    grace is 3 working days (loanRegistered graceBusinessDays) had Wednesday 15 May as the last day for an
    installment due Friday 10 May 2019; with 3 calendar days, Monday 13 May."""
    story = Story()
    story.loan(grace_business_days=business)
    story.repaid(at(5, 15, 10))
    story.overdue(at(5, 14, 2))
    story.loaded(at(5, 16, 12), "SUB1")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert (verdict.checked == 1) is judged
    assert verdict.violated is judged  # judged: paid in time, yet left overdue at the bank and the bureau


@pytest.mark.parametrize(("paid", "judged"), [((5, 13, 20, 15), True), ((5, 13, 20, 45), False)])
def test_the_last_day_ends_at_the_bank_s_cut_off(paid: tuple[int, int, int, int], judged: bool) -> None:
    """loanRegistered's ``cutoff`` is part of the terms: with the bank's day ending at 20:30, money collected at
    20:45 on the last grace day (13 May) is late — the bank marks it overdue and refuses to correct it, so O1
    does not blame the platform; at 20:15 it is on time, and the overdue left standing is a violation."""
    story = Story()
    story.loan(cutoff="20:30:00")
    story.repaid(at(*paid))
    story.overdue(at(5, 14, 2))
    story.loaded(at(5, 14, 12), "SUB1")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert (verdict.checked == 1) is judged
    assert verdict.violated is judged
    if judged:
        assert "grace to 2019-05-13 20:30:00)" in verdict.violations[0].message


def test_a_partial_payment_leaves_the_installment_legitimately_overdue() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 9), amount="500.00")
    story.overdue(at(5, 14, 2))

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert verdict.outcome is Outcome.NOT_EXERCISED and verdict.violations == ()


def test_the_window_takes_a_span_or_its_text_and_refuses_unknown_parameters() -> None:
    story = Story()
    wrongly_reported(story)

    as_text = check(story.journal, KEY, end=at(7, 31), params={"window": "10 days"})
    as_span = check(story.journal, KEY, end=at(7, 31), params={"window": Span(10, business=False)})

    assert as_text == as_span and "10 days window" in as_text.violations[0].message
    with pytest.raises(ConfigError, match="did you mean 'window'"):
        check(story.journal, KEY, end=at(7, 31), params={"windw": "10 days"})


def test_a_payment_without_an_installment_number_pays_the_oldest_installment_due() -> None:
    story = Story()
    story.loan()
    story.repaid(at(3, 10, 9), no=1, amount="1018.00", due="2019-03-10")
    story.event(
        "platform",
        "borrowerRepaid",
        at(4, 10, 9),
        borrower="B000123",
        loan=LOAN,
        data={"amount": "1012.00", "paidAt": at(4, 10, 9).isoformat()},
    )
    story.overdue(at(4, 14, 2), no=2, due="2019-04-10")

    verdict = check(story.journal, KEY, end=at(7, 31))

    (violation,) = verdict.violations
    assert verdict.checked == 2 and "installment 2 (due 2019-04-10" in violation.message


def test_a_month_kept_negative_by_another_installment_paid_late_is_not_held_against_one_paid_on_time() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 9))  # installment 3, on time
    story.apply(at(5, 10, 9))
    story.posted(at(5, 10, 9, 0, 2))
    story.furnished(at(5, 14, 4), "SUB1", installments=(2,))  # installment 2, really late, makes May negative
    story.loaded(at(5, 14, 12), "SUB1")
    story.event(
        "bank",
        "correctionSubmitted",
        at(5, 20, 4),
        borrower="B000123",
        loan=LOAN,
        data={"submissionId": "SUB2", "month": "2019-05", "negative": True, "installments": [2]},
    )
    story.loaded(at(5, 20, 12), "SUB2", kind="212")

    verdict = check(story.journal, KEY, end=at(7, 31))

    assert verdict.held
