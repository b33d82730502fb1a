"""The services partner models get from the engine: install, internal calls, deliveries, events."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest

from simulator.core import Call, DeliveryResult, Engine, Reply
from simulator.errors import ConfigError, ContractError
from simulator.openapi import Operation

RECEIPT = [{"phone_number": "13812341234", "biz_id": "B1", "out_id": "O1", "success": True}]


class Receiver:
    """Plays the platform's receivers: answers with the statuses given, in turn, and records what came."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[str, Any, Mapping[str, str]]] = []

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        self.received.append((operation.operation_id, body, headers))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return DeliveryResult(status)


class Echo:
    """A minimal model: the SMS gateway answering every send the same way."""

    partner = "sms"
    points = ("sms.delivery",)
    point_actions = MappingProxyType({})  # only the common fault actions

    def __init__(self) -> None:
        self.resets = 0

    def behaviours(self) -> dict[str, Any]:
        def send(call: Call) -> Reply:
            return Reply(200, {"Code": "OK", "Message": "OK", "BizId": "123^0", "RequestId": "R1"})

        return {"sendSms": send}

    def reset(self) -> None:
        self.resets += 1

    def snapshot(self) -> dict[str, Any]:
        return {"sent": 0}


def deliveries(engine: Engine) -> list[tuple[int | None, str | None, int]]:
    return [(e.status, e.data["error"], e.data["attempt"]) for e in engine.journal.iter(kind="delivery")]


def test_a_delivery_reaches_the_platform_receiver_with_the_virtual_time(engine: Engine) -> None:
    receiver = Receiver(200)
    engine.deliverer = receiver

    engine.deliver("sms.smsReport", RECEIPT, sms_out_id="O1", after=timedelta(seconds=5))
    before = list(receiver.received)
    engine.advance(by=timedelta(seconds=5))

    assert before == []
    operation, body, headers = receiver.received[0]
    assert (operation, body) == ("smsReport", RECEIPT)
    assert headers["x-lendsim-virtual-time"] == "2019-05-01T00:00:05+08:00"
    assert deliveries(engine) == [(200, None, 1)]
    assert engine.journal.last(kind="delivery").sms_out_id == "O1"  # type: ignore[union-attr]


def test_a_failed_delivery_is_retried_after_each_delay_then_given_up(engine: Engine) -> None:
    engine.deliverer = Receiver(500)
    outcomes: list[DeliveryResult] = []
    retry = [timedelta(minutes=1), timedelta(minutes=4), timedelta(minutes=5)]

    engine.deliver("sms.smsReport", RECEIPT, retry=retry, on_result=outcomes.append)
    engine.advance(by=timedelta(minutes=30))

    times = [e.virtual_time.strftime("%H:%M") for e in engine.journal.iter(kind="delivery")]
    assert times == ["00:00", "00:01", "00:05", "00:10"]
    assert [o.status for o in outcomes] == [500]


def test_retries_stop_once_acknowledged(engine: Engine) -> None:
    engine.deliverer = Receiver(500, 200)

    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "R1"}, retry=[timedelta(minutes=1)] * 3)
    engine.advance(by=timedelta(hours=1))

    assert deliveries(engine) == [(500, None, 1), (200, None, 2)]


def test_a_delivery_done_with_its_retries_leaves_no_reference_cycle_behind(engine: Engine) -> None:
    # lendsim serve freezes what survives a middle-generation collection (tune_gc_for_a_growing_world), and a
    # delivery waiting for its retries does: a cycle in it would never be collected (~1.5 KB a callback).
    engine.deliverer = Receiver(500)
    gc.collect()
    gc.disable()
    try:
        for number in range(50):
            engine.deliver("bank.repayResultNotify", {"repayOuterNo": f"R{number}"}, retry=[timedelta(minutes=1)] * 3)
        engine.advance(by=timedelta(hours=1))
        collected = gc.collect()
    finally:
        gc.enable()

    assert len(deliveries(engine)) == 200
    assert collected == 0


def test_without_a_platform_a_delivery_is_journaled_as_undeliverable(engine: Engine) -> None:
    engine.deliver("bank.bankNotice", {"noticeId": "N1"})
    engine.advance(by=timedelta(seconds=1))

    assert deliveries(engine) == [(None, "no_receiver", 1)]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"drop": {}}, [(None, "dropped", 1)]),
        ({"outage": {"status": 502}}, [(502, None, 1)]),
        ({"outage": {"error": "connection_refused"}}, [(None, "connection_refused", 1)]),
        ({"duplicate": {"times": 3}}, [(200, None, 1)] * 3),
    ],
)
def test_faults_at_an_outbound_point_apply_to_each_attempt(
    engine: Engine, fault: dict[str, Any], expected: list[tuple[int | None, str | None, int]]
) -> None:
    engine.deliverer = Receiver(200)
    engine.add_fault({"at": "bank.repayResultNotify", **fault})

    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "R1"})
    engine.advance(by=timedelta(seconds=1))

    assert deliveries(engine) == expected


def test_timeout_after_commit_on_a_delivery_makes_the_sender_retry_a_delivered_message(engine: Engine) -> None:
    receiver = Receiver(200)
    engine.deliverer = receiver
    engine.add_fault({"at": "bank.repayResultNotify", "timeout_after_commit": {}, "until": "2019-05-01T00:00:30+08:00"})

    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "R1"}, retry=[timedelta(minutes=1)])
    engine.advance(by=timedelta(minutes=5))

    assert len(receiver.received) == 2  # the platform sees the callback twice


def test_latency_postpones_a_delivery(engine: Engine) -> None:
    engine.deliverer = Receiver(200)
    engine.add_fault({"at": "bank.repayResultNotify", "latency": {"delay": "P3D"}})

    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "R1"})
    engine.advance(by=timedelta(days=2))
    early = deliveries(engine)
    engine.advance(by=timedelta(days=2))

    assert early == []
    assert engine.journal.last(kind="delivery").virtual_time.isoformat() == "2019-05-04T00:00:00+08:00"  # type: ignore[union-attr]


def test_a_background_delivery_finishes_through_run_soon(engine: Engine) -> None:
    pending: list[Future[DeliveryResult]] = []
    queued: list[Any] = []

    def background(operation: Operation, body: Any, headers: Mapping[str, str]) -> Future[DeliveryResult]:
        future: Future[DeliveryResult] = Future()
        pending.append(future)
        return future

    engine.deliverer = background
    engine.run_soon = queued.append
    engine.deliver("bank.bankNotice", {"noticeId": "N1"})
    engine.advance(by=timedelta(seconds=1))
    pending[0].set_result(DeliveryResult(204))
    journaled_before_run_soon = deliveries(engine)
    queued.pop()()

    assert journaled_before_run_soon == []
    assert deliveries(engine) == [(204, None, 1)]


def test_an_internal_call_goes_through_dispatch_with_its_source(engine: Engine) -> None:
    body = {"PhoneNumbers": "13812341234", "SignName": "某银行", "TemplateCode": "SMS_100001", "OutId": "LN1-1"}

    response = engine.call("bank", "sms", "sendSms", body)

    assert response.status == 200
    request = engine.journal.last(kind="request")
    assert request is not None and request.data["headers"]["x-lendsim-source"] == "bank"
    assert request.sms_out_id == "LN1-1"


def test_an_internal_call_meets_the_faults_of_its_point(engine: Engine) -> None:
    engine.add_fault({"at": "sms.sendSms", "outage": {"status": 503}})
    body = {"PhoneNumbers": "13812341234", "SignName": "某银行", "TemplateCode": "SMS_100001"}

    assert engine.call("bank", "sms", "sendSms", body).status == 503


def test_an_installed_model_answers_resets_and_reports_its_state(engine: Engine) -> None:
    model = Echo()
    engine.install(model)
    body = {"PhoneNumbers": "13812341234", "SignName": "某银行", "TemplateCode": "SMS_100001"}

    answer = engine.call("bank", "sms", "sendSms", body).json()
    engine.reset()

    assert answer["BizId"] == "123^0"
    assert model.resets == 1
    assert engine.snapshot()["partners"]["sms"]["state"] == {"sent": 0}
    assert "sms.delivery" in engine.points


def test_a_model_for_an_unknown_operation_is_refused_with_the_closest_name(engine: Engine) -> None:
    model = Echo()
    model.behaviours = lambda: {"sendSMS": lambda call: Reply(200)}  # type: ignore[method-assign]

    with pytest.raises(ContractError, match="did you mean 'sendSms'"):
        engine.install(model)


def test_a_model_for_a_partner_without_contract_is_refused(engine: Engine) -> None:
    model = Echo()
    model.partner = "pager"  # type: ignore[misc]

    with pytest.raises(ConfigError, match="no such contract is loaded"):
        engine.install(model)


def test_events_are_journaled_with_their_ids(engine: Engine) -> None:
    engine.event("bank", "overdueBatch", loan="LN1", borrower="B1", data={"overdue": 1})

    entry = engine.journal.last(kind="event")
    assert entry is not None and (entry.operation, entry.loan, entry.borrower) == ("overdueBatch", "LN1", "B1")


def test_what_counts_as_acknowledged_can_be_stricter_than_a_2xx(engine: Engine) -> None:
    answers = iter([DeliveryResult(200, body={"code": 1}), DeliveryResult(200, body={"code": 0})])
    engine.deliverer = lambda operation, body, headers: next(answers)

    engine.deliver(
        "sms.smsReport",
        RECEIPT,
        retry=[timedelta(minutes=1)] * 3,
        accept=lambda result: result.ok and isinstance(result.body, dict) and result.body.get("code") == 0,
    )
    engine.advance(by=timedelta(minutes=10))

    assert deliveries(engine) == [(200, None, 1), (200, None, 2)]


def test_an_internal_call_can_name_the_borrower_and_loan_it_is_about(engine: Engine) -> None:
    body = {"PhoneNumbers": "13812341234", "SignName": "某银行", "TemplateCode": "SMS_100001"}

    engine.call("bank", "sms", "sendSms", body, borrower="B1", loan="LN1")

    request = engine.journal.last(kind="request")
    assert request is not None and (request.borrower, request.loan) == ("B1", "LN1")
