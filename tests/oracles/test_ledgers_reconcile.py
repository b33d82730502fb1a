"""O4 ledgers_reconcile on hand-built journals."""

from __future__ import annotations

from tests.oracles.story import LOAN, Story, at, check, paid_row

KEY = "ledgers_reconcile"


def test_a_platform_ledger_that_matches_the_postings_to_the_cent_holds() -> None:
    story = Story()
    story.loan()
    story.posted(at(3, 10, 9), no=1, interest="18.00", serial="RP1")
    story.posted(at(5, 10, 9), no=3, serial="RP3")
    story.ledger(at(7, 1), [paid_row(1, interest="18.00"), paid_row(2, "0.00", "0.00"), paid_row(3)])

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_a_collection_the_bank_never_posted_is_a_violation() -> None:
    story = Story()
    story.loan()
    repaid = story.repaid(at(5, 10, 20, 15))
    ledger = story.ledger(at(7, 1), [paid_row(3)])

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O4", "B000123", LOAN)
    assert "installment 3 (nothing posted at the bank): principal 1000.00 vs 0.00, interest 6.00 vs 0.00" in (
        violation.message
    )
    assert violation.chain == (repaid, ledger)


def test_a_double_posting_is_a_violation() -> None:
    story = Story()
    story.loan()
    first = story.posted(at(5, 10, 9), serial="RP3")
    second = story.posted(at(5, 10, 10), serial="RP3-retry")
    ledger = story.ledger(at(7, 1), [paid_row(3)])

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "installment 3: principal 1000.00 vs 2000.00, interest 6.00 vs 12.00" in violation.message
    assert violation.chain == (first, second, ledger)


def test_postings_after_the_ledger_was_read_do_not_count() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9))
    story.ledger(at(7, 1), [paid_row(3)])
    story.posted(at(7, 1, 0, 0, 1), no=2, serial="RP2")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held


def test_the_fund_penalty_the_bank_posted_reconciles_with_the_platforms_paid_penalty() -> None:
    """lending-domain.md §2 O4: the ledgers match to the cent "with penalty splits accounted for"; §1.2 (6): the
    bank's books hold the funder's penalty (paidFundPenalty), apart from the platform's own [S5 2.12]."""
    story = Story()
    story.loan()
    story.posted(at(5, 20, 9), penalty="7.95")
    story.ledger(at(7, 1), [paid_row(3) | {"paidPenalty": "7.95"}])

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_a_platform_that_computes_the_penalty_differently_from_its_bank_is_a_violation() -> None:
    """lending-domain.md §2 O4 (to the cent, penalty splits accounted for): a platform that rounds each day's
    penalty (7.99) where the bank rounds the accrued total (7.95) no longer reconciles."""
    story = Story()
    story.loan()
    posted = story.posted(at(5, 20, 9), penalty="7.95")
    ledger = story.ledger(at(7, 1), [paid_row(3) | {"paidPenalty": "7.99"}])

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "installment 3: penalty 7.99 vs 7.95" in violation.message
    assert violation.chain == (posted, ledger)


def test_the_ledgers_of_a_run_made_in_pieces_are_read_together_each_for_its_own_loans() -> None:
    """A run in pieces keeps each piece's platform ledger (docs/cluster.md): the events of the last reading
    instant make one ledger; each loan is compared with postings made before its own ledger was read."""
    story = Story()
    story.loan()
    story.loan("LN201902100002", "B000124")
    story.posted(at(5, 10, 9))
    story.posted(at(5, 10, 9), loan="LN201902100002", borrower="B000124", serial="RP3-2")
    first = story.ledger(at(7, 1), [paid_row(3)])
    story.posted(at(7, 1), no=2, loan="LN201902100002", borrower="B000124", serial="RP2-2")  # before its ledger
    second = story.ledger(at(7, 1), [paid_row(3)], loan="LN201902100002")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.checked == 2
    (violation,) = verdict.violations
    assert violation.loan == "LN201902100002"
    assert "installment 2 (not in the platform's ledger)" in violation.message
    assert second in violation.chain and first not in violation.chain


def test_only_the_last_reading_of_the_ledger_counts() -> None:
    story = Story()
    story.loan()
    story.loan("LN201902100002", "B000124")
    story.posted(at(5, 10, 9))
    story.ledger(at(6, 1), [paid_row(3)], loan="LN201902100002")  # an earlier reading: the last one replaces it
    story.ledger(at(7, 1), [paid_row(3)])

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_a_run_without_the_platforms_ledger_cannot_be_reconciled() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert not verdict.held and "no platformLedger event" in verdict.violations[0].message


def test_before_the_days_file_is_out_only_the_installments_total_is_compared() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9), principal="1006.00", interest="0.00", accounting_date="2019-05-10")
    story.ledger(at(5, 10, 12), [paid_row(3)])  # split 1000 + 6 by the platform, the bank took it all as principal
    early = check(story.journal, KEY, end=at(5, 10, 12))
    story.event("bank", "reconciliationFileReady", at(5, 11, 3), data={"fileDate": "2019-05-10"})
    story.ledger(at(5, 11, 4), [paid_row(3)])

    late = check(story.journal, KEY, end=at(5, 11, 4))

    assert early.held
    (violation,) = late.violations
    assert "installment 3: principal 1000.00 vs 1006.00, interest 6.00 vs 0.00" in violation.message
