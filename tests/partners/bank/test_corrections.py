"""Corrections: the bank checks its ledger, then sends a 212 record (never a back-dated 210)."""

from __future__ import annotations

from typing import Any

from simulator.core import Engine, Response
from tests.partners.bank.helpers import (
    Receiver,
    at,
    events,
    install_stub_bureau,
    late_forwarded_incident,
    new_engine,
    register,
    repay,
    repayment,
    submitted_records,
)

APRIL = {"disburseDate": "2019-04-10"}


def correction(number: str = "CR1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "correctionNo": number,
        "loanOuterNo": "LN201902100001",
        "installmentNo": 3,
        "month": "2019-05",
        "reason": "REPAID_ON_TIME",
        "evidence": {"repayOuterNo": "RP3", "actualRepayDate": "2019-05-10T20:15:00+08:00"},
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def apply(engine: Engine, body: dict[str, Any]) -> Response:
    return engine.call("platform", "bank", "correctionApply", body)


def query(engine: Engine, number: str = "CR1") -> dict[str, Any]:
    response = engine.call("platform", "bank", "correctionQuery", params={"correctionNo": number})
    assert response.status == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_correction_of_money_collected_on_time_is_sent_as_a_212_never_a_210(engine: Engine) -> None:
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 16, 10))

    response = apply(engine, correction())
    engine.advance(to=at(5, 16, 11))

    assert response.status == 202
    assert (response.json()["status"], response.json()["bureauRecordType"]) == ("ACCEPTED", "212")
    record = submitted_records(engine)[-1]
    assert (record["InfRecType"], record["ModRecCode"], record["Month"]) == ("212", "LN2019021000012019-05", "2019-05")
    assert (record["AcctMthlyBlgInfSgmt"]["RpyStatus"], record["AcctMthlyBlgInfSgmt"]["AcctStatus"]) == ("C", "3")
    assert record["AcctMthlyBlgInfSgmt"]["LatRpyDate"] == "2019-05-10"
    assert [r["InfRecType"] for r in submitted_records(engine)].count("212") == 1
    (submitted,) = events(engine, "correctionSubmitted", serial="CR1")
    assert submitted.virtual_time == at(5, 16, 10, 0, 2)
    state = query(engine)
    assert (state["status"], state["submissionId"]) == ("SUBMITTED", submitted.data["submissionId"])


def test_an_installment_number_written_as_a_whole_decimal_is_that_installment(engine: Engine) -> None:
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 16, 10))

    response = apply(engine, correction(installmentNo=3.0))  # JSON Schema's integer admits 3.0

    assert response.status == 202 and response.json()["bureauRecordType"] == "212"


def test_a_correction_completes_once_the_bureau_loaded_it(receiver: Receiver) -> None:
    engine = receiver.engine
    assert engine is not None
    install_stub_bureau(engine)
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 16, 10))

    apply(engine, correction())
    engine.advance(to=at(5, 17, 5))

    assert query(engine)["status"] == "COMPLETED"
    (completed,) = events(engine, "correctionCompleted", serial="CR1")
    assert completed.virtual_time == at(5, 17, 4)
    assert receiver.of("bankNotice")[-1]["noticeType"] == "BUREAU_CORRECTED"


def test_a_correction_the_bureau_keeps_refusing_is_retried_then_rejected_with_its_note() -> None:
    engine, _ = new_engine()
    install_stub_bureau(engine, lambda record: "ABR006" if record["InfRecType"] == "212" else "0000")
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 16, 10))

    apply(engine, correction())
    engine.advance(to=at(5, 20))

    state = query(engine)
    assert state["status"] == "REJECTED"
    assert state["note"].startswith("The bureau rejected the 212 record (ABR006)")
    assert [e.data["attempts"] for e in events(engine, "correctionRetry")] == [1, 2]
    assert len(events(engine, "correctionRejected", serial="CR1")) == 1
    assert events(engine, "furnishEscalated")[-1].data["code"] == "ABR006"


def test_a_correction_of_money_collected_after_the_grace_period_is_rejected(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 15, 10))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", penalty="2.50", collected="2019-05-15T10:00:00+08:00"))
    engine.advance(to=at(5, 16, 10))

    response = apply(engine, correction(installmentNo=1, evidence=None, reason="SYSTEM_ERROR"))

    body = response.json()
    assert (body["status"], body["bureauRecordType"]) == ("REJECTED", None)
    assert "after its grace period ended at 2019-05-13T23:59:59+08:00" in body["note"]
    assert [r["InfRecType"] for r in submitted_records(engine)].count("212") == 0


def test_a_correction_of_an_installment_still_owed_says_to_forward_the_repayment_first(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 16, 10))

    body = apply(engine, correction(installmentNo=1, evidence=None)).json()

    assert body["status"] == "REJECTED"
    assert "still owes 1021.00" in body["note"] and "repayApply" in body["note"]


def test_evidence_that_differs_from_the_banks_record_is_rejected(engine: Engine) -> None:
    late_forwarded_incident(engine)

    evidence = {"repayOuterNo": "RP3", "actualRepayDate": "2019-05-09T20:15:00+08:00"}
    body = apply(engine, correction(evidence=evidence)).json()

    assert body["status"] == "REJECTED"
    assert "differs from the bank's record of RP3, 2019-05-10T20:15:00+08:00" in body["note"]


def test_a_correction_number_is_an_idempotency_key(engine: Engine) -> None:
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 16))  # the account closed on 14 May; May went out, negative, on the 15th (20)
    first = apply(engine, correction())

    again = apply(engine, correction())
    other = apply(engine, correction(month="2019-04"))

    assert again.status == 202 and again.json() == first.json()
    assert other.status == 409
    assert other.json()["errors"] == [
        {"field": "body.month", "rule": "idempotency", "message": "differs from the first body"}
    ]
    assert len(events(engine, "correctionAccepted")) == 1


def test_unknown_loans_and_corrections_are_404(engine: Engine) -> None:
    missing_loan = apply(engine, correction(loanOuterNo="LN-NOPE"))
    missing = engine.call("platform", "bank", "correctionQuery", params={"correctionNo": "CR-NOPE"})

    assert missing_loan.status == missing.status == 404
    assert "No correction CR-NOPE" in missing.json()["detail"]


def test_a_correction_before_anything_negative_was_reported_needs_no_record(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 3))  # overdue since 02:00, not yet reported (the furnishing runs at 04:00)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T20:15:00+08:00"))
    engine.advance(to=at(5, 14, 3, 30))

    body = apply(
        engine,
        correction(installmentNo=1, evidence={"repayOuterNo": "RP1", "actualRepayDate": "2019-05-10T20:15:00+08:00"}),
    ).json()
    engine.advance(to=at(5, 20))

    assert (body["status"], body["bureauRecordType"]) == ("COMPLETED", None)
    assert "Nothing negative was reported for 2019-05" in body["note"]
    assert not any(e.data["negative"] for e in events(engine, "furnished"))


def test_after_a_correction_later_records_of_the_month_stay_corrected(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 14, 18))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T20:15:00+08:00"))
    engine.advance(to=at(5, 16, 10))
    evidence = {"repayOuterNo": "RP1", "actualRepayDate": "2019-05-10T20:15:00+08:00"}
    apply(engine, correction(installmentNo=1, evidence=evidence))
    engine.advance(to=at(5, 20, 10))

    repay(
        engine, repayment("RP2", 2, "1000.00", "12.00", repay_type="EARLY_REPAY", collected="2019-05-20T10:00:00+08:00")
    )
    engine.advance(to=at(6, 2))

    may = [r for r in submitted_records(engine) if r["InfRecType"] == "210" and r["RptDate"] >= "2019-05-16"]
    assert [(r["RptDate"], r["AcctMthlyBlgInfSgmt"]["RpyStatus"]) for r in may] == [("2019-05-31", "N")]
