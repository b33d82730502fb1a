"""Faults at the bureau's own points: corrections rejected for a while (``bureau.corrections``), a file's
loading postponed or lost (``bureau.feedback``); and an outage of the operation itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator.core import Engine
from simulator.partners.bureau import BureauModel
from tests.partners.bureau.builders import (
    BUREAU_DELAY,
    account,
    correction,
    events,
    feedback,
    load,
    months,
    submit,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_bureau_declares_its_fault_points(engine: Engine, bureau: BureauModel) -> None:
    assert {"bureau.corrections", "bureau.feedback", "bureau.submitReport"} <= engine.points


@pytest.mark.parametrize("action", [{"drop": {}}, {"outage": {"status": 503}}], ids=["drop", "outage"])
def test_a_correction_rejected_during_the_fault_loads_when_resubmitted_after_it(
    engine: Engine, bureau: BureauModel, action: dict[str, dict[str, int]]
) -> None:
    load(engine, account(rpy="1"))
    engine.add_fault({"at": "bureau.corrections", "until": datetime(2019, 5, 10, tzinfo=SHANGHAI), **action})

    rejected = load(engine, correction(rpy="C"), account("LN2"))
    engine.advance(to=datetime(2019, 5, 10, tzinfo=SHANGHAI))
    resubmitted = load(engine, correction(rpy="C"))

    assert rejected == ["ABR006", "0000"]
    assert resubmitted == ["0000"]
    assert months(engine) == {"2019-05": "C"}
    assert [e.data["code"] for e in events(engine, "recordRejected")] == ["ABR006"]


def test_a_latency_fault_on_feedback_postpones_the_loading_once(engine: Engine, bureau: BureauModel) -> None:
    engine.add_fault({"at": "bureau.feedback", "latency": {"delay": "P1D"}})
    submission_id = submit(engine, account()).json()["submissionId"]

    engine.advance(by=BUREAU_DELAY)
    postponed = feedback(engine, submission_id)["status"]
    engine.advance(by=timedelta(days=1))
    done = feedback(engine, submission_id)

    assert postponed == "PROCESSING"
    assert (done["status"], done["processedAt"]) == ("DONE", "2019-05-02T08:00:00+08:00")
    assert [e.data["submissionId"] for e in events(engine, "submissionDelayed")] == [submission_id]


def test_a_dropped_file_is_never_loaded_and_its_feedback_stays_processing(engine: Engine, bureau: BureauModel) -> None:
    engine.add_fault({"at": "bureau.feedback", "drop": {}, "until": datetime(2019, 5, 2, tzinfo=SHANGHAI)})
    submission_id = submit(engine, account()).json()["submissionId"]

    engine.advance(by=timedelta(days=30))

    assert feedback(engine, submission_id)["status"] == "PROCESSING"
    assert months(engine) == {}
    assert [e.data["submissionId"] for e in events(engine, "submissionLost")] == [submission_id]
    assert load(engine, account()) == ["0000"]


def test_an_outage_at_submit_report_answers_503_and_nothing_is_received(engine: Engine, bureau: BureauModel) -> None:
    engine.add_fault({"at": "bureau.submitReport", "outage": {"status": 503}})

    response = submit(engine, account())

    assert response.status == 503
    assert bureau.snapshot()["submissions"] == 0
