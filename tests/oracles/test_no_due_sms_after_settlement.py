"""O14 no_due_sms_after_settlement on hand-built journals."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, Story, at, check

KEY = "no_due_sms_after_settlement"
REMINDER = "SMS_153055070"


def remind(story: Story, when: datetime, *, sent: datetime | None = None, template: str = REMINDER) -> int:
    """The platform's repayment reminder of installment 3 (due 2019-05-10) reaching the borrower's phone."""
    params = {"platform": "小米金融", "amount": "1006.00", "dueDate": "2019-05-10"}
    return story.sms(when, out_id=None, template=template, params=params, source="platform", sent=sent, biz="9^0")


def settle_paid(story: Story, when: datetime) -> int:
    """The borrower paying the bank's settlement quote in the platform's app (the runner's ``borrowerRepaid``)."""
    data = {"amount": "3036.00", "paidAt": when.isoformat(), "repayType": "EARLY_SETTLE"}
    return story.event("platform", "borrowerRepaid", when, borrower=BORROWER, loan=LOAN, data=data)


def test_a_settled_loan_that_hears_nothing_more_holds_and_sms_before_the_settlement_do_not_count() -> None:
    story = Story()
    story.loan()
    remind(story, at(5, 6, 10))
    story.settled(at(5, 6, 20))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 1


def test_a_reminder_and_an_overdue_notice_after_the_settlement_are_one_violation_naming_both() -> None:
    story = Story()
    story.loan()
    settled = story.settled(at(5, 6, 20))
    reminder = remind(story, at(5, 7, 10))
    story.overdue(at(5, 14, 2))  # the bank marking an installment of a settled loan (O6 sees that side)
    story.notice_sent(at(5, 14, 2))
    notice = story.sms(at(5, 14, 2, 0, 5), source="bank", sent=at(5, 14, 2))

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O14", BORROWER, LOAN)
    assert violation.message == (
        f"loan {LOAN} was settled at the bank at 2019-05-06 20:00, but 2 due SMS about it reached the borrower "
        f"after that: reminder {REMINDER} of installment 3 sent 2019-05-07 10:00; overdue notice SMS_153055065 of "
        "installment 3 sent 2019-05-14 02:00; a settled loan has nothing due"
    )
    assert violation.chain == (settled, reminder, notice)


def test_the_borrowers_payment_of_the_settlement_counts_when_the_bank_never_gets_it() -> None:
    story = Story()
    story.loan()
    paid = settle_paid(story, at(5, 4, 20))  # the platform dropped it: the bank never settles the loan
    story.overdue(at(5, 14, 2))
    story.notice_sent(at(5, 14, 2))
    notice = story.sms(at(5, 14, 2, 0, 5), source="bank", sent=at(5, 14, 2))

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "was settled by the borrower (paid the settlement quote) at 2019-05-04 20:00" in violation.message
    assert violation.chain == (paid, notice)


def test_the_notice_of_an_installment_found_overdue_before_the_settlement_is_allowed() -> None:
    story = Story()
    story.loan()
    story.overdue(at(5, 14, 2))  # paid late: the month will be reported late, and Art. 15 wants the notice first
    story.settled(at(5, 20, 20))
    story.notice_sent(at(5, 21, 2))
    story.sms(at(5, 21, 2, 0, 5), source="bank", sent=at(5, 21, 2))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 1


def test_an_sms_in_flight_when_the_loan_was_settled_is_judged_by_when_it_was_sent() -> None:
    story = Story()
    story.loan()
    story.settled(at(5, 6, 20))
    remind(story, at(5, 6, 20, 30), sent=at(5, 6, 19, 59))  # held up at the operator: not the sender's doing
    late = check(story.journal, KEY, end=at(7, 1))
    remind(story, at(5, 6, 21), sent=at(5, 6, 20, 1))

    assert late.outcome is Outcome.HELD
    assert check(story.journal, KEY, end=at(7, 1)).violated


def test_copies_of_one_send_are_one_sms_and_other_templates_are_not_due_sms() -> None:
    story = Story()
    story.loan()
    story.settled(at(5, 6, 20))
    remind(story, at(5, 7, 10))
    remind(story, at(5, 7, 10, 0, 1))  # the same bizId again: a duplicate at the handset
    story.sms(at(5, 8, 10), out_id="rst-1", template="SMS_153055080", params={"bank": "民生银行"}, biz="7^0")

    (violation,) = check(story.journal, KEY, end=at(7, 1)).violations

    assert "1 due SMS about it" in violation.message


def test_reminders_names_the_reminder_templates() -> None:
    story = Story()
    story.loan()
    story.settled(at(5, 6, 20))
    remind(story, at(5, 7, 10), template="SMS_100000001")

    assert check(story.journal, KEY, end=at(7, 1)).held
    assert check(story.journal, KEY, end=at(7, 1), params={"reminders": ["SMS_100000001"]}).violated


def test_a_run_without_a_settlement_judged_nothing() -> None:
    story = Story()
    story.loan()
    remind(story, at(5, 7, 10))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED and verdict.reason == "judged nothing: no settled loans in the run"


def test_reminders_must_be_template_codes() -> None:
    with pytest.raises(ConfigError, match="reminders"):
        check(Story().journal, KEY, end=at(7, 1), params={"reminders": [70]})
