"""The partners' behaviour over a real socket, as a platform meets it through `lendsim serve`."""

from __future__ import annotations

import time

import httpx

from simulator import Simulator
from simulator.http import create_app
from tests.http.conftest import running
from tests.partners.bank.helpers import LOAN_NO, loan_body, repayment


def test_a_platform_registers_repays_and_reads_the_result_over_http() -> None:
    sim = Simulator(seed=5, wall_clock=time.time)
    with running(create_app(sim)) as url, httpx.Client(base_url=url) as client:
        registered = client.post("/bank/loans", json=loan_body(disburseDate="2019-04-10"))
        client.post("/_sim/clock/advance", json={"to": "2019-05-10T20:15:00+08:00"})
        body = repayment("RP1", 1, "1000.00", "18.00", collected="2019-05-10T20:15:00+08:00")
        first = client.post("/bank/repayments", json=body)
        again = client.post("/bank/repayments", json=body)
        conflict = client.post("/bank/repayments", json={**body, "reqNo": "other", "repayAmount": "1.00"})
        client.post("/_sim/clock/advance", json={"by": "PT1M"})
        result = client.get(f"/bank/repayments/{body['repayOuterNo']}")
        schedule = client.get(f"/bank/loans/{LOAN_NO}/schedule")

    assert registered.status_code == 201
    assert first.json()["repayStatus"] == again.json()["repayStatus"] == "PROCESSING"
    assert conflict.status_code == 409
    assert "body.repayAmount" in [error["field"] for error in conflict.json()["errors"]]
    assert result.json()["repayStatus"] == "SUCCESS"
    assert schedule.json()["installments"][0]["status"] == "REPAYED"
    assert sim.journal.count(kind="event", operation="repayPosted", serial="RP1") == 1


def test_sms_sends_are_not_idempotent_over_http() -> None:
    sim = Simulator(seed=5)
    send = {
        "PhoneNumbers": "13912345678",
        "SignName": "民生银行",
        "TemplateCode": "SMS_153055090",
        "TemplateParam": '{"code":"123456"}',
        "OutId": "same-out-id",
    }
    with running(create_app(sim)) as url, httpx.Client(base_url=url) as client:
        first = client.post("/sms/send", json=send).json()
        second = client.post("/sms/send", json=send).json()

    assert first["Code"] == second["Code"] == "OK"
    assert first["BizId"] != second["BizId"]
