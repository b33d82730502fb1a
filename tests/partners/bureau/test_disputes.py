"""Disputes (Art. 25): the month is flagged at once, the furnisher answers in writing within 20 days on the
configured calendar, every answer removes the flag, CANNOT_CONFIRM keeps the objection, lateness shows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator.core import Engine, Response
from simulator.partners.bureau import (
    BureauConfig,
    BureauModel,
    Dispute,
    DisputeAlreadyAnswered,
    DisputeNotFound,
    InvalidAnswer,
    InvalidDispute,
    RecordNotFound,
)
from tests.partners.bureau.builders import (
    ACCT,
    ID_NUM,
    OTHER_ID_NUM,
    account,
    correction,
    events,
    load,
    report,
    segment_deletion,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
REASON = "我已于2019-05-10按时还款，不存在逾期。"


def dispute_body(month: str = "2019-05", **fields: Any) -> dict[str, Any]:
    body = {
        "IDType": "10",
        "IDNum": ID_NUM,
        "Name": "张伟",
        "AcctCode": ACCT,
        "Month": month,
        "reason": REASON,
        "channel": "BUREAU",
    }
    body.update(fields)
    return body


def file(engine: Engine, month: str = "2019-05", **fields: Any) -> dict[str, Any]:
    response = engine.call("platform", "bureau", "fileDispute", dispute_body(month, **fields))
    assert response.status == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def answer(engine: Engine, dispute_id: str, outcome: str = "CORRECTED", note: str = "corrected by a 212") -> Response:
    return engine.call(
        "bank", "bureau", "answerDispute", {"outcome": outcome, "note": note}, params={"disputeId": dispute_id}
    )


def status(engine: Engine, dispute_id: str) -> dict[str, Any]:
    response = engine.call("platform", "bureau", "disputeStatus", params={"disputeId": dispute_id})
    assert response.status == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def flags(engine: Engine) -> dict[str, bool]:
    return {m["Month"]: m["disputed"] for m in report(engine)["accounts"][0]["months"]}


@pytest.fixture
def labour_day() -> Iterator[Engine]:
    """An engine on 2019-04-30 (Tuesday), the last working day before Labour Day 2019 (05-01..04 off,
    Sunday 05-05 a make-up working day), with April and May reported."""
    engine = Engine(seed=7, strict=True, start=datetime(2019, 4, 30, 9, tzinfo=SHANGHAI))
    yield engine
    engine.journal.close()


def install_and_load(engine: Engine, config: BureauConfig) -> BureauModel:
    model = BureauModel(engine, config)
    engine.install(model)
    load(engine, account(month="2019-04", rpt_date="2019-04-30", rpy="1"))
    return model


# -- filing --------------------------------------------------------------------------------------------


def test_filing_flags_the_month_at_once(engine: Engine, bureau: BureauModel, loaded: dict[str, Any]) -> None:
    body = file(engine)

    assert flags(engine) == {"2019-04": False, "2019-05": True}
    assert body == {
        "disputeId": "DSP20190501000001",
        "AcctCode": ACCT,
        "Month": "2019-05",
        "reason": REASON,
        "channel": "BUREAU",
        "status": "FLAGGED",
        "filedAt": "2019-05-01T08:00:00+08:00",
        "dueDate": "2019-05-21",
        "answeredAt": None,
        "late": False,
        "outcomeNote": None,
    }
    [event] = events(engine, "disputeFiled")
    assert (event.loan, event.virtual_time, event.data["dueDate"]) == (ACCT, engine.clock.now(), "2019-05-21")


def test_the_report_lists_the_subjects_disputes(engine: Engine, bureau: BureauModel, loaded: dict[str, Any]) -> None:
    body = file(engine)

    assert report(engine)["disputes"] == [body]


@pytest.mark.parametrize(
    "change",
    [{"Month": "2019-03"}, {"AcctCode": "LN-OTHER"}, {"IDNum": OTHER_ID_NUM}],
    ids=["month-not-reported", "unknown-account", "someone-elses-account"],
)
def test_a_dispute_on_an_account_month_the_bureau_does_not_hold_for_the_person_is_404(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any], change: dict[str, str]
) -> None:
    response = engine.call("platform", "bureau", "fileDispute", {**dispute_body(), **change})

    assert response.status == 404
    assert "check AcctCode and Month against the subject report" in response.json()["detail"]
    assert events(engine, "disputeFiled") == []


def test_the_flag_stays_while_any_dispute_on_the_month_is_open(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    first = file(engine)["disputeId"]
    file(engine, channel="FURNISHER")

    answer(engine, first)

    assert flags(engine)["2019-05"] is True


# -- the due date --------------------------------------------------------------------------------------


def test_the_answer_is_due_20_calendar_days_after_filing_across_labour_day(labour_day: Engine) -> None:
    install_and_load(labour_day, BureauConfig())

    body = file(labour_day, month="2019-04")

    assert (body["filedAt"], body["dueDate"]) == ("2019-04-30T17:00:00+08:00", "2019-05-20")


def test_on_business_days_the_labour_day_holiday_does_not_count_and_the_make_up_sunday_does(
    labour_day: Engine,
) -> None:
    install_and_load(labour_day, BureauConfig(dispute_business_days=True))

    before_holiday = file(labour_day, month="2019-04")
    labour_day.advance(to=datetime(2019, 5, 2, 10, tzinfo=SHANGHAI))
    during_holiday = file(labour_day, month="2019-04")

    # 05-05 (Sun, make-up day) is business day 1, then 05-06..10, 13..17, 20..24, 27..30: the 20th is 05-30.
    assert before_holiday["dueDate"] == "2019-05-30"
    assert during_holiday["dueDate"] == "2019-05-30"


def test_the_window_length_is_configurable(engine: Engine) -> None:
    engine.install(BureauModel(engine, BureauConfig(dispute_days=5, dispute_business_days=True)))
    load(engine, account(month="2019-05"))

    # filed on 2019-05-01 (a holiday): 05-05, 06, 07, 08, 09 are the five business days
    assert file(engine)["dueDate"] == "2019-05-09"


# -- answers -------------------------------------------------------------------------------------------


def test_corrected_removes_the_flag_and_the_journal_says_the_record_was_corrected(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]
    load(engine, correction(rpy="C"))

    response = answer(engine, dispute_id, "CORRECTED", "paid on 2019-05-10; May corrected to settled")

    body = response.json()
    assert response.status == 200
    assert (body["status"], body["late"], body["outcomeNote"]) == (
        "CORRECTED",
        False,
        "paid on 2019-05-10; May corrected to settled",
    )
    assert body["answeredAt"] == "2019-05-01T16:00:00+08:00"
    assert flags(engine)["2019-05"] is False
    [event] = events(engine, "disputeAnswered")
    assert event.loan == ACCT
    assert event.data["outcome"] == "CORRECTED"
    assert event.data["recordChangedSinceFiling"] is True


def test_confirmed_removes_the_flag_and_the_record_stands(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]

    answer(engine, dispute_id, "CONFIRMED", "no repayment received for installment 3")

    may = report(engine)["accounts"][0]["months"][1]
    assert (may["RpyStatus"], may["disputed"], may["objections"]) == ("1", False, [])
    assert events(engine, "disputeAnswered")[0].data["recordChangedSinceFiling"] is False


def test_cannot_confirm_removes_the_flag_and_keeps_the_objection_with_the_month(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]

    answer(engine, dispute_id, "CANNOT_CONFIRM", "the platform's records of 2019-05-10 are missing")
    load(engine, correction(rpy="2"))

    subject = report(engine)
    may = subject["accounts"][0]["months"][1]
    assert may["disputed"] is False
    assert may["objections"] == [
        {
            "disputeId": dispute_id,
            "reason": REASON,
            "finding": "the platform's records of 2019-05-10 are missing",
            "recordedAt": "2019-05-01T08:00:00+08:00",
        }
    ]
    assert subject["disputes"][0]["status"] == "CANNOT_CONFIRM"
    assert events(engine, "disputeAnswered")[0].data["objectionRecorded"] is True


def test_answering_twice_is_409_naming_the_first_answer(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]
    answer(engine, dispute_id, "CONFIRMED")

    response = answer(engine, dispute_id, "CORRECTED")

    assert response.status == 409
    assert f"dispute {dispute_id} was answered CONFIRMED at 2019-05-01T08:00:00+08:00" in response.json()["detail"]
    assert status(engine, dispute_id)["status"] == "CONFIRMED"


def test_an_unknown_dispute_is_404_for_status_and_answer(engine: Engine, bureau: BureauModel) -> None:
    assert engine.call("bank", "bureau", "disputeStatus", params={"disputeId": "DSP0"}).status == 404
    assert answer(engine, "DSP0").status == 404


def test_a_blank_note_is_400(engine: Engine, bureau: BureauModel, loaded: dict[str, Any]) -> None:
    dispute_id = file(engine)["disputeId"]

    response = answer(engine, dispute_id, note="   ")

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "body.note"
    assert status(engine, dispute_id)["status"] == "FLAGGED"


# -- lateness ------------------------------------------------------------------------------------------


def test_an_answer_on_the_due_date_is_on_time_and_the_day_after_is_late(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    on_time = file(engine)["disputeId"]
    late = file(engine)["disputeId"]

    engine.advance(to=datetime(2019, 5, 21, 23, 59, tzinfo=SHANGHAI))
    first = answer(engine, on_time).json()
    engine.advance(by=timedelta(minutes=1))
    second = answer(engine, late).json()

    assert (first["dueDate"], first["late"]) == ("2019-05-21", False)
    assert (second["answeredAt"], second["late"]) == ("2019-05-22T00:00:00+08:00", True)
    assert [e.data["late"] for e in events(engine, "disputeAnswered")] == [False, True]


def test_an_unanswered_dispute_shows_late_once_the_due_date_has_passed(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]

    engine.advance(to=datetime(2019, 5, 21, 23, 59, tzinfo=SHANGHAI))
    on_due_date = status(engine, dispute_id)["late"]
    engine.advance(to=datetime(2019, 5, 22, tzinfo=SHANGHAI))
    after = status(engine, dispute_id)["late"]

    assert (on_due_date, after) == (False, True)


def test_the_daily_check_journals_an_overdue_dispute_once_when_the_due_date_passes(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]

    engine.advance(to=datetime(2019, 5, 21, 23, 59, tzinfo=SHANGHAI))
    before = events(engine, "disputeOverdue")
    engine.advance(to=datetime(2019, 6, 30, tzinfo=SHANGHAI))
    after = events(engine, "disputeOverdue")

    assert before == []
    assert [(e.virtual_time.isoformat(), e.loan, e.data["disputeId"]) for e in after] == [
        ("2019-05-22T00:00:00+08:00", ACCT, dispute_id)
    ]


def test_a_dispute_answered_in_time_is_never_overdue(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    answer(engine, file(engine)["disputeId"])

    engine.advance(to=datetime(2019, 6, 30, tzinfo=SHANGHAI))

    assert events(engine, "disputeOverdue") == []


# -- the furnisher's hook ------------------------------------------------------------------------------


def test_the_furnisher_hears_of_a_dispute_and_answers_it_later_on_the_clock(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    heard: list[Dispute] = []

    def furnisher(dispute: Dispute) -> None:
        heard.append(dispute)
        engine.clock.schedule_in(
            timedelta(days=3), lambda: bureau.answer(dispute.dispute_id, "CONFIRMED", "checked: the record is right")
        )

    bureau.on_dispute(furnisher)
    dispute_id = file(engine)["disputeId"]
    engine.advance(by=timedelta(days=3))

    assert [(d.dispute_id, d.acct_code, d.month, d.reason, d.status) for d in heard] == [
        (dispute_id, ACCT, "2019-05", REASON, "FLAGGED")
    ]
    assert bureau.dispute(dispute_id).status == "CONFIRMED"
    assert status(engine, dispute_id)["answeredAt"] == "2019-05-04T08:00:00+08:00"


def test_the_python_answer_raises_what_the_operation_answers_as_404_409_and_400(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute = bureau.file_dispute(id_num=ID_NUM, acct_code=ACCT, month="2019-05", reason=REASON)

    with pytest.raises(InvalidAnswer, match="outcome 'FIXED' is not one of CORRECTED, CONFIRMED, CANNOT_CONFIRM"):
        bureau.answer(dispute.dispute_id, "FIXED", "note")
    bureau.answer(dispute.dispute_id, "CORRECTED", "done")
    with pytest.raises(DisputeAlreadyAnswered):
        bureau.answer(dispute.dispute_id, "CORRECTED", "done")
    with pytest.raises(DisputeNotFound):
        bureau.answer("DSP0", "CORRECTED", "done")
    with pytest.raises(RecordNotFound):
        bureau.file_dispute(id_num=ID_NUM, acct_code=ACCT, month="2019-01", reason=REASON)
    with pytest.raises(InvalidDispute, match="give 1–500 characters"):
        bureau.file_dispute(id_num=ID_NUM, acct_code=ACCT, month="2019-05", reason="x" * 501)
    with pytest.raises(InvalidDispute, match="channel 'PHONE' is not one of BUREAU, FURNISHER"):
        bureau.file_dispute(id_num=ID_NUM, acct_code=ACCT, month="2019-05", reason=REASON, channel="PHONE")


def test_cannot_confirm_on_a_month_deleted_meanwhile_records_no_objection(
    engine: Engine, bureau: BureauModel, loaded: dict[str, Any]
) -> None:
    dispute_id = file(engine)["disputeId"]
    load(engine, segment_deletion())

    answer(engine, dispute_id, "CANNOT_CONFIRM", "record withdrawn")

    data = events(engine, "disputeAnswered")[0].data
    assert (data["objectionRecorded"], data["recordChangedSinceFiling"]) == (False, True)
    assert report(engine)["disputes"][0]["status"] == "CANNOT_CONFIRM"
