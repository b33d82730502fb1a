"""Bureau furnishing: changed accounts as 210 records, notice before a negative record, feedback acted on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from simulator.core import Engine
from simulator.partners.bank import BankConfig
from simulator.partners.bank._account import LoanAccount
from simulator.partners.bank._bureau import Furnisher
from simulator.partners.bank._furnishing import Segment
from tests.partners.bank.helpers import (
    Receiver,
    at,
    events,
    get_loan,
    install_stub_bureau,
    late_forwarded_incident,
    new_engine,
    register,
    repay,
    repayment,
    requests,
    submitted_records,
)

APRIL = {"disburseDate": "2019-04-10"}
SMS_DOWN_UNTIL_JUNE = {"at": "sms.sendSms", "outage": {"status": 503}, "from": at(5, 14), "until": at(6, 2)}


def _summary(record: dict[str, Any]) -> tuple[str, str, str, str, str]:
    segment = record["AcctMthlyBlgInfSgmt"]
    return record["RptDate"], record["RptDateCode"], segment["Month"], segment["RpyStatus"], segment["AcctStatus"]


def test_an_account_is_reported_at_its_opening_and_at_each_months_settlement_never_in_between(engine: Engine) -> None:
    """lending-domain.md §1.3: RptDateCode 10 新开户 · 30 月度结算; "reporting is event-driven (10/20/40) plus
    monthly (30)". The overdue of 14 May is no reporting moment of its own: May's settlement (30) carries it."""
    register(engine, **APRIL)

    engine.advance(to=at(6, 2, 12))

    records = submitted_records(engine)
    assert [_summary(r) for r in records] == [
        ("2019-04-30", "10", "2019-04", "N", "1"),  # the first run: the opening month's final state opens it
        ("2019-05-31", "30", "2019-05", "1", "2"),  # May's settlement, overdue since 14 May
    ]
    first = records[0]
    assert (first["InfRecType"], first["AcctCode"], first["MngmtOrgCode"]) == (
        "210",
        "LN201902100001",
        "B10211000H0001",
    )
    assert (first["IDNum"], first["OpenDate"], first["LoanAmt"], first["DueDate"]) == (
        "110105199003071239",
        "2019-04-10",
        "3000.00",
        "2019-07-10",
    )
    assert [e.data["rptDateCode"] for e in events(engine, "furnished")] == ["10", "30"]


def test_a_stock_account_is_first_reported_at_a_month_end_with_31() -> None:
    """lending-domain.md §1.3: 31 月结日首次上报存量账户 — an account opened before the month its first record
    reports (the run starts with loans disbursed in February) opens at the bureau on a month end, with 31."""
    engine, _ = new_engine()
    register(engine)  # disbursed 10 February 2019

    engine.advance(to=at(5, 2))

    assert [_summary(r) for r in submitted_records(engine)] == [("2019-04-30", "31", "2019-04", "N", "1")]


def test_the_overdue_notice_precedes_the_negative_record(engine: Engine, receiver: Receiver) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(6, 1, 12))

    negative = [e for e in events(engine, "furnished") if e.data["negative"]]
    (reported,) = negative
    (noticed,) = events(engine, "overdueNoticeSent")
    assert noticed.seq < reported.seq
    assert (reported.virtual_time, reported.data["rpyStatus"], reported.data["installments"]) == (
        at(6, 1, 4),
        "1",
        [1],
    )
    assert reported.data["noticesSentAt"] == {"1": "2019-05-14T02:00:00+08:00"}
    assert [n["noticeType"] for n in receiver.of("bankNotice")] == ["OVERDUE", "BUREAU_REPORTED"]


def test_a_negative_record_waits_until_the_notice_has_gone_out(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault(SMS_DOWN_UNTIL_JUNE)

    engine.advance(to=at(6, 2, 12))

    (withheld,) = events(engine, "furnishWithheld")
    assert (withheld.virtual_time, withheld.data["installments"]) == (at(6, 1, 4), [1])
    (noticed,) = events(engine, "overdueNoticeSent")
    (reported,) = [e for e in events(engine, "furnished") if e.data["negative"]]
    assert noticed.virtual_time == at(6, 2, 2) and reported.virtual_time == at(6, 2, 4)
    assert reported.data["rptDate"] == "2019-05-31"  # May's settlement, sent a day late


@pytest.mark.parametrize(("lead", "reported_on"), [("0 days", at(6, 1, 4)), ("2 working days", at(6, 4, 4))])
def test_a_notice_lead_time_holds_the_negative_record_until_it_has_passed(lead: str, reported_on: datetime) -> None:
    """lending-domain.md §1.4 Art. 15 (notice 事先, before reporting) and §2 #16 (calendars per rule): with a
    lead time of 2 working days, a notice sent Friday 31 May lets the record go out on Tuesday 4 June."""
    engine, _ = new_engine(BankConfig.from_mapping({"notice_lead": lead}))
    register(engine, **APRIL)
    engine.add_fault({"at": "sms.sendSms", "outage": {"status": 503}, "from": at(5, 14), "until": at(5, 31)})

    engine.advance(to=at(6, 5))

    (noticed,) = events(engine, "overdueNoticeSent")
    (reported,) = [e for e in events(engine, "furnished") if e.data["negative"]]
    assert noticed.virtual_time == at(5, 31, 2)
    assert reported.virtual_time == reported_on


def test_a_misbehaving_bank_reports_the_delinquency_without_notice() -> None:
    engine, _ = new_engine(BankConfig(notice_before_report=False))
    register(engine, **APRIL)
    engine.add_fault(SMS_DOWN_UNTIL_JUNE)

    engine.advance(to=at(6, 1, 12))

    (reported,) = [e for e in events(engine, "furnished") if e.data["negative"]]
    assert reported.virtual_time == at(6, 1, 4)
    assert (reported.data["noticesSentAt"], reported.data["withoutNotice"]) == ({}, [1])
    assert events(engine, "overdueNoticeSent") == []


def test_a_late_posting_clears_the_overdue_at_the_bank_but_the_bureau_record_stays_negative(engine: Engine) -> None:
    """lending-domain.md §1.3: 20 账户关闭 — the late posting of 14 May settles the loan, an event reported the next
    morning with May as it stood at the bank (overdue from the 14th: RpyStatus 1, AcctStatus 3 closed)."""
    late_forwarded_incident(engine)

    engine.advance(to=at(5, 20))

    assert get_loan(engine).json()["status"] == "SETTLED"
    may = [_summary(r) for r in submitted_records(engine) if r["AcctMthlyBlgInfSgmt"]["Month"] == "2019-05"]
    assert may == [
        ("2019-05-15", "20", "2019-05", "1", "3"),  # posted late: closed (20), but May was delinquent at the bank
    ]
    assert all(r["InfRecType"] == "210" for r in submitted_records(engine))


def test_a_recovery_is_reported_with_code_40_and_the_months_status_kept(engine: Engine) -> None:
    """lending-domain.md §1.3: 40 收回逾期款项 — an overdue the bureau was told of (May's settlement) paid back
    on 5 June is reported the next morning; June keeps the delinquency it had (26 days: RpyStatus 1)."""
    register(engine, **APRIL)
    engine.advance(to=at(6, 5, 10))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", penalty="13.00", collected="2019-06-05T10:00:00+08:00"))

    engine.advance(to=at(6, 7))

    last = submitted_records(engine)[-1]
    assert _summary(last) == ("2019-06-06", "40", "2019-06", "1", "1")
    assert (last["AcctMthlyBlgInfSgmt"]["ActRpyAmt"], last["AcctMthlyBlgInfSgmt"]["LatRpyDate"]) == (
        "1031.00",
        "2019-06-05",
    )


def test_an_overdue_paid_back_before_the_bureau_heard_of_it_waits_for_the_months_settlement(engine: Engine) -> None:
    """lending-domain.md §1.3: 40 is the recovery of an overdue reported before; one paid within its month is no
    reporting moment — May's 30 carries the month's delinquency (RpyStatus 1, the account current again)."""
    register(engine, **APRIL)
    engine.advance(to=at(5, 15, 10))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", penalty="2.50", collected="2019-05-15T10:00:00+08:00"))

    engine.advance(to=at(6, 2))

    assert [_summary(r) for r in submitted_records(engine)] == [
        ("2019-04-30", "10", "2019-04", "N", "1"),
        ("2019-05-31", "30", "2019-05", "1", "1"),
    ]


def test_monthly_furnishing_reports_month_end_snapshots_that_hide_what_was_put_right() -> None:
    """lending-domain.md §1.3: Huabei-style month-end snapshots hide intra-month corrections; the codes are the
    month-end ones — 31 月结日首次上报存量账户 for an account opened before, 32 月结日账户关闭 for one closed."""
    engine, _ = new_engine(BankConfig(furnishing="monthly"))
    late_forwarded_incident(engine)

    engine.advance(to=at(6, 2))

    assert [_summary(r) for r in submitted_records(engine)] == [
        ("2019-04-30", "31", "2019-04", "N", "1"),  # disbursed in February: a stock account
        ("2019-05-31", "32", "2019-05", "C", "3"),
    ]
    assert not any(e.data["negative"] for e in events(engine, "furnished"))


def test_feedback_is_read_at_the_next_run_and_each_rejection_retried_or_escalated() -> None:
    engine, _ = new_engine()
    codes = ["0000", "ABR002", "ABE007"]
    install_stub_bureau(engine, lambda record: codes.pop(0) if codes else "0000")
    register(engine, **APRIL)

    engine.advance(to=at(6, 3, 12))

    (loaded,) = events(engine, "furnishLoaded")
    assert (loaded.virtual_time, loaded.data["month"], loaded.data["code"]) == (at(5, 2, 4), "2019-04", "0000")
    (retry,) = events(engine, "furnishRetry")
    assert (retry.virtual_time, retry.data["code"]) == (at(6, 2, 4), "ABR002")
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-31", "2019-05-31"]
    (escalated,) = events(engine, "furnishEscalated")
    assert (escalated.virtual_time, escalated.data["code"], escalated.loan) == (at(6, 3, 4), "ABE007", "LN201902100001")


def test_an_opening_record_the_bureau_bounces_is_sent_again_as_the_opening() -> None:
    """lending-domain.md §1.3: 10 新开户 opens the account at the bureau; a resend after ABR002 opens it still."""
    engine, _ = new_engine()
    codes = ["ABR002"]
    install_stub_bureau(engine, lambda record: codes.pop(0) if codes else "0000")
    register(engine, **APRIL)

    engine.advance(to=at(5, 3))

    assert [(e.data["rptDate"], e.data["rptDateCode"]) for e in events(engine, "furnished")] == [
        ("2019-04-30", "10"),
        ("2019-04-30", "10"),
    ]


def test_a_submission_the_bureau_refused_is_sent_at_the_next_run(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bureau.submitReport", "outage": {"status": 503}, "from": at(6, 1), "until": at(6, 2)})

    engine.advance(to=at(6, 2, 12))

    (failed,) = events(engine, "furnishFailed")
    assert (failed.virtual_time, failed.data["status"]) == (at(6, 1, 4), 503)
    assert [e.virtual_time for e in events(engine, "furnished")] == [at(5, 1, 4), at(6, 2, 4)]
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-31"]


def test_a_dropped_furnishing_run_is_skipped_and_journaled(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.furnishing", "drop": {}, "from": at(6, 1), "until": at(6, 2)})

    engine.advance(to=at(6, 2, 12))

    (skipped,) = events(engine, "furnishingSkipped")
    assert skipped.virtual_time == at(6, 1, 4)
    assert [e.virtual_time for e in events(engine, "furnished")] == [at(5, 1, 4), at(6, 2, 4)]


def test_every_submission_belongs_to_one_loan_and_its_feedback_is_asked_for(engine: Engine) -> None:
    register(engine, **APRIL)
    register(engine, loanOuterNo="LN2", borrowerId="B2", **APRIL)

    engine.advance(to=at(6, 2, 12))

    for entry in requests(engine, "bureau", "submitReport"):
        assert len({record["AcctCode"] for record in entry.data["body"]["records"]}) == 1
    assert len(requests(engine, "bureau", "submissionFeedback")) == 4  # each submission, at the next run


def _segments_computed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, datetime]]:
    """Record (month, as of) of every segment the furnisher computes."""
    computed: list[tuple[str, datetime]] = []
    original = Furnisher.segment

    def recording(self: Furnisher, account: LoanAccount, month: str, as_of: datetime, rpt_date: date) -> Segment:
        computed.append((month, as_of))
        return original(self, account, month, as_of, rpt_date)

    monkeypatch.setattr(Furnisher, "segment", recording)
    return computed


def test_the_run_after_a_submission_does_not_recompute_an_account_with_nothing_new(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _segments_computed(monkeypatch)
    register(engine, **APRIL)

    engine.advance(to=at(5, 6, 12))

    # 1 May: April's final state, reported. Not computed again: April as reported, with no fact since that counts
    # as of its end; May, whose segment has no reporting moment (no 10, 20 or 40) whatever it says.
    april_end = at(4, 30, 23, 59, 59) + timedelta(microseconds=999_999)
    assert computed == [("2019-04", april_end)]
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30"]


def test_a_month_the_bureau_bounces_is_sent_again_although_the_account_is_otherwise_quiet() -> None:
    engine, _ = new_engine()
    codes = ["0000", "ABR002"]
    install_stub_bureau(engine, lambda record: codes.pop(0) if codes else "0000")
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 9))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T09:00:00+08:00"))  # on time: quiet

    engine.advance(to=at(6, 4, 12))

    (retry,) = events(engine, "furnishRetry")
    assert (retry.virtual_time, retry.data["month"]) == (at(6, 2, 4), "2019-05")
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-31", "2019-05-31"]
