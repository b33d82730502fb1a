"""Faults only the bank's own points take: a job run early (out of order), a reconciliation file with rows left
out or listed twice (re-delivered whole as a new version), and the PROCESSING callback some banks send."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from simulator.core import Engine
from simulator.partners.bank import BankConfig, BankModel
from tests.partners.bank.helpers import at, attach_receiver, events, new_engine, register, repay, repayment

APRIL = {"disburseDate": "2019-04-10"}


def _paid_three(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))
    for key in ("RP1", "RP2", "RP3"):
        repay(engine, repayment(key, 1, "300.00", "0.00"))


def test_an_early_overdue_batch_runs_before_the_day_end_it_should_follow(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.add_fault({"at": "bank.overdueBatch", "early": {"by": "3 hours"}, "from": at(5, 14), "until": at(5, 15)})

    engine.advance(to=at(5, 16))

    (early,) = events(engine, "overdueBatchEarly")
    assert (early.virtual_time, early.data["businessDate"], early.data["by"]) == (at(5, 13, 23), "2019-05-14", "PT3H")
    day_end = events(engine, "dayEnd")[12]
    assert (day_end.data["businessDate"], day_end.virtual_time) == ("2019-05-13", at(5, 13, 23, 59, 59))
    # Before the grace ended (5-13 23:59:59) nothing is overdue yet; the next run, on time, marks it.
    assert events(engine, "installmentOverdue")[0].virtual_time == at(5, 15, 2)


def test_a_file_with_missing_rows_leaves_out_the_same_rows_until_its_window_ends(engine: Engine) -> None:
    _paid_three(engine)
    engine.add_fault({"at": "bank.reconciliationFile", "missing_rows": {"share": "50%"}, "until": at(5, 12)})
    engine.advance(to=at(5, 11, 3))

    first = engine.call("platform", "bank", "reconciliationFile", params={"date": "2019-05-10"}).json()
    again = engine.call("platform", "bank", "reconciliationFile", params={"date": "2019-05-10"}).json()
    engine.advance(to=at(5, 12))
    whole = engine.call("platform", "bank", "reconciliationFile", params={"date": "2019-05-10"}).json()

    assert 0 < first["recordCount"] < 3 and again == first
    assert (first["version"], whole["version"], whole["recordCount"]) == (1, 2, 3)
    assert {r["repayOuterNo"] for r in first["records"]} < {r["repayOuterNo"] for r in whole["records"]}


def test_a_file_with_duplicate_rows_lists_some_rows_twice_and_counts_them(engine: Engine) -> None:
    _paid_three(engine)
    engine.add_fault({"at": "bank.reconciliationFile", "duplicate_rows": {"share": 1}})
    engine.advance(to=at(5, 11, 3))

    file = engine.call("platform", "bank", "reconciliationFile", params={"date": "2019-05-10"}).json()

    assert file["recordCount"] == 6 and file["totalAmount"] == "1800.00"
    assert sorted(r["repayOuterNo"] for r in file["records"]) == ["RP1", "RP1", "RP2", "RP2", "RP3", "RP3"]


def test_a_bank_that_notifies_processing_calls_back_on_acceptance_and_again_on_posting() -> None:
    engine, _ = new_engine(BankConfig(notify_processing=True))
    received = attach_receiver(engine)
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))

    repay(engine, repayment("RP1", 1, "1000.00", "18.00"))
    engine.advance(by=timedelta(minutes=1))

    assert [body["repayStatus"] for body in received.of("repayResultNotify")] == ["PROCESSING", "SUCCESS"]


def test_the_settlement_quote_is_the_amount_repay_apply_takes_to_settle(engine: Engine, bank: BankModel) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 20, 10))
    quote = bank.settlement_quote("LN201902100001", at(5, 20, 10))
    assert quote is not None and quote > Decimal("2000")

    answer = repay(
        engine,
        repayment("RP1", 1, f"{quote:.2f}", "0.00", collected="2019-05-20T10:00:00+08:00", repay_type="EARLY_SETTLE"),
    )
    engine.advance(by=timedelta(minutes=1))

    assert answer.status == 200 and events(engine, "loanSettled")
    assert bank.settlement_quote("LN201902100001", at(5, 21)) is None
    balance = bank.installment_balance("LN201902100001", 1)
    assert balance is not None and balance[0] == Decimal("0.00") and balance[1] > Decimal("1018.00")  # + penalty
