"""O9 one_order_per_collection on hand-built journals."""

from __future__ import annotations

from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, Story, at, check

KEY = "one_order_per_collection"


def test_a_collection_retried_under_its_own_key_is_one_order() -> None:
    story = Story()
    story.loan()
    paid = at(5, 10, 20)
    story.repaid(paid)
    story.apply(at(5, 10, 20, 1), fault="timeout")
    story.apply(at(5, 10, 21), state="SUCCESS", actual=paid)
    story.posted(at(5, 10, 21))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 1


def test_a_retry_under_a_fresh_key_is_a_second_order_even_when_the_bank_refuses_it() -> None:
    story = Story()
    story.loan()
    paid = at(5, 10, 10)
    collected = story.repaid(paid)
    first = story.apply(at(5, 10, 10, 0, 1), serial="RP3", actual=paid)
    posted = story.posted(at(5, 10, 10, 0, 31), serial="RP3")
    second = story.apply(at(5, 10, 10, 0, 4), serial="RP3-retry", actual=paid)
    refused = story.refused(at(5, 10, 10, 0, 34), "RP3-retry")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O9", BORROWER, LOAN)
    assert "payment of 1006.00 (collected 2019-05-10 10:00) reached the bank as 2 orders, 1 posted" in violation.message
    assert "RP3 posted, RP3-retry refused E1003" in violation.message
    assert violation.chain == (collected, *first, posted, *second, refused)


def test_a_request_an_outage_refused_never_reached_the_bank_and_is_no_order() -> None:
    story = Story()
    story.loan()
    paid = at(5, 10, 20)
    story.repaid(paid)
    story.apply(at(5, 10, 20, 1), serial="RP3-a", status=503, actual=paid)
    story.apply(at(5, 10, 21), serial="RP3-b", fault="connection_reset", actual=paid)
    story.apply(at(5, 14, 18), serial="RP3-c", actual=paid)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 1


def test_two_payments_of_one_amount_forwarded_late_are_told_apart_by_when_they_were_collected() -> None:
    story = Story()
    story.loan()
    story.repaid(at(4, 10, 20), no=2, due="2019-04-10")
    story.repaid(at(5, 10, 20))
    story.apply(at(5, 11, 9), serial="RP3", actual=at(5, 10, 20))  # the later one first
    story.apply(at(5, 11, 9, 1), serial="RP2", no=2, actual=at(4, 10, 20))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 2


def test_a_payment_in_two_equal_parts_at_one_instant_is_two_collections_and_two_orders() -> None:
    """Found by lendsim explore against the resilient platform: a borrower paying an installment in two equal parts
    at the same instant made two collections the platform rightly forwarded as two orders; O9 took them for one."""
    story = Story()
    story.loan()
    paid = at(6, 1, 0)
    story.repaid(paid)
    story.repaid(paid)
    story.apply(at(6, 1, 0, 0, 1), serial="RP12", actual=paid)
    story.apply(at(6, 1, 0, 0, 2), serial="RP13", actual=paid)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 2


def test_the_platforms_own_money_and_other_senders_orders_are_not_judged() -> None:
    story = Story()
    story.loan()
    story.repaid(at(5, 10, 20))
    story.apply(at(5, 14, 9), serial="CP3", mode="PARTNER_REPAY")  # compensation: no borrower collection behind it
    story.apply(at(5, 14, 9, 1), serial="HX3", source="harness")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED and verdict.violations == ()


def test_an_order_sent_before_any_collection_on_its_loan_is_not_judged() -> None:
    story = Story()
    story.loan()
    story.apply(at(5, 9, 9), serial="RP0")
    story.apply(at(5, 9, 9, 1), serial="RP0b")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED
