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
SMS_DOWN_ON_14_MAY = {"at": "sms.sendSms", "outage": {"status": 503}, "from": at(5, 14), "until": at(5, 15)}


def _summary(record: dict[str, Any]) -> tuple[str, str, str, str, str]:
    segment = record["AcctMthlyBlgInfSgmt"]
    return record["RptDate"], record["RptDateCode"], segment["Month"], segment["RpyStatus"], segment["AcctStatus"]


def test_a_changed_account_is_reported_at_most_once_a_day(engine: Engine) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(5, 13, 12))

    records = submitted_records(engine)
    assert [_summary(r) for r in records] == [
        ("2019-04-30", "10", "2019-04", "N", "1"),  # the first run: last month's final state opens the account
        ("2019-05-02", "30", "2019-05", "N", "1"),  # then this month's
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
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-02"]


def test_the_overdue_notice_precedes_the_negative_record(engine: Engine, receiver: Receiver) -> None:
    register(engine, **APRIL)

    engine.advance(to=at(5, 14, 12))

    negative = [e for e in events(engine, "furnished") if e.data["negative"]]
    (reported,) = negative
    (noticed,) = events(engine, "overdueNoticeSent")
    assert noticed.seq < reported.seq
    assert (reported.virtual_time, reported.data["rpyStatus"], reported.data["installments"]) == (
        at(5, 14, 4),
        "1",
        [1],
    )
    assert reported.data["noticesSentAt"] == {"1": "2019-05-14T02:00:00+08:00"}
    assert [n["noticeType"] for n in receiver.of("bankNotice")] == ["OVERDUE", "BUREAU_REPORTED"]


def test_a_negative_record_waits_until_the_notice_has_gone_out(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault(SMS_DOWN_ON_14_MAY)

    engine.advance(to=at(5, 15, 12))

    (withheld,) = events(engine, "furnishWithheld")
    assert (withheld.virtual_time, withheld.data["installments"]) == (at(5, 14, 4), [1])
    (noticed,) = events(engine, "overdueNoticeSent")
    (reported,) = [e for e in events(engine, "furnished") if e.data["negative"]]
    assert noticed.virtual_time == at(5, 15, 2) and reported.virtual_time == at(5, 15, 4)


def test_a_misbehaving_bank_reports_the_delinquency_without_notice() -> None:
    engine, _ = new_engine(BankConfig(notice_before_report=False))
    register(engine, **APRIL)
    engine.add_fault(SMS_DOWN_ON_14_MAY)

    engine.advance(to=at(5, 14, 12))

    (reported,) = [e for e in events(engine, "furnished") if e.data["negative"]]
    assert reported.virtual_time == at(5, 14, 4)
    assert (reported.data["noticesSentAt"], reported.data["withoutNotice"]) == ({}, [1])
    assert events(engine, "overdueNoticeSent") == []


def test_a_late_posting_clears_the_overdue_at_the_bank_but_the_bureau_record_stays_negative(engine: Engine) -> None:
    late_forwarded_incident(engine)

    engine.advance(to=at(5, 20))

    assert get_loan(engine).json()["status"] == "SETTLED"
    may = [_summary(r) for r in submitted_records(engine) if r["AcctMthlyBlgInfSgmt"]["Month"] == "2019-05"]
    assert may == [
        ("2019-05-02", "30", "2019-05", "N", "1"),
        ("2019-05-14", "30", "2019-05", "1", "2"),  # after the 14 May batch: overdue, reported
        ("2019-05-15", "20", "2019-05", "1", "3"),  # posted late: settled, but May was delinquent at the bank
    ]
    assert all(r["InfRecType"] == "210" for r in submitted_records(engine))


def test_a_recovery_is_reported_with_code_40_and_the_months_status_kept(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 15, 10))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", penalty="2.50", collected="2019-05-15T10:00:00+08:00"))

    engine.advance(to=at(5, 17))

    last = submitted_records(engine)[-1]
    assert _summary(last) == ("2019-05-16", "40", "2019-05", "1", "1")
    assert (last["AcctMthlyBlgInfSgmt"]["ActRpyAmt"], last["AcctMthlyBlgInfSgmt"]["LatRpyDate"]) == (
        "1020.50",
        "2019-05-15",
    )


def test_monthly_furnishing_reports_month_end_snapshots_that_hide_what_was_put_right() -> None:
    engine, _ = new_engine(BankConfig(furnishing="monthly"))
    late_forwarded_incident(engine)

    engine.advance(to=at(6, 2))

    assert [_summary(r) for r in submitted_records(engine)] == [
        ("2019-04-30", "10", "2019-04", "N", "1"),
        ("2019-05-31", "32", "2019-05", "C", "3"),
    ]
    assert not any(e.data["negative"] for e in events(engine, "furnished"))


def test_feedback_is_read_at_the_next_run_and_each_rejection_retried_or_escalated() -> None:
    engine, _ = new_engine()
    codes = ["0000", "ABR002", "ABE007"]
    install_stub_bureau(engine, lambda record: codes.pop(0) if codes else "0000")
    register(engine, **APRIL)

    engine.advance(to=at(5, 4, 12))

    (loaded,) = events(engine, "furnishLoaded")
    assert (loaded.virtual_time, loaded.data["month"], loaded.data["code"]) == (at(5, 2, 4), "2019-04", "0000")
    (retry,) = events(engine, "furnishRetry")
    assert (retry.virtual_time, retry.data["code"]) == (at(5, 3, 4), "ABR002")
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-02", "2019-05-03"]
    (escalated,) = events(engine, "furnishEscalated")
    assert (escalated.virtual_time, escalated.data["code"], escalated.loan) == (at(5, 4, 4), "ABE007", "LN201902100001")


def test_a_submission_the_bureau_refused_is_sent_at_the_next_run(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bureau.submitReport", "outage": {"status": 503}, "from": at(5, 2), "until": at(5, 3)})

    engine.advance(to=at(5, 3, 12))

    (failed,) = events(engine, "furnishFailed")
    assert (failed.virtual_time, failed.data["status"]) == (at(5, 2, 4), 503)
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-03"]


def test_a_dropped_furnishing_run_is_skipped_and_journaled(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.furnishing", "drop": {}, "from": at(5, 2), "until": at(5, 3)})

    engine.advance(to=at(5, 3, 12))

    (skipped,) = events(engine, "furnishingSkipped")
    assert skipped.virtual_time == at(5, 2, 4)
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-03"]


def test_every_submission_belongs_to_one_loan_and_its_feedback_is_asked_for(engine: Engine) -> None:
    register(engine, **APRIL)
    register(engine, loanOuterNo="LN2", borrowerId="B2", **APRIL)

    engine.advance(to=at(5, 3, 12))

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

    # 1 May: April's final state; 2 May: April unchanged, May reported; nothing new after that to compute.
    april_end = at(4, 30, 23, 59, 59) + timedelta(microseconds=999_999)
    assert computed == [("2019-04", april_end), ("2019-04", april_end), ("2019-05", at(5, 2, 4))]
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-02"]


def test_a_month_the_bureau_bounces_is_sent_again_although_the_account_is_otherwise_quiet() -> None:
    engine, _ = new_engine()
    codes = ["0000", "ABR002"]
    install_stub_bureau(engine, lambda record: codes.pop(0) if codes else "0000")
    register(engine, **APRIL)

    engine.advance(to=at(5, 5, 12))

    (retry,) = events(engine, "furnishRetry")
    assert (retry.virtual_time, retry.data["month"]) == (at(5, 3, 4), "2019-05")
    assert [e.data["rptDate"] for e in events(engine, "furnished")] == ["2019-04-30", "2019-05-02", "2019-05-03"]
