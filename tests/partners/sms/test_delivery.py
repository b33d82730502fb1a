"""Delivery: after the delay, to whoever holds the number that day; empty numbers fail; faults at sms.delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.partners.sms import DELIVERED, FAILED, WAITING, SmsConfig
from tests.partners.sms.helpers import (
    ALICE,
    ALICE_PHONE,
    BOB,
    CAROL,
    EMPTY,
    RECYCLED,
    events,
    gateway,
    overdue_notice,
    send,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAY_14_EVENING = datetime(2019, 5, 14, 20, 5, tzinfo=SHANGHAI)


def test_a_message_reaches_the_holder_of_the_number_after_the_delivery_delay() -> None:
    engine, model, _ = gateway(config=SmsConfig(delivery_delay=timedelta(seconds=5), delivery_jitter=timedelta(0)))

    send(engine, overdue_notice(), source="bank")
    engine.advance(by=timedelta(seconds=4))
    waiting = [m.status for m in model.outbox]
    engine.advance(by=timedelta(seconds=1))

    assert waiting == [WAITING]
    (delivered,) = events(engine, "smsDelivered")
    assert delivered.borrower == ALICE
    assert delivered.virtual_time == engine.clock.now()
    assert delivered.sms_out_id == "ovd-LN201902100001-3"
    assert delivered.data["phone"] == ALICE_PHONE
    assert delivered.data["source"] == "bank"
    assert [m.status for m in model.outbox] == [DELIVERED]


def test_the_jitter_is_seeded_and_stays_within_its_bound() -> None:
    config = SmsConfig(delivery_delay=timedelta(seconds=3), delivery_jitter=timedelta(seconds=4))
    engine, _, _ = gateway(config=config)
    again, _, _ = gateway(config=config)

    for e in (engine, again):
        for _ in range(5):
            send(e, overdue_notice())
        e.advance(by=timedelta(minutes=1))

    delays = [datetime.fromisoformat(e.data["deliverAt"]) - e.virtual_time for e in events(engine, "smsAccepted")]
    assert all(timedelta(seconds=3) <= delay <= timedelta(seconds=7) for delay in delays)
    assert len(set(delays)) > 1
    assert [e.virtual_time for e in events(engine, "smsDelivered")] == [
        e.virtual_time for e in events(again, "smsDelivered")
    ]


def test_a_recycled_number_delivers_to_whoever_holds_it_on_the_day() -> None:
    # Carol held RECYCLED until 10 May; Bob has held it since 13 May. The bank still has it on file for Carol.
    engine, _, _ = gateway(start=MAY_14_EVENING, addressee=lambda out_id, phone: CAROL)

    send(engine, overdue_notice(RECYCLED), source="bank")
    engine.advance(by=timedelta(minutes=1))

    (delivered,) = events(engine, "smsDelivered")
    assert delivered.borrower == BOB
    assert delivered.data["recipient"] == BOB
    assert delivered.data["intended"] == CAROL
    assert delivered.data["toIntended"] is False
    (accepted,) = events(engine, "smsAccepted")
    assert accepted.borrower == CAROL


def test_before_it_was_recycled_the_same_number_reached_its_old_owner() -> None:
    engine, _, _ = gateway(start=datetime(2019, 5, 9, 12, tzinfo=SHANGHAI), addressee=lambda out_id, phone: CAROL)

    send(engine, overdue_notice(RECYCLED))
    engine.advance(by=timedelta(minutes=1))

    (delivered,) = events(engine, "smsDelivered")
    assert (delivered.borrower, delivered.data["toIntended"]) == (CAROL, True)


def test_the_owner_is_taken_on_the_day_of_delivery_not_of_the_send() -> None:
    # Sent at 23:59:58 on 12 May (nobody holds the number), delivered on 13 May when Bob does.
    start = datetime(2019, 5, 12, 23, 59, 58, tzinfo=SHANGHAI)
    engine, _, _ = gateway(start=start, config=SmsConfig(delivery_jitter=timedelta(0)))

    send(engine, overdue_notice(RECYCLED))
    engine.advance(by=timedelta(minutes=1))

    (delivered,) = events(engine, "smsDelivered")
    assert delivered.borrower == BOB


def test_a_number_nobody_holds_fails_with_an_empty_number_receipt() -> None:
    engine, model, receiver = gateway(start=datetime(2019, 5, 11, 9, tzinfo=SHANGHAI))

    send(engine, overdue_notice(f"{RECYCLED},{EMPTY}"))
    engine.advance(by=timedelta(minutes=1))

    assert events(engine, "smsDelivered") == []
    failed = events(engine, "smsFailed")
    assert sorted((e.data["phone"], e.data["errCode"]) for e in failed) == [(RECYCLED, "MK:0001"), (EMPTY, "MK:0001")]
    assert [m.status for m in model.outbox] == [FAILED, FAILED]
    receipts = [receipt for _, batch in receiver.pushes for receipt in batch]
    assert [(r["success"], r["err_code"]) for r in receipts] == [(False, "MK:0001"), (False, "MK:0001")]


def test_without_a_directory_every_number_is_in_service_and_its_holder_unknown() -> None:
    engine, _, _ = gateway(directory=None)

    send(engine, overdue_notice(EMPTY))
    engine.advance(by=timedelta(minutes=1))

    (delivered,) = events(engine, "smsDelivered")
    assert delivered.borrower is None
    assert delivered.data["toIntended"] is None


def test_a_drop_fault_accepts_the_message_and_never_delivers_it() -> None:
    engine, model, receiver = gateway()
    engine.add_fault({"at": "sms.delivery", "drop": {}})

    answer = send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))

    assert answer["Code"] == "OK"
    assert events(engine, "smsDelivered") == []
    (lost,) = events(engine, "smsLost")
    assert lost.data["bizId"] == answer["BizId"]
    assert [m.status for m in model.outbox] == [WAITING]
    assert receiver.pushes == []


def test_a_latency_fault_delivers_later() -> None:
    engine, _, _ = gateway(config=SmsConfig(delivery_jitter=timedelta(0)))
    engine.add_fault({"at": "sms.delivery", "latency": {"delay": "PT2H"}})
    sent_at = engine.clock.now()

    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))
    early = events(engine, "smsDelivered")
    engine.advance(by=timedelta(hours=2))

    assert early == []
    (delivered,) = events(engine, "smsDelivered")
    assert delivered.virtual_time == sent_at + timedelta(hours=2, seconds=5)


def test_an_outage_fault_fails_the_message_as_undelivered() -> None:
    engine, _, receiver = gateway()
    engine.add_fault({"at": "sms.delivery", "outage": {"status": 503}})

    send(engine, overdue_notice())
    engine.advance(by=timedelta(minutes=1))

    (failed,) = events(engine, "smsFailed")
    assert failed.data["errCode"] == "UNDELIV"
    assert receiver.pushes[0][1][0]["success"] is False


def test_a_duplicate_fault_puts_several_copies_on_the_handset_with_one_receipt() -> None:
    engine, _, receiver = gateway()
    engine.add_fault({"at": "sms.delivery", "duplicate": {"times": 3}})

    send(engine, overdue_notice())
    engine.advance(by=timedelta(minutes=1))

    assert [e.data["copy"] for e in events(engine, "smsDelivered")] == [1, 2, 3]
    assert len(receiver.pushes) == 1


def test_a_lost_receipt_leaves_a_delivered_message_waiting_in_the_outbox() -> None:
    engine, model, receiver = gateway()
    engine.add_fault({"at": "sms.delivery", "timeout_after_commit": {}})

    send(engine, overdue_notice())
    engine.advance(by=timedelta(minutes=30))

    (delivered,) = events(engine, "smsDelivered")
    assert delivered.data["receipt"] is False
    assert [m.status for m in model.outbox] == [WAITING]
    assert receiver.pushes == []


def test_the_delivery_point_is_listed_among_the_fault_points() -> None:
    engine, _, _ = gateway()

    assert {"sms.delivery", "sms.smsReport", "sms.sendSms"} <= engine.points
