"""Each feedback code, from a hand-built file: the rule, the message naming the bad value and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core import Engine
from simulator.partners.bureau import CODES, BureauConfig, BureauModel
from tests.partners.bureau.builders import (
    ACCT,
    BUREAU_DELAY,
    OTHER_FURNISHER,
    OTHER_ID_NUM,
    account,
    correction,
    feedback,
    load,
    months,
    segment,
    segment_deletion,
    submit,
    whole_deletion,
)


def messages(engine: Engine, *records: dict[str, Any], furnisher: str | None = None) -> list[tuple[str, str]]:
    kwargs = {"furnisher": furnisher} if furnisher else {}
    submission_id = submit(engine, *records, **kwargs).json()["submissionId"]
    engine.advance(by=BUREAU_DELAY)
    return [(row["code"], row["message"]) for row in feedback(engine, submission_id)["records"]]


# -- 0000 ------------------------------------------------------------------------------------------


def test_every_record_type_loads_with_0000(engine: Engine, bureau: BureauModel) -> None:
    codes = load(
        engine,
        account(month="2019-04", rpt_date="2019-04-30"),
        account(month="2019-05", rpy="1"),
        correction(month="2019-05"),
        segment_deletion(start="2019-04"),
        account("LN2"),
        whole_deletion("LN2"),
    )

    assert codes == ["0000"] * 6


# -- ABR002 ----------------------------------------------------------------------------------------


def test_two_210s_for_the_same_account_month_in_one_file_are_both_rejected_abr002(
    engine: Engine, bureau: BureauModel
) -> None:
    found = messages(engine, account(rpy="N"), account(rpy="1"), account(month="2019-04", rpt_date="2019-05-31"))

    assert [code for code, _ in found] == ["ABR002", "ABR002", "0000"]
    assert "records 0, 1 of this file have the same identifier 210 LN201902100001 2019-05" in found[0][1]
    assert "Send one record per identifier" in found[0][1]
    assert months(engine) == {"2019-04": "N"}


@pytest.mark.parametrize(
    "records",
    [
        [correction(rpy="C"), correction(rpy="N")],
        [segment_deletion(), segment_deletion()],
        [whole_deletion(), whole_deletion()],
    ],
    ids=["212", "213", "214"],
)
def test_same_identifier_twice_in_a_file_is_abr002_for_every_record_type(
    engine: Engine, bureau: BureauModel, records: list[dict[str, Any]]
) -> None:
    load(engine, account(rpy="1"))

    assert load(engine, *records) == ["ABR002", "ABR002"]
    assert months(engine) == {"2019-05": "1"}


def test_a_210_and_a_212_on_the_same_month_are_different_identifiers(engine: Engine, bureau: BureauModel) -> None:
    assert load(engine, account(rpy="1"), correction(rpy="C")) == ["0000", "0000"]


# -- ABE001 ----------------------------------------------------------------------------------------


def test_a_212_whose_modreccode_is_not_acctcode_plus_month_is_abe001(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"))

    [(code, message)] = messages(engine, correction(ModRecCode="LN2019021000012019-04"))

    assert code == "ABE001"
    assert "'LN2019021000012019-04'" in message and "'LN2019021000012019-05'" in message


def test_a_212_whose_segment_is_another_month_is_abe001(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"))

    [(code, message)] = messages(engine, correction(AcctMthlyBlgInfSgmt=segment("2019-04")))

    assert code == "ABE001"
    assert "send the segment of 2019-05" in message


def test_a_213_with_the_months_swapped_is_abe001(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account())

    [(code, message)] = messages(engine, segment_deletion(start="2019-06", end="2019-05"))

    assert code == "ABE001"
    assert "StartMonth 2019-06 is after EndMonth 2019-05; swap them" in message


def test_a_214_whose_delreccode_is_another_account_is_abe001(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account())

    [(code, message)] = messages(engine, whole_deletion(del_code="LN2"))

    assert code == "ABE001"
    assert "'LN2'" in message


def test_a_210_for_an_account_held_for_another_person_is_abe001(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-04", rpt_date="2019-04-30"))

    [(code, message)] = messages(engine, account(id_num=OTHER_ID_NUM))

    assert code == "ABE001"
    assert "held for another person" in message and "214" in message
    assert OTHER_ID_NUM not in message


# -- ABE002 ----------------------------------------------------------------------------------------


def test_a_210_for_another_furnisher_is_abe002(engine: Engine, bureau: BureauModel) -> None:
    [(code, message)] = messages(engine, account(org=OTHER_FURNISHER))

    assert code == "ABE002"
    assert OTHER_FURNISHER in message


@pytest.mark.parametrize("record", [correction(), segment_deletion(), whole_deletion()], ids=["212", "213", "214"])
def test_changing_another_furnishers_account_is_abe002(
    engine: Engine, bureau: BureauModel, record: dict[str, Any]
) -> None:
    load(engine, account(rpy="1"))

    assert load(engine, record, furnisher=OTHER_FURNISHER) == ["ABE002"]
    assert months(engine) == {"2019-05": "1"}


# -- ABE007 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (account(rpt_date="2019-02-01", month="2019-02", OpenDate="2019-02-10"), "OpenDate 2019-02-10"),
        (account(rpt_date="2019-05-09"), "SettDate 2019-05-10"),
        (account(rpt_date="2019-05-20", sgmt=segment(LatRpyDate="2019-05-21")), "LatRpyDate 2019-05-21"),
    ],
    ids=["OpenDate", "SettDate", "LatRpyDate"],
)
def test_a_rptdate_before_a_date_in_the_record_is_abe007(
    engine: Engine, bureau: BureauModel, record: dict[str, Any], field: str
) -> None:
    [(code, message)] = messages(engine, record)

    assert code == "ABE007"
    assert f"RptDate {record['RptDate']} is earlier than {field}" in message


# -- BLR008 / BLR009 ---------------------------------------------------------------------------------


def recovery(**fields: Any) -> dict[str, Any]:
    """A RptDateCode 40 event: 1006.00 of overdue amounts recovered on 2019-05-20."""
    sgmt = segment(RpyStatus="N", ActRpyAmt="1006.00", LatRpyDate="2019-05-20")
    sgmt.update(fields.pop("sgmt", {}))
    return account(rpt_date="2019-05-20", code="40", sgmt=sgmt, **fields)


def test_a_recovery_event_with_the_amount_and_date_recovered_loads(engine: Engine, bureau: BureauModel) -> None:
    assert load(engine, recovery()) == ["0000"]


def test_a_recovery_event_on_an_r3_account_is_blr008(engine: Engine, bureau: BureauModel) -> None:
    [(code, message)] = messages(engine, recovery(AcctType="R3"))

    assert code == "BLR008"
    assert "R3" in message


@pytest.mark.parametrize(
    "change", [{"ActRpyAmt": "0.00"}, {"LatRpyDate": None}], ids=["nothing-recovered", "no-recovery-date"]
)
def test_a_recovery_event_that_shows_no_recovery_is_blr008(
    engine: Engine, bureau: BureauModel, change: dict[str, Any]
) -> None:
    [(code, message)] = messages(engine, recovery(sgmt=change))

    assert code == "BLR008"
    assert "give the amount and date recovered" in message


def test_a_recovery_event_carrying_another_months_segment_is_blr009(engine: Engine, bureau: BureauModel) -> None:
    record = recovery(sgmt={"Month": "2019-04", "SettDate": "2019-04-10"})

    [(code, message)] = messages(engine, record)

    assert code == "BLR009"
    assert "carries the segment of 2019-04" in message and "its own month, 2019-05" in message


# -- ABR005 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", [correction(), segment_deletion(), whole_deletion()], ids=["212", "213", "214"])
def test_changing_an_account_the_bureau_does_not_hold_is_abr005(
    engine: Engine, bureau: BureauModel, record: dict[str, Any]
) -> None:
    [(code, message)] = messages(engine, record)

    assert code == "ABR005"
    assert f"the bureau holds no account {ACCT}" in message and "210 first" in message


def test_correcting_a_month_never_reported_is_abr005(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05"))

    [(code, message)] = messages(engine, correction(month="2019-04"))

    assert code == "ABR005"
    assert "no loaded month 2019-04 to correct" in message


def test_deleting_months_with_nothing_loaded_in_the_range_is_abr005(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05"))

    assert load(engine, segment_deletion(start="2019-01", end="2019-04")) == ["ABR005"]


def test_correcting_a_deleted_account_is_abr005(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"), whole_deletion())

    [(code, message)] = messages(engine, correction())

    assert code == "ABR005"
    assert "was deleted by a 214" in message


# -- ABR004 ----------------------------------------------------------------------------------------


def test_an_identical_210_already_loaded_is_abr004(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"))

    [(code, message)] = messages(engine, account(rpy="1"))

    assert code == "ABR004"
    assert "To change the month send a 212" in message


def test_a_correction_already_in_effect_is_abr004(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"), correction(rpy="C"))

    assert load(engine, correction(rpy="C")) == ["ABR004"]


def test_the_same_correction_again_after_another_one_loads_again(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"), correction(rpy="C"))
    load(engine, correction(rpy="2"))

    assert load(engine, correction(rpy="C")) == ["0000"]
    assert months(engine) == {"2019-05": "C"}


def test_the_same_deletions_again_are_abr004(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-04", rpt_date="2019-04-30"), account(), account("LN2"))
    load(engine, segment_deletion(start="2019-04"), whole_deletion("LN2"))

    assert load(engine, segment_deletion(start="2019-04"), whole_deletion("LN2")) == ["ABR004", "ABR004"]


def test_a_210_deleted_by_a_213_can_be_reported_again(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"), segment_deletion())

    assert load(engine, account(rpy="1")) == ["0000"]


# -- BBR002 ----------------------------------------------------------------------------------------


def test_a_back_dated_210_is_bbr002_and_the_message_says_send_a_212(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05", rpy="1"))

    [(code, message)] = messages(engine, account(month="2019-05", rpt_date="2019-05-14", rpy="N"))

    assert code == "BBR002"
    assert message == (
        "RptDate 2019-05-14 is earlier than the latest loaded RptDate 2019-05-31 of LN201902100001; "
        "send a 212 correction (ModRecCode LN2019021000012019-05) instead."
    )
    assert months(engine) == {"2019-05": "1"}


def test_a_210_for_an_earlier_month_dated_after_the_latest_loads(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05"))

    assert load(engine, account(month="2019-04", rpt_date="2019-05-31")) == ["0000"]


def test_a_later_210_for_a_loaded_month_replaces_it(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(month="2019-05", rpt_date="2019-05-20", rpy="1"))

    assert load(engine, account(month="2019-05", rpt_date="2019-05-31", rpy="N")) == ["0000"]
    assert months(engine) == {"2019-05": "N"}


def test_after_a_whole_deletion_the_account_can_be_reported_again_from_the_start(
    engine: Engine, bureau: BureauModel
) -> None:
    load(engine, account(month="2019-05"), whole_deletion())

    assert load(engine, account(month="2019-03", rpt_date="2019-03-31")) == ["0000"]


# -- ABR006 ----------------------------------------------------------------------------------------


def test_with_reject_corrections_every_212_is_abr006_and_the_month_stands(engine: Engine) -> None:
    engine.install(BureauModel(engine, BureauConfig(reject_corrections=True)))
    load(engine, account(rpy="1"))

    [(code, message)] = messages(engine, correction(rpy="C"))

    assert code == "ABR006"
    assert "submit the same 212 again" in message
    assert months(engine) == {"2019-05": "1"}


def test_every_code_answered_is_documented() -> None:
    assert set(CODES) == {
        "0000",
        "ABR002",
        "ABE001",
        "ABE002",
        "ABE007",
        "BLR008",
        "BLR009",
        "ABR005",
        "ABR004",
        "BBR002",
        "ABR006",
    }


def test_every_code_is_described_in_the_contract(engine: Engine) -> None:
    description = engine.contracts["bureau"].document["info"]["description"]

    assert [code for code in CODES if code != "0000" and f"`{code}`" not in description] == []
