"""The overdue batch: past due + grace turns OVERDUE, one notice SMS per installment, penalties, faults."""

from __future__ import annotations

import json
from decimal import Decimal

from simulator.core import Engine
from simulator.partners.bank import BankConfig
from tests.partners.bank.helpers import (
    Receiver,
    at,
    events,
    get_loan,
    installment,
    new_engine,
    register,
    repay,
    repayment,
    requests,
)

APRIL = {"disburseDate": "2019-04-10"}  # installment 1 due 10 May: 1000.00 + 18.00


def test_an_unpaid_installment_turns_overdue_at_the_first_batch_after_its_grace(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 1, 59))
    assert events(engine, "installmentOverdue") == []

    engine.advance(to=at(5, 14, 2))

    (overdue,) = events(engine, "installmentOverdue")
    assert overdue.virtual_time == at(5, 14, 2)
    assert (overdue.borrower, overdue.loan) == ("B000123", "LN201902100001")
    assert overdue.data == {
        "installmentNo": 1,
        "dueDate": "2019-05-10",
        "graceEnd": "2019-05-13T23:59:59+08:00",
        "overdueDays": 4,
        "outstanding": "1020.00",
        "penalty": "2.00",
    }
    assert installment(engine, 1)["status"] == "OVERDUE"
    assert get_loan(engine).json()["status"] == "OVERDUE"


def test_without_grace_an_installment_is_overdue_the_night_after_its_due_date() -> None:
    engine, _ = new_engine(BankConfig(grace_days=0))
    register(engine, **APRIL)

    engine.advance(to=at(5, 11, 3))

    (overdue,) = events(engine, "installmentOverdue")
    assert overdue.virtual_time == at(5, 11, 2)


def test_an_installment_posted_before_the_batch_is_not_overdue(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 13, 23))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-13T23:00:00+08:00"))

    engine.advance(to=at(5, 20))

    assert events(engine, "installmentOverdue") == []
    assert requests(engine, "sms", "sendSms") == []


def test_the_overdue_notice_is_one_sms_to_the_phone_registered_with_the_loan(
    engine: Engine, receiver: Receiver
) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(5, 14, 3))

    (sent,) = requests(engine, "sms", "sendSms")
    body = sent.data["body"]
    assert (body["PhoneNumbers"], body["SignName"], body["TemplateCode"]) == (
        "13912345678",
        "民生银行",
        "SMS_153055065",
    )
    assert json.loads(body["TemplateParam"]) == {"platform": "小米金融", "dueDate": "2019-05-10"}
    assert body["OutId"] == "ovd-LN201902100001-1-SMS_153055065"
    (noticed,) = events(engine, "overdueNoticeSent")
    assert noticed.sms_out_id == body["OutId"] and noticed.loan == "LN201902100001"
    assert noticed.data["bizId"] == "900619557514803254^0"  # the gateway's answer (its contract example here)
    (notice,) = receiver.of("bankNotice")
    assert (notice["noticeType"], notice["installmentNo"], notice["overdueDays"]) == ("OVERDUE", 1, 4)
    assert (notice["amountDue"], notice["smsTemplateCode"]) == ("1020.00", "SMS_153055065")


def test_exactly_one_sms_per_installment_even_when_the_batch_runs_on_several_days(engine: Engine) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(5, 21))

    assert len([e for e in events(engine, "overdueBatch") if e.virtual_time >= at(5, 14)]) == 7
    assert len(requests(engine, "sms", "sendSms")) == 1
    assert len(events(engine, "installmentOverdue")) == 1


def test_a_batch_run_three_times_by_a_duplicate_fault_still_sends_one_sms(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.overdueBatch", "duplicate": {"times": 3}})

    engine.advance(to=at(5, 14, 3))

    assert len([e for e in events(engine, "overdueBatch") if e.virtual_time == at(5, 14, 2)]) == 3
    assert len(requests(engine, "sms", "sendSms")) == 1
    assert installment(engine, 1)["dueFundPenalty"] == "2.00"


def test_a_notice_the_gateway_refused_is_sent_again_at_the_next_batch(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "sms.sendSms", "outage": {"status": 503}, "from": at(5, 14), "until": at(5, 14, 12)})

    engine.advance(to=at(5, 16))

    (failed,) = events(engine, "overdueNoticeFailed")
    assert (failed.virtual_time, failed.data["status"]) == (at(5, 14, 2), 503)
    (sent,) = events(engine, "overdueNoticeSent")
    assert (sent.virtual_time, sent.data["attempts"]) == (at(5, 15, 2), 2)
    assert len(requests(engine, "sms", "sendSms")) == 2


def test_a_notice_whose_answer_was_lost_is_looked_up_and_sent_again_only_if_missing(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "sms.sendSms", "drop": {}, "from": at(5, 14), "until": at(5, 14, 12)})

    engine.advance(to=at(5, 16))

    (unknown,) = events(engine, "overdueNoticeUnknown")
    assert unknown.data["transportFault"] == "timeout"
    (looked_up,) = requests(engine, "sms", "querySendDetails")
    assert "PhoneNumber=13912345678" in looked_up.data["query"] and "SendDate=20190514" in looked_up.data["query"]
    assert len(requests(engine, "sms", "sendSms")) == 2  # the outbox did not have it: sent again on 15 May
    assert events(engine, "overdueNoticeSent")[0].virtual_time == at(5, 15, 2)


def test_a_notice_found_in_the_outbox_after_a_lost_answer_is_not_sent_twice(engine: Engine) -> None:
    register(engine)  # installment 3 due 10 May: the gateway's example outbox holds its OutId
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-03-10T09:00:00+08:00"))
    repay(engine, repayment("RP2", 2, "1000.00", "12.00", collected="2019-04-10T09:00:00+08:00"))
    engine.add_fault({"at": "sms.sendSms", "timeout_after_commit": {}, "from": at(5, 14), "until": at(5, 14, 12)})

    engine.advance(to=at(5, 16))

    assert len(requests(engine, "sms", "sendSms")) == 1
    (sent,) = events(engine, "overdueNoticeSent")
    assert (sent.virtual_time, sent.data["confirmedBy"]) == (at(5, 15, 2), "querySendDetails")


def test_a_dropped_batch_run_is_skipped_and_the_next_one_catches_up(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.overdueBatch", "drop": {}, "from": at(5, 14), "until": at(5, 14, 12)})

    engine.advance(to=at(5, 16))

    (skipped,) = events(engine, "overdueBatchSkipped")
    assert (skipped.virtual_time, skipped.data["businessDate"], skipped.data["action"]) == (
        at(5, 14, 2),
        "2019-05-14",
        "drop",
    )
    (overdue,) = events(engine, "installmentOverdue")
    assert (overdue.virtual_time, overdue.data["overdueDays"], overdue.data["penalty"]) == (at(5, 15, 2), 5, "2.50")


def test_a_delayed_batch_runs_that_much_later(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault(
        {"at": "bank.overdueBatch", "latency": {"delay": "PT3H"}, "from": at(5, 14), "until": at(5, 14, 12)}
    )

    engine.advance(to=at(5, 15))

    (postponed,) = events(engine, "overdueBatchPostponed")
    assert postponed.data["runAt"] == "2019-05-14T05:00:00+08:00"
    assert events(engine, "installmentOverdue")[0].virtual_time == at(5, 14, 5)


def test_the_penalty_accrues_daily_on_overdue_principal(engine: Engine) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(5, 16, 3))

    assert installment(engine, 1)["dueFundPenalty"] == "3.00"  # 1000.00 × 0.0005 × 6 days


def test_a_zero_penalty_rate_charges_none() -> None:
    engine, _ = new_engine(BankConfig(penalty_rate=Decimal(0)))
    register(engine, **APRIL)

    engine.advance(to=at(5, 20))

    assert installment(engine, 1)["dueFundPenalty"] == "0.00"
    assert installment(engine, 1)["status"] == "OVERDUE"


def test_money_collected_within_grace_but_posted_after_the_batch_clears_the_overdue_and_its_penalty(
    engine: Engine,
) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 18))

    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T20:15:00+08:00"))
    engine.advance(to=at(5, 14, 19))

    row = installment(engine, 1)
    assert (row["status"], row["dueFundPenalty"], row["actualRepayDate"]) == ("REPAYED", "0.00", "2019-05-10")
    (posted,) = events(engine, "repayPosted")
    assert (posted.data["penaltyWaived"], posted.data["clearedOverdue"]) == ({"1": "2.00"}, [1])
    (cleared,) = events(engine, "overdueCleared")
    assert cleared.data["collectedWithinGrace"] is True
    assert cleared.data["markedAt"] == "2019-05-14T02:00:00+08:00"
    assert get_loan(engine).json()["status"] == "ACTIVE"


def test_money_collected_after_grace_pays_the_penalty_first(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 15, 18))

    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-15T10:00:00+08:00"))
    engine.advance(to=at(5, 15, 19))

    row = installment(engine, 1)
    assert (row["status"], row["paidFundPenalty"], row["paidPrincipal"]) == ("OVERDUE", "2.50", "997.50")
    assert events(engine, "overdueCleared") == []
