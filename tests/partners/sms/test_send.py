"""sendSms: every call sends (no idempotency), one message per number, business errors as Aliyun answers them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from simulator.core import Engine
from simulator.partners.sms import SmsConfig
from tests.partners.sms.helpers import ALICE, ALICE_PHONE, BOB_PHONE, events, gateway, overdue_notice, send

BIZ_ID = r"[1-9][0-9]{17}\^0"


def test_two_identical_sends_make_two_messages_with_two_biz_ids() -> None:
    engine, model, _ = gateway()

    first = send(engine, overdue_notice())
    second = send(engine, overdue_notice())

    assert first["Code"] == second["Code"] == "OK"
    assert first["BizId"] != second["BizId"]
    assert first["RequestId"] != second["RequestId"]
    assert [e.data["bizId"] for e in events(engine, "smsAccepted")] == [first["BizId"], second["BizId"]]
    assert len(model.outbox) == 2


def test_a_biz_id_looks_like_aliyuns_and_the_same_seed_makes_the_same_ones() -> None:
    one, _, _ = gateway(seed=20190514)
    two, _, _ = gateway(seed=20190514)
    other, _, _ = gateway(seed=1)

    ids = [send(one, overdue_notice())["BizId"] for _ in range(3)]

    assert ids == [send(two, overdue_notice())["BizId"] for _ in range(3)]
    assert ids[0] != send(other, overdue_notice())["BizId"]
    assert all(re.fullmatch(BIZ_ID, biz) for biz in ids)


def test_one_send_to_several_numbers_makes_one_message_per_number_under_one_biz_id() -> None:
    engine, model, _ = gateway()

    answer = send(engine, overdue_notice(f"{ALICE_PHONE},{BOB_PHONE}"))

    accepted = events(engine, "smsAccepted")
    assert [e.data["phone"] for e in accepted] == [ALICE_PHONE, BOB_PHONE]
    assert {e.data["bizId"] for e in accepted} == {answer["BizId"]}
    assert {m.phone for m in model.outbox} == {ALICE_PHONE, BOB_PHONE}


def test_a_duplicate_fault_on_send_makes_the_seven_copies_of_2019() -> None:
    engine, _, _ = gateway()
    engine.add_fault({"at": "sms.sendSms", "duplicate": {"times": 7}})

    send(engine, overdue_notice(), source="bank")
    engine.advance(by=timedelta(minutes=1))

    delivered = events(engine, "smsDelivered")
    assert len(delivered) == 7
    assert len({e.data["bizId"] for e in delivered}) == 7
    assert {e.sms_out_id for e in delivered} == {"ovd-LN201902100001-3"}


def test_an_unknown_template_is_answered_sms_template_illegal_and_nothing_is_sent() -> None:
    engine, model, _ = gateway()

    answer = send(engine, overdue_notice(TemplateCode="SMS_999"))

    assert answer["Code"] == "isv.SMS_TEMPLATE_ILLEGAL"
    assert "SMS_999" in answer["Message"]
    assert "BizId" not in answer
    assert len(model.outbox) == 0
    assert events(engine, "smsAccepted") == []


def test_a_missing_variable_is_answered_template_missing_parameters_naming_it() -> None:
    engine, model, _ = gateway()

    answer = send(engine, overdue_notice(TemplateParam=json.dumps({"platform": "小米金融"}, ensure_ascii=False)))

    assert answer["Code"] == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert answer["Message"].endswith("lacks dueDate")
    assert len(model.outbox) == 0


def test_a_template_with_variables_and_no_template_param_misses_them_all() -> None:
    engine, _, _ = gateway()
    body = overdue_notice()
    del body["TemplateParam"]

    answer = send(engine, body)

    assert answer["Code"] == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert "lacks platform, dueDate" in answer["Message"]


@pytest.mark.parametrize(
    ("param", "why"),
    [('{"platform":"小米金融","dueDate":20190510}', "must be strings"), ("not json", "not JSON"), ('["x"]', "object")],
)
def test_template_param_must_be_a_json_object_of_strings(param: str, why: str) -> None:
    engine, _, _ = gateway()

    answer = send(engine, overdue_notice(TemplateParam=param))

    assert answer["Code"] == "isv.INVALID_JSON_PARAM"
    assert why in answer["Message"]


def test_a_number_in_an_unallocated_segment_refuses_the_whole_send_and_masks_the_number() -> None:
    engine, model, _ = gateway()

    answer = send(engine, overdue_notice(f"{ALICE_PHONE},14012345678"))

    assert answer["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert "140****5678" in answer["Message"]
    assert "14012345678" not in answer["Message"]
    assert len(model.outbox) == 0


def test_an_unapproved_signature_is_refused_when_signatures_are_configured() -> None:
    engine, _, _ = gateway(config=SmsConfig(sign_names=frozenset({"小米金融"})))

    answer = send(engine, overdue_notice())

    assert answer["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"
    assert "民生银行" in answer["Message"]


def test_flow_control_refuses_a_number_past_its_daily_limit_of_one_template() -> None:
    engine, _, _ = gateway(config=SmsConfig(daily_limit=2))

    answers = [send(engine, overdue_notice())["Code"] for _ in range(3)]
    engine.advance(by=timedelta(days=1))
    next_day = send(engine, overdue_notice())["Code"]

    assert answers == ["OK", "OK", "isv.BUSINESS_LIMIT_CONTROL"]
    assert next_day == "OK"


def test_the_sender_is_recorded_bank_by_its_header_and_platform_for_an_outside_client() -> None:
    engine, _, _ = gateway()

    send(engine, overdue_notice(), source="bank")
    send(engine, overdue_notice())

    assert [e.data["source"] for e in events(engine, "smsAccepted")] == ["bank", "platform"]


def test_the_answer_and_the_messages_carry_the_out_id_for_the_journal() -> None:
    engine, _, _ = gateway()

    send(engine, overdue_notice())

    response = engine.journal.last(kind="response", partner="sms")
    assert response is not None and response.sms_out_id == "ovd-LN201902100001-3"
    assert engine.journal.count(sms_out_id="ovd-LN201902100001-3", kind="event") == 1


def test_reset_empties_the_outbox() -> None:
    engine, model, _ = gateway()
    send(engine, overdue_notice())

    engine.reset()

    assert len(model.outbox) == 0
    assert model.snapshot()["messages"] == 0


def test_a_numbers_ids_do_not_depend_on_other_borrowers_traffic() -> None:
    # So a run sharded by borrower makes the same BizIds and delivery times as the whole run.
    whole, _, _ = gateway()
    shard, _, _ = gateway()

    for _ in range(3):
        send(whole, overdue_notice(BOB_PHONE))
        send(whole, overdue_notice(ALICE_PHONE))
        send(shard, overdue_notice(ALICE_PHONE))
    for engine in (whole, shard):
        engine.advance(by=timedelta(minutes=1))

    def alices(engine: Engine) -> list[tuple[str, datetime]]:
        return [(e.data["bizId"], e.virtual_time) for e in events(engine, "smsDelivered") if e.borrower == ALICE]

    assert alices(whole) == alices(shard)
