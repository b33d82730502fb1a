"""The model around the behaviours: reset, snapshot, the SMS addressee, partitioning by loan."""

from __future__ import annotations

import json
from datetime import timedelta

from simulator.core import Engine
from simulator.partners.bank import BankModel
from tests.partners.bank.helpers import at, events, get_loan, register, repay, repayment, requests


def test_a_reset_forgets_every_loan_and_restarts_the_days_jobs(engine: Engine, bank: BankModel) -> None:
    register(engine)

    engine.reset(start=at(6, 1))
    engine.advance(to=at(6, 2))

    assert get_loan(engine).status == 404
    assert [e.data["businessDate"] for e in events(engine, "dayEnd")] == ["2019-06-01"]
    assert bank.snapshot()["loans"] == 0


def test_the_snapshot_is_a_json_summary(engine: Engine, bank: BankModel) -> None:
    register(engine, disburseDate="2019-04-10")
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(to=at(5, 2))

    snapshot = bank.snapshot()

    assert json.loads(json.dumps(snapshot)) == snapshot
    assert (snapshot["loans"], snapshot["repayments"], snapshot["outstandingPrincipal"]) == (
        1,
        {"SUCCESS": 1},
        "2000.00",
    )
    assert engine.snapshot()["partners"]["bank"]["state"] == snapshot


def test_the_snapshot_counts_repayments_by_status_in_the_order_a_walk_of_the_loans_meets_them(
    engine: Engine, bank: BankModel
) -> None:
    register(engine, disburseDate="2019-04-10")
    register(engine, disburseDate="2019-04-10", loanOuterNo="LN2", creditContractNo="CC2")
    # The second loan's repayments come first: a rejection (FAIL at once), then one left PROCESSING.
    repay(engine, repayment("RP1", 9, "1.00", "0.00", loan="LN2"))
    engine.advance(by=timedelta(seconds=5))
    repay(engine, repayment("RP2", 1, "1.00", "0.00", collected="2019-05-01T00:00:00+08:00", loan="LN2"))
    repay(engine, repayment("RP3", 1, "1.00", "0.00", collected="2019-05-01T00:00:00+08:00"))
    repay(engine, repayment("RP4", 1, "1.00", "0.00", collected="2019-05-01T00:00:00+08:00"))
    engine.advance(by=timedelta(seconds=1))  # before the processing delay: RP2-RP4 are processing

    assert list(bank.snapshot()["repayments"].items()) == [("PROCESSING", 3), ("FAIL", 1)]
    engine.advance(by=timedelta(seconds=5))
    assert list(bank.snapshot()["repayments"].items()) == [("SUCCESS", 3), ("FAIL", 1)]


def test_the_bank_tells_the_gateway_whom_an_overdue_notice_was_for(engine: Engine, bank: BankModel) -> None:
    register(engine, disburseDate="2019-04-10")
    engine.advance(to=at(5, 14, 3))
    (sent,) = requests(engine, "sms", "sendSms")

    assert bank.addressee(sent.data["body"]["OutId"], "13912345678") == "B000123"
    assert bank.addressee("ovd-unknown", "13912345678") is None
    assert bank.addressee(None, "13912345678") is None


def test_a_loan_number_longer_than_an_acct_code_is_furnished_under_a_unique_short_code(engine: Engine) -> None:
    long_number = "LN-" + "9" * 61
    register(engine, loanOuterNo=long_number, disburseDate="2019-04-10")

    engine.advance(to=at(5, 2, 5))

    (first, *_) = events(engine, "furnished")
    assert first.loan == long_number
    assert len(first.data["acctCode"]) == 60 and first.data["acctCode"].startswith("LN-999")


def test_every_event_of_a_loan_names_its_borrower(engine: Engine) -> None:
    register(engine, disburseDate="2019-04-10")
    register(engine, loanOuterNo="LN2", borrowerId="B2", disburseDate="2019-04-10", phone="13912345679")

    engine.advance(to=at(5, 16))

    for entry in engine.journal.iter(kind="event", partner="bank"):
        if entry.loan is not None:
            assert entry.borrower == {"LN201902100001": "B000123", "LN2": "B2"}[entry.loan]
    assert {e.loan for e in events(engine, "overdueNoticeSent")} == {"LN201902100001", "LN2"}
