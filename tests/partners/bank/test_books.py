"""The bank's books: day-end at the cut-off, the reconciliation file of day D from the configured time on D+1."""

from __future__ import annotations

from datetime import time, timedelta

from simulator.core import Engine, Response
from simulator.partners.bank import BankConfig
from tests.partners.bank.helpers import at, events, new_engine, register, repay, repayment

APRIL = {"disburseDate": "2019-04-10"}


def _file(engine: Engine, day: str) -> Response:
    return engine.call("platform", "bank", "reconciliationFile", params={"date": day})


def test_the_day_ends_at_the_cut_off(engine: Engine) -> None:
    engine.advance(to=at(5, 3))

    day_ends = events(engine, "dayEnd")

    assert [(e.virtual_time, e.data["businessDate"]) for e in day_ends] == [
        (at(5, 1, 23, 59, 59), "2019-05-01"),
        (at(5, 2, 23, 59, 59), "2019-05-02"),
    ]


def test_the_file_of_a_day_is_not_available_before_the_configured_time_the_next_day(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00"))
    engine.advance(to=at(5, 11, 2, 59))

    early = _file(engine, "2019-05-10")

    assert early.status == 404
    assert early.json()["type"] == "urn:lendsim:problem:not-available-yet"
    assert early.json()["availableAt"] == "2019-05-11T03:00:00+08:00"
    assert "generated at 2019-05-11T03:00:00+08:00" in early.json()["detail"]


def test_the_file_lists_every_posting_of_the_day(engine: Engine) -> None:
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 20, 15))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00"))
    engine.advance(to=at(5, 11, 3))

    response = _file(engine, "2019-05-10")

    assert response.status == 200
    assert response.json() == {
        "fileDate": "2019-05-10",
        "generatedAt": "2019-05-11T03:00:00+08:00",
        "version": 1,
        "recordCount": 1,
        "totalAmount": "1018.00",
        "records": [
            {
                "repayOuterNo": "RP1",
                "loanOuterNo": "LN201902100001",
                "installmentNo": 1,
                "repayAmount": "1018.00",
                "paidPrincipal": "1000.00",
                "paidInterest": "18.00",
                "paidFee": "0.00",
                "paidPenalty": "0.00",
                "actualRepayDate": "2019-05-10T20:15:00+08:00",
                "postedAt": "2019-05-10T20:15:02+08:00",
                "repayType": "NORMAL_REPAY",
                "repayMode": "PARTNER_COLLECT",
            }
        ],
    }
    (ready,) = [e for e in events(engine, "reconciliationFileReady") if e.data["fileDate"] == "2019-05-10"]
    assert ready.virtual_time == at(5, 11, 3)
    assert (ready.data["recordCount"], ready.data["totalAmount"]) == (1, "1018.00")


def test_a_repayment_of_several_installments_is_one_record_per_line(engine: Engine) -> None:
    register(engine, **APRIL)
    lines = [
        {"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "18.00", "paidFee": "0.00"},
        {"installmentNo": 2, "paidPrincipal": "1000.00", "paidInterest": "12.00", "paidFee": "0.00"},
    ]
    repay(engine, repayment("RP1", 1, "0", "0", collected="2019-05-01T00:00:00+08:00", lines=lines))
    engine.advance(to=at(5, 2, 3))

    records = _file(engine, "2019-05-01").json()["records"]

    assert [(r["installmentNo"], r["repayAmount"]) for r in records] == [(1, "1018.00"), (2, "1012.00")]


def test_a_posting_after_the_cut_off_is_in_the_next_days_file() -> None:
    engine, _ = new_engine(BankConfig(cutoff=time(22, 0)))
    register(engine, **APRIL)
    engine.advance(to=at(5, 10, 22, 30))
    repay(engine, repayment("RP1", 1, "1000.00", "18.00"))
    engine.advance(to=at(5, 12, 3))

    assert _file(engine, "2019-05-10").json()["records"] == []
    assert [r["repayOuterNo"] for r in _file(engine, "2019-05-11").json()["records"]] == ["RP1"]


def test_a_day_without_postings_has_an_empty_file_not_a_missing_one(engine: Engine) -> None:
    engine.advance(by=timedelta(days=2))

    response = _file(engine, "2019-05-01")

    assert response.status == 200
    assert (response.json()["recordCount"], response.json()["totalAmount"], response.json()["records"]) == (
        0,
        "0.00",
        [],
    )


def test_the_day_end_and_the_file_ready_event_total_what_the_file_lists(engine: Engine) -> None:
    register(engine, **APRIL)
    lines = [
        {"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "18.00", "paidFee": "0.00"},
        {"installmentNo": 2, "paidPrincipal": "500.00", "paidInterest": "0.01", "paidFee": "0.00"},
    ]
    engine.advance(to=at(5, 10, 9))
    repay(engine, repayment("RP1", 1, "0", "0", collected="2019-05-10T09:00:00+08:00", lines=lines))
    engine.advance(to=at(5, 10, 20, 15))
    repay(engine, repayment("RP2", 2, "100.00", "0.00"))
    engine.advance(to=at(5, 11, 3))

    listed = _file(engine, "2019-05-10").json()
    (day_end,) = [e for e in events(engine, "dayEnd") if e.data["businessDate"] == "2019-05-10"]
    (ready,) = [e for e in events(engine, "reconciliationFileReady") if e.data["fileDate"] == "2019-05-10"]

    assert (day_end.data["postings"], day_end.data["amount"]) == (2, "1618.01")
    assert (ready.data["recordCount"], ready.data["totalAmount"]) == (3, "1618.01")
    assert (listed["recordCount"], listed["totalAmount"]) == (3, "1618.01")
