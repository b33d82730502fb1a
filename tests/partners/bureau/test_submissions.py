"""Submissions: accepted at once, loaded after the feedback delay, one feedback row per record."""

from __future__ import annotations

from datetime import timedelta

from simulator.core import Engine
from simulator.partners.bureau import BureauConfig, BureauModel
from tests.partners.bureau.builders import (
    ACCT,
    BUREAU_DELAY,
    account,
    correction,
    events,
    feedback,
    load,
    submit,
)


def test_a_submission_is_accepted_with_an_id_and_the_record_count(engine: Engine, bureau: BureauModel) -> None:
    response = submit(engine, account(month="2019-04"), account(month="2019-05"))

    body = response.json()
    assert response.status == 202
    assert body["submissionId"] == "SUB20190501000001"
    assert body["recordCount"] == 2
    assert body["receivedAt"] == "2019-05-01T00:00:00+08:00"


def test_feedback_is_processing_until_the_delay_has_passed_then_done(engine: Engine, bureau: BureauModel) -> None:
    submission_id = submit(engine, account()).json()["submissionId"]

    engine.advance(by=BUREAU_DELAY - timedelta(seconds=1))
    before = feedback(engine, submission_id)
    engine.advance(by=timedelta(seconds=1))
    after = feedback(engine, submission_id)

    assert before == {"submissionId": submission_id, "status": "PROCESSING", "processedAt": None, "records": []}
    assert after["status"] == "DONE"
    assert after["processedAt"] == "2019-05-01T08:00:00+08:00"
    assert after["records"] == [
        {"index": 0, "InfRecType": "210", "AcctCode": ACCT, "code": "0000", "message": "loaded"}
    ]


def test_the_feedback_delay_is_configurable(engine: Engine) -> None:
    engine.install(BureauModel(engine, BureauConfig(feedback_delay=timedelta(minutes=5))))
    submission_id = submit(engine, account()).json()["submissionId"]

    engine.advance(by=timedelta(minutes=5))

    assert feedback(engine, submission_id)["status"] == "DONE"


def test_an_unknown_submission_is_404_with_the_fix(engine: Engine, bureau: BureauModel) -> None:
    response = engine.call("bank", "bureau", "submissionFeedback", params={"submissionId": "SUB0"})

    assert response.status == 404
    assert "use the submissionId that submitReport returned" in response.json()["detail"]


def test_submitting_the_same_file_twice_makes_two_submissions(engine: Engine, bureau: BureauModel) -> None:
    first = submit(engine, account()).json()["submissionId"]
    second = submit(engine, account()).json()["submissionId"]

    engine.advance(by=BUREAU_DELAY)

    assert first != second
    assert [r["code"] for r in feedback(engine, first)["records"]] == ["0000"]
    assert [r["code"] for r in feedback(engine, second)["records"]] == ["ABR004"]


def test_a_rejected_record_does_not_stop_the_rest_of_the_file(engine: Engine, bureau: BureauModel) -> None:
    codes = load(engine, correction(month="2019-03"), account(month="2019-05"), account("LN2", month="2019-05"))

    assert codes == ["ABR005", "0000", "0000"]


def test_records_load_in_file_order_so_a_correction_sees_the_account_before_it(
    engine: Engine, bureau: BureauModel
) -> None:
    assert load(engine, account(rpy="1"), correction(rpy="C")) == ["0000", "0000"]


def test_each_record_is_journaled_with_its_account_as_the_loan(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account(rpy="1"), correction("LN-NONE"))

    loaded = events(engine, "recordLoaded")
    rejected = events(engine, "recordRejected")
    processed = events(engine, "submissionProcessed")
    assert [(e.loan, e.data["Month"], e.data["segment"]["RpyStatus"]) for e in loaded] == [(ACCT, "2019-05", "1")]
    assert loaded[0].data["IDNumMasked"] == "1101**********1239"
    assert [(e.loan, e.data["code"]) for e in rejected] == [("LN-NONE", "ABR005")]
    assert processed[0].data["codes"] == {"0000": 1, "ABR005": 1}


def test_the_journal_never_holds_the_full_id_number_or_the_name_in_bureau_events(
    engine: Engine, bureau: BureauModel
) -> None:
    load(engine, account(), account(month="2019-05"))

    text = repr([e.data for e in engine.journal.iter(kind="event", partner="bureau")])
    assert "110105199003071239" not in text
    assert "张伟" not in text


def test_the_feedback_hook_hears_each_loaded_file(engine: Engine, bureau: BureauModel) -> None:
    heard: list[tuple[str, list[str]]] = []
    bureau.on_feedback(lambda submission_id, rows: heard.append((submission_id, [r.code for r in rows])))

    submission_id = submit(engine, account(), account()).json()["submissionId"]
    engine.advance(by=BUREAU_DELAY)

    assert heard == [(submission_id, ["ABR002", "ABR002"])]


def test_reset_forgets_submissions_accounts_and_disputes(engine: Engine, bureau: BureauModel) -> None:
    load(engine, account())

    engine.reset()

    assert bureau.snapshot() == {"submissions": 0, "processing": 0, "accounts": 0, "disputes": 0, "openDisputes": 0}
