"""The dispute hook: the bank answers from its ledger, `dispute_answer` (calendar or working days) after the dispute
reached it."""

from __future__ import annotations

from datetime import timedelta

from simulator.core import Engine
from simulator.partners.bank import CANNOT_CONFIRM, CONFIRMED, CORRECTED, BankConfig, BankModel
from tests.partners.bank.helpers import (
    at,
    events,
    late_forwarded_incident,
    new_engine,
    register,
    repay,
    repayment,
    requests,
    submitted_records,
)

APRIL = {"disburseDate": "2019-04-10"}


def test_a_dispute_over_money_collected_on_time_is_corrected_with_a_212(engine: Engine, bank: BankModel) -> None:
    late_forwarded_incident(engine)
    engine.advance(to=at(5, 20))

    outcome, note = bank.answer_dispute("LN201902100001", "2019-05")

    assert outcome == CORRECTED
    assert "installment 3 collected 2019-05-10T20:15:00+08:00" in note and "212" in note
    record = submitted_records(engine)[-1]
    assert (record["InfRecType"], record["AcctMthlyBlgInfSgmt"]["RpyStatus"]) == ("212", "C")
    (answered,) = events(engine, "disputeAnswered")
    assert (answered.loan, answered.data["outcome"]) == ("LN201902100001", CORRECTED)


def test_a_dispute_over_a_real_delinquency_is_confirmed(engine: Engine, bank: BankModel) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 15, 10))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", penalty="2.50", collected="2019-05-15T10:00:00+08:00"))
    engine.advance(to=at(5, 20))

    outcome, note = bank.answer_dispute("LN201902100001", "2019-05")

    assert outcome == CONFIRMED
    assert "after its grace period" in note and note.endswith("The record stands.")
    assert all(r["InfRecType"] == "210" for r in submitted_records(engine))


def test_a_dispute_over_a_clean_month_is_confirmed(engine: Engine, bank: BankModel) -> None:
    register(engine, **APRIL)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-09T10:00:00+08:00"))
    engine.advance(to=at(5, 20))

    outcome, note = bank.answer_dispute("LN201902100001", "2019-05")

    assert outcome == CONFIRMED
    assert "no delinquency" in note


def test_a_dispute_over_an_account_the_bank_does_not_hold_cannot_be_confirmed(bank: BankModel) -> None:
    outcome, note = bank.answer_dispute("LN-ELSEWHERE", "2019-05")

    assert outcome == CANNOT_CONFIRM
    assert "LN-ELSEWHERE is not an account of this bank" in note


def test_the_bank_answers_a_dispute_after_the_configured_days(engine: Engine, bank: BankModel) -> None:
    late_forwarded_incident(engine)
    answers: list[tuple[str, str, object]] = []

    when = bank.receive_dispute(
        "DSP1", "LN201902100001", "2019-05", lambda outcome, note: answers.append((outcome, note, engine.clock.now()))
    )
    engine.advance(by=timedelta(days=6))

    assert when == at(5, 19, 19) and bank.dispute_answer_delay == timedelta(days=5)
    assert [(outcome, moment) for outcome, _, moment in answers] == [(CORRECTED, at(5, 19, 19))]
    (received,) = events(engine, "disputeReceived")
    assert (received.loan, received.data["disputeId"]) == ("LN201902100001", "DSP1")


def test_without_a_listener_the_answer_goes_to_the_bureaus_answer_dispute() -> None:
    engine, bank = new_engine(BankConfig(dispute_answer_days=25))
    late_forwarded_incident(engine)

    bank.receive_dispute("DSP1", "LN201902100001", "2019-05")
    engine.advance(by=timedelta(days=26))

    (answer,) = requests(engine, "bureau", "answerDispute")
    assert answer.virtual_time == at(6, 8, 19)  # 25 days: past the 20 the regulation allows
    assert answer.data["path"] == "/bureau/disputes/DSP1/answer"
    assert answer.data["body"]["outcome"] == CORRECTED


def test_a_bank_that_answers_in_working_days_skips_the_weekend() -> None:
    """lending-domain.md §2 #16 (SLAs use a configured calendar: "30 工作日" vs "30 天") and §1.4 Art. 25 (a
    written answer within 20 days): a dispute reaching the bank on Tuesday 14 May 2019 at 19:00, answered in
    5 working days, is answered on Tuesday 21 May at 19:00 — the weekend of 18–19 May does not count."""
    engine, bank = new_engine(BankConfig.from_mapping({"dispute_answer": "5 working days"}))
    late_forwarded_incident(engine)

    when = bank.receive_dispute("DSP1", "LN201902100001", "2019-05")
    engine.advance(by=timedelta(days=8))

    (answer,) = requests(engine, "bureau", "answerDispute")
    assert when == answer.virtual_time == at(5, 21, 19)
