"""querySendDetails: one number's messages on one local day, newest first, by BizId, a page at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.partners.sms import SmsConfig
from tests.partners.sms.helpers import ALICE_PHONE, BOB_PHONE, RECYCLED, gateway, overdue_notice, query, send

SHANGHAI = ZoneInfo("Asia/Shanghai")
NO_JITTER = SmsConfig(delivery_delay=timedelta(seconds=7), delivery_jitter=timedelta(0))


def test_a_sent_message_is_waiting_then_delivered_with_its_receive_date() -> None:
    start = datetime(2019, 5, 14, 20, 5, tzinfo=SHANGHAI)
    engine, _, _ = gateway(start=start, config=NO_JITTER)
    answer = send(engine, overdue_notice())

    waiting = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190514").json()
    engine.advance(by=timedelta(minutes=1))
    delivered = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190514").json()

    assert waiting["TotalCount"] == 1
    assert waiting["SmsSendDetailDTOs"][0]["SendStatus"] == 1
    assert waiting["SmsSendDetailDTOs"][0]["ErrCode"] == ""
    assert waiting["SmsSendDetailDTOs"][0]["ReceiveDate"] is None
    (row,) = delivered["SmsSendDetailDTOs"]
    assert row == {
        "PhoneNum": ALICE_PHONE,
        "SendStatus": 3,
        "ErrCode": "DELIVERED",
        "TemplateCode": "SMS_153055065",
        "Content": row["Content"],
        "SendDate": "2019-05-14T20:05:00+08:00",
        "ReceiveDate": "2019-05-14T20:05:07+08:00",
        "OutId": "ovd-LN201902100001-3",
    }
    assert row["Content"].startswith("【民生银行】您在小米金融的贷款于2019-05-10发生逾期。")
    assert delivered["Code"] == "OK" and answer["BizId"]


def test_a_failed_message_has_status_2_and_the_operators_code() -> None:
    engine, _, _ = gateway(start=datetime(2019, 5, 11, 9, tzinfo=SHANGHAI))
    send(engine, overdue_notice(RECYCLED))
    engine.advance(by=timedelta(minutes=1))

    (row,) = query(engine, f"PhoneNumber={RECYCLED}&SendDate=20190511").json()["SmsSendDetailDTOs"]

    assert (row["SendStatus"], row["ErrCode"]) == (2, "MK:0001")
    assert row["ReceiveDate"] is not None


def test_messages_are_listed_newest_first_a_page_at_a_time() -> None:
    engine, _, _ = gateway()
    biz_ids = []
    for _ in range(5):
        biz_ids.append(send(engine, overdue_notice())["BizId"])
        engine.advance(by=timedelta(minutes=1))
    send(engine, overdue_notice(BOB_PHONE))

    pages = [
        query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190501&PageSize=2&CurrentPage={page}").json()
        for page in (1, 2, 3, 4)
    ]

    assert [page["TotalCount"] for page in pages] == [5, 5, 5, 5]
    listed = [row for page in pages for row in page["SmsSendDetailDTOs"]]
    assert [len(page["SmsSendDetailDTOs"]) for page in pages] == [2, 2, 1, 0]
    assert [row["SendDate"] for row in listed] == sorted((row["SendDate"] for row in listed), reverse=True)
    assert {row["PhoneNum"] for row in listed} == {ALICE_PHONE}


def test_the_default_page_holds_ten() -> None:
    engine, _, _ = gateway()
    for _ in range(12):
        send(engine, overdue_notice())

    answer = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190501").json()

    assert (answer["TotalCount"], len(answer["SmsSendDetailDTOs"])) == (12, 10)


def test_a_biz_id_narrows_the_list_to_that_send() -> None:
    engine, _, _ = gateway()
    first = send(engine, overdue_notice(f"{ALICE_PHONE},{BOB_PHONE}"))["BizId"]
    send(engine, overdue_notice())

    answer = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190501&BizId={first.replace('^', '%5E')}").json()

    assert answer["TotalCount"] == 1
    (row,) = answer["SmsSendDetailDTOs"]
    assert row["PhoneNum"] == ALICE_PHONE


def test_the_send_date_is_the_day_in_the_calendars_time_zone() -> None:
    # 23:30 on 14 May in Shanghai is 15:30 UTC: the message belongs to 20190514, not to the UTC day's neighbour.
    engine, _, _ = gateway(start=datetime(2019, 5, 14, 23, 30, tzinfo=SHANGHAI))
    send(engine, overdue_notice())
    engine.advance(by=timedelta(hours=1))
    send(engine, overdue_notice())

    counts = [
        query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate={day}").json()["TotalCount"]
        for day in ("20190514", "20190515")
    ]

    assert counts == [1, 1]


def test_a_day_the_calendar_does_not_have_is_an_empty_list_not_an_error() -> None:
    engine, _, _ = gateway()
    send(engine, overdue_notice())

    response = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=20190231")

    assert response.status == 200
    assert (response.json()["TotalCount"], response.json()["SmsSendDetailDTOs"]) == (0, [])


def test_a_number_never_sent_to_is_an_empty_list() -> None:
    engine, _, _ = gateway()

    answer = query(engine, f"PhoneNumber={BOB_PHONE}&SendDate=20190501").json()

    assert (answer["Code"], answer["TotalCount"]) == ("OK", 0)


def test_a_malformed_send_date_breaks_the_contract_and_gets_400() -> None:
    engine, _, _ = gateway()

    response = query(engine, f"PhoneNumber={ALICE_PHONE}&SendDate=2019-05-01")

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "query.SendDate"
