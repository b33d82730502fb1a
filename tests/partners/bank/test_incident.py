"""The 2019 incident, step by step, as the bank lived it: the journal at each step."""

from __future__ import annotations

from simulator.core import Engine
from tests.partners.bank.helpers import (
    at,
    attach_receiver,
    events,
    get_loan,
    install_stub_bureau,
    new_engine,
    register,
    repay,
    repayment,
    requests,
    submitted_records,
)


def _may(engine: Engine) -> list[tuple[str, str, str]]:
    return [
        (r["InfRecType"], r.get("RptDate", "-"), r["AcctMthlyBlgInfSgmt"]["RpyStatus"])
        for r in submitted_records(engine)
        if r["AcctMthlyBlgInfSgmt"]["Month"] == "2019-05"
    ]


def test_collected_on_time_posted_late_reported_then_corrected() -> None:
    engine, _ = new_engine()
    bureau = install_stub_bureau(engine)
    receiver = attach_receiver(engine)
    register(engine)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-03-10T09:00:00+08:00"))
    repay(engine, repayment("RP2", 2, "1000.00", "12.00", collected="2019-04-10T09:00:00+08:00"))
    engine.add_fault(
        {"at": "bank.repayApply", "outage": {"status": 503}, "from": at(5, 10, 20), "until": at(5, 14, 18)}
    )

    # 10 May 20:15: the borrower repays in the app; the platform forwards it, but the link is down.
    engine.advance(to=at(5, 10, 20, 15))
    forwarded = repay(engine, repayment("RP3", 3, "1000.00", "6.00", collected="2019-05-10T20:15:00+08:00"))
    assert forwarded.status == 503
    assert events(engine, "repayPosted", serial="RP3") == []

    # 14 May 02:00: the overdue batch finds installment 3 unpaid past its grace and sends the notice.
    engine.advance(to=at(5, 14, 3))
    (overdue,) = events(engine, "installmentOverdue")
    assert (overdue.virtual_time, overdue.data["installmentNo"]) == (at(5, 14, 2), 3)
    (sms,) = requests(engine, "sms", "sendSms")
    assert sms.data["body"]["OutId"] == "ovd-LN201902100001-3-SMS_153055065"
    assert [n["noticeType"] for n in receiver.of("bankNotice")] == ["OVERDUE"]

    # 14 May 04:00: the furnishing has nothing to send — an overdue is reported at the month's settlement (30)
    # or with the next event of the account (lending-domain.md §1.3); the notice has gone out before it.
    engine.advance(to=at(5, 14, 5))
    assert _may(engine) == []

    # 14 May 18:00: the link is back; the platform replays the repayment with its key and collection time.
    engine.advance(to=at(5, 14, 18))
    replay = repay(engine, repayment("RP3", 3, "1000.00", "6.00", collected="2019-05-10T20:15:00+08:00"))
    assert replay.json()["repayStatus"] == "PROCESSING"
    engine.advance(to=at(5, 14, 19))
    (cleared,) = events(engine, "overdueCleared")
    assert cleared.data["collectedWithinGrace"] is True
    assert get_loan(engine).json()["status"] == "SETTLED"
    assert receiver.of("repayResultNotify")[-1]["repayStatus"] == "SUCCESS"

    # 15 May: the account closed (20), and May was overdue at the bank: the record says 1 — after the notice, as
    # Art. 15 requires. The bureau is negative.
    engine.advance(to=at(5, 16))
    assert _may(engine)[-1] == ("210", "2019-05-15", "1")
    assert submitted_records(engine)[-1]["RptDateCode"] == "20"
    assert events(engine, "overdueNoticeSent")[0].seq < events(engine, "furnished")[-1].seq

    # 16 May: the platform asks for a correction; the bank checks its ledger and sends a 212.
    engine.advance(to=at(5, 16, 10))
    asked = engine.call(
        "platform",
        "bank",
        "correctionApply",
        {
            "correctionNo": "CR1",
            "loanOuterNo": "LN201902100001",
            "installmentNo": 3,
            "month": "2019-05",
            "reason": "REPAID_ON_TIME",
            "evidence": {"repayOuterNo": "RP3", "actualRepayDate": "2019-05-10T20:15:00+08:00"},
        },
    )
    assert asked.json()["status"] == "ACCEPTED"
    engine.advance(to=at(5, 18))
    assert _may(engine)[-1] == ("212", "-", "C")
    assert events(engine, "correctionCompleted")[0].virtual_time == at(5, 17, 4)

    # The bureau converges: the last record it got for May is the correction, and no 210 came after it.
    last_may = [r for records in bureau.submissions.values() for r in records if r.get("Month") == "2019-05"]
    assert last_may[-1]["AcctMthlyBlgInfSgmt"]["RpyStatus"] == "C"
    rpt_dates = [r["RptDate"] for r in submitted_records(engine) if r["InfRecType"] == "210"]
    assert rpt_dates == sorted(rpt_dates)  # never a back-dated 210
    assert [n["noticeType"] for n in receiver.of("bankNotice")] == ["OVERDUE", "BUREAU_REPORTED", "BUREAU_CORRECTED"]
