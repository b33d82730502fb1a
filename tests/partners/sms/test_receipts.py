"""Receipts: pushed after delivery, re-pushed at 1, 5 and 10 minutes until acknowledged with code 0, then dropped."""

from __future__ import annotations

from datetime import timedelta

from simulator.core import DeliveryResult
from simulator.partners.sms import SmsConfig
from tests.partners.sms.helpers import ACK, ALICE, ALICE_PHONE, Receiver, events, gateway, overdue_notice, send

NO_JITTER = SmsConfig(delivery_delay=timedelta(seconds=5), delivery_jitter=timedelta(0))
MINUTES = [timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=10)]


def test_a_delivered_message_pushes_one_receipt_with_aliyuns_fields() -> None:
    engine, _, receiver = gateway(config=NO_JITTER)
    sent_at = engine.clock.now()

    answer = send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    ((pushed_at, batch),) = receiver.pushes
    assert pushed_at == sent_at + timedelta(seconds=5)
    assert batch == [
        {
            "phone_number": ALICE_PHONE,
            "send_time": sent_at.isoformat(),
            "report_time": pushed_at.isoformat(),
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": 2,
            "biz_id": answer["BizId"],
            "out_id": "ovd-LN201902100001-3",
        }
    ]
    (acknowledged,) = events(engine, "receiptAcknowledged")
    assert (acknowledged.borrower, acknowledged.data["attempts"]) == (ALICE, 1)


def test_an_unacknowledged_receipt_is_pushed_again_at_1_5_and_10_minutes_then_dropped() -> None:
    receiver = Receiver([DeliveryResult(503)])
    engine, _, _ = gateway(config=NO_JITTER, receiver=receiver)

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    first = receiver.pushes[0][0]
    assert [at - first for at, _ in receiver.pushes] == MINUTES
    assert len({str(batch) for _, batch in receiver.pushes}) == 1  # the same batch each time
    (dropped,) = events(engine, "receiptDropped")
    assert dropped.virtual_time == first + timedelta(minutes=10)
    assert (dropped.borrower, dropped.data["attempts"], dropped.data["lastStatus"]) == (ALICE, 4, 503)
    assert engine.journal.count(kind="delivery", operation="smsReport") == 4


def test_a_200_without_code_0_is_not_an_acknowledgement() -> None:
    receiver = Receiver([DeliveryResult(200, body={"code": 1, "msg": "失败"})])
    engine, _, _ = gateway(config=NO_JITTER, receiver=receiver)

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    assert len(receiver.pushes) == 4
    assert events(engine, "receiptAcknowledged") == []
    assert events(engine, "receiptDropped")[0].data["lastAnswer"] == {"code": 1, "msg": "失败"}


def test_re_pushes_stop_once_the_receipt_is_acknowledged() -> None:
    receiver = Receiver([DeliveryResult(500), DeliveryResult(None, "timeout"), DeliveryResult(200, body=ACK)])
    engine, _, _ = gateway(config=NO_JITTER, receiver=receiver)

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    first = receiver.pushes[0][0]
    assert [at - first for at, _ in receiver.pushes] == MINUTES[:3]
    (acknowledged,) = events(engine, "receiptAcknowledged")
    assert acknowledged.data["attempts"] == 3
    assert events(engine, "receiptDropped") == []


def test_a_receipt_lost_on_the_way_is_pushed_again() -> None:
    engine, _, receiver = gateway(config=NO_JITTER)
    engine.add_fault({"at": "sms.smsReport", "drop": {}, "until": "2019-05-01T00:03:00+08:00"})

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    # the pushes at +0 and +1 min are lost before reaching the platform; the one at +5 min arrives
    assert len(receiver.pushes) == 1
    assert events(engine, "receiptAcknowledged")[0].data["attempts"] == 3


def test_re_push_times_are_configurable() -> None:
    config = SmsConfig(delivery_jitter=timedelta(0), receipt_repush=(timedelta(minutes=2),))
    engine, _, receiver = gateway(config=config, receiver=Receiver([DeliveryResult(502)]))

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    assert [at - receiver.pushes[0][0] for at, _ in receiver.pushes] == [timedelta(0), timedelta(minutes=2)]
    assert events(engine, "receiptDropped")[0].data["attempts"] == 2


def test_each_re_push_is_journaled_with_its_attempt_number() -> None:
    """lending-domain.md §1.2 (8), SmsReport [S6]: a non-200 reply is re-pushed after 1, 5 and 10 min, then
    dropped — four pushes of one receipt, journaled as attempts 1 to 4, not four first attempts."""
    receiver = Receiver([DeliveryResult(503)])
    engine, _, _ = gateway(config=NO_JITTER, receiver=receiver)

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    pushes = list(engine.journal.iter(kind="delivery", operation="smsReport"))
    assert [entry.data["attempt"] for entry in pushes] == [1, 2, 3, 4]
    assert [entry.virtual_time - pushes[0].virtual_time for entry in pushes] == MINUTES
