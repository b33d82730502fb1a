"""Each subject's view: per account and month the latest state, the history of every loaded record, the ID
masked; 212 replaces a month, 213 deletes months, 214 deletes the account."""

from __future__ import annotations

from simulator.core import Engine
from simulator.partners.bureau import BureauModel
from tests.partners.bureau.builders import (
    ACCT,
    BUREAU_DELAY,
    ID_NUM,
    OTHER_ID_NUM,
    account,
    correction,
    load,
    months,
    report,
    segment_deletion,
    whole_deletion,
)


def test_a_person_the_bureau_does_not_know_gets_an_empty_report_with_the_id_masked(
    engine: Engine, bureau: BureauModel
) -> None:
    assert report(engine, OTHER_ID_NUM) == {
        "subject": {"IDType": "10", "IDNumMasked": "1101**********002X"},
        "accounts": [],
        "disputes": [],
    }


def test_a_loaded_210_shows_its_month_status_balance_and_overdue(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05", rpy="1"))

    [entry] = report(engine)["accounts"]

    assert entry["AcctCode"] == ACCT
    assert entry["MngmtOrgCode"] == "B10211000H0001"
    assert entry["AcctType"] == "D1"
    assert entry["months"] == [
        {
            "Month": "2019-05",
            "AcctStatus": "2",
            "RpyStatus": "1",
            "AcctBal": "1000.00",
            "OverdPrd": 1,
            "disputed": False,
            "objections": [],
        }
    ]


def test_a_212_replaces_the_month_and_the_history_keeps_both_records(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-04", rpt_date="2019-04-30"), account(month="2019-05", rpy="1"))
    engine.advance(by=BUREAU_DELAY)

    load(engine, correction(month="2019-05", rpy="C"))

    [entry] = report(engine)["accounts"]
    may = entry["months"][1]
    assert (may["Month"], may["AcctStatus"], may["RpyStatus"], may["OverdPrd"]) == ("2019-05", "3", "C", 0)
    assert entry["history"] == [
        {"recordType": "210", "loadedAt": "2019-05-01T08:00:00+08:00", "Month": "2019-04", "RpyStatus": "N"},
        {"recordType": "210", "loadedAt": "2019-05-01T08:00:00+08:00", "Month": "2019-05", "RpyStatus": "1"},
        {"recordType": "212", "loadedAt": "2019-05-02T00:00:00+08:00", "Month": "2019-05", "RpyStatus": "C"},
    ]


def test_a_213_deletes_the_months_in_its_range_and_the_history_says_so(engine: Engine, bureau: BureauModel) -> None:
    load(
        engine,
        account(month="2019-03", rpt_date="2019-03-31"),
        account(month="2019-04", rpt_date="2019-04-30"),
        account(month="2019-05", rpy="1"),
    )

    load(engine, segment_deletion(start="2019-04", end="2019-06"))

    assert months(engine) == {"2019-03": "N"}
    history = report(engine)["accounts"][0]["history"]
    assert [(h["recordType"], h["Month"], h["RpyStatus"]) for h in history[3:]] == [
        ("213", "2019-04", None),
        ("213", "2019-05", None),
    ]


def test_a_214_removes_the_account_from_the_report(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05", rpy="1"), account("LN2"))

    load(engine, whole_deletion())

    assert [a["AcctCode"] for a in report(engine)["accounts"]] == ["LN2"]


def test_an_account_reported_again_after_a_214_keeps_its_history(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05", rpy="1"), whole_deletion())

    load(engine, account(month="2019-05", rpy="N"))

    [entry] = report(engine)["accounts"]
    assert [(h["recordType"], h["Month"]) for h in entry["history"]] == [
        ("210", "2019-05"),
        ("214", None),
        ("210", "2019-05"),
    ]


def test_an_account_code_reused_for_another_person_after_a_214_shows_none_of_the_old_history(
    engine: Engine, bureau: BureauModel
) -> None:
    load(engine, account(month="2019-05", rpy="1"), whole_deletion())

    load(engine, account(month="2019-05", id_num=OTHER_ID_NUM))

    assert report(engine, ID_NUM)["accounts"] == []
    [entry] = report(engine, OTHER_ID_NUM)["accounts"]
    assert [(h["recordType"], h["Month"]) for h in entry["history"]] == [("210", "2019-05")]


def test_accounts_are_kept_by_person(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account("LN1"), account("LN2", id_num=OTHER_ID_NUM), account("LN3"))

    assert [a["AcctCode"] for a in report(engine)["accounts"]] == ["LN1", "LN3"]
    assert [a["AcctCode"] for a in report(engine, OTHER_ID_NUM)["accounts"]] == ["LN2"]


def test_the_python_report_is_the_operations_answer(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account())

    assert bureau.report(ID_NUM) == report(engine)
