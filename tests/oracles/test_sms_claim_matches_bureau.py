"""O15 sms_claim_matches_bureau on hand-built journals."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, Story, at, check

KEY = "sms_claim_matches_bureau"
REPORTED = "SMS_100000001"  # a deployment's own "已报送" template
CLAIMS = {"reported": [REPORTED]}


def correction(story: Story, when: datetime, event: str = "correctionAccepted", no: int = 3) -> int:
    data = {"installmentNo": no, "month": "2019-05", "status": "ACCEPTED", "bureauRecordType": "212"}
    return story.event("bank", event, when, borrower=BORROWER, loan=LOAN, serial="CR1", data=data)


def says_reported(story: Story, when: datetime, biz: str = "5^0") -> int:
    """An SMS telling the borrower the delinquency of installment 3 (due 2019-05-10) was reported."""
    params = {"platform": "小米金融", "dueDate": "2019-05-10"}
    return story.sms(when, out_id=None, template=REPORTED, params=params, source="platform", sent=when, biz=biz)


def test_overdue_notices_sent_before_any_correction_hold() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 5), source="bank", sent=at(5, 14, 2))
    correction(story, at(5, 20))  # the platform had it corrected afterwards: the notice was true when sent

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 1


def test_an_overdue_notice_sent_after_the_bank_accepted_a_correction_of_it_is_a_violation() -> None:
    story = Story()
    story.loan()
    story.notice_failed(at(5, 14, 2))  # the gateway was down: tried again at the next batch
    corrected = correction(story, at(5, 14, 15))
    story.notice_sent(at(5, 15, 2))
    notice = story.sms(at(5, 15, 2, 0, 5), source="bank", sent=at(5, 15, 2))

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O15", BORROWER, LOAN)
    assert violation.message == (
        f"the overdue notice SMS_153055065 of loan {LOAN} installment 3 was sent at 2019-05-15 02:00, telling the "
        "borrower the delinquency is being reported, after the bank had accepted correction CR1 of that "
        "installment at 2019-05-14 15:00: the SMS claims a report the furnisher withdrew"
    )
    assert violation.chain == (corrected, notice)


def test_a_correction_of_another_installment_does_not_contradict_the_notice() -> None:
    story = Story()
    story.loan()
    correction(story, at(5, 14, 1), "correctionCompleted", no=2)
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 5), source="bank", sent=at(5, 14, 2))

    assert check(story.journal, KEY, end=at(7, 1)).held


def test_a_reported_claim_holds_only_while_the_bureau_holds_a_negative_record() -> None:
    story = Story()
    story.loan()
    early = says_reported(story, at(5, 20, 10), "1^0")  # nothing filed yet
    negative = story.loaded(at(6, 1, 12), "S1")
    says_reported(story, at(6, 2, 10), "2^0")  # true: the bureau holds 2019-05 as RpyStatus 1
    story.loaded(at(6, 10, 12), "S2", rpy="N", kind="212")  # corrected
    stale = says_reported(story, at(6, 11, 10), "3^0")

    verdict = check(story.journal, KEY, end=at(7, 1), params=CLAIMS)

    first, second = verdict.violations
    assert verdict.checked == 3
    assert "sent at 2019-05-20 10:00 told the borrower that loan" in first.message
    assert "the bureau held no negative record of the loan" in first.message and first.chain == (early,)
    assert "the bureau's negative record of 2019-05 had been corrected" in second.message
    assert second.chain == (negative, stale)


def test_a_run_without_a_claim_about_the_bureau_judged_nothing() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 10), out_id="rst-1", template="SMS_153055080", params={"bank": "民生银行"}, source="platform")
    says_reported(story, at(6, 2, 10))  # not a claim unless `reported` names its template

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED
    assert verdict.reason == "judged nothing: no SMS claiming a bureau report in the run"


def test_reported_must_be_template_codes() -> None:
    with pytest.raises(ConfigError, match="reported"):
        check(Story().journal, KEY, end=at(7, 1), params={"reported": {"SMS_1": "x"}})
