"""Templates: the built-in texts, rendering, extra templates from the config."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from simulator.errors import ConfigError
from simulator.partners.sms import CREDIT_RESTORE, DEFAULT_TEMPLATES, OVERDUE_NOTICE, SmsConfig, Template
from tests.partners.sms.helpers import ALICE_PHONE, events, gateway, overdue_notice, send


def test_the_overdue_notice_reads_as_the_2019_sms_with_the_banks_signature() -> None:
    engine, _, _ = gateway()

    send(engine, overdue_notice(), source="bank")
    engine.advance(by=timedelta(minutes=1))

    (delivered,) = events(engine, "smsDelivered")
    assert delivered.data["content"] == (
        "【民生银行】您在小米金融的贷款于2019-05-10发生逾期。根据《征信业管理条例》的规定，"
        "我行将该笔贷款逾期相关信息报送至金融信用信息基础数据库……发出本条短信即为我行履行了报送信息对您的通知义务。"
    )
    assert delivered.data["templateCode"] == OVERDUE_NOTICE.code
    assert delivered.data["params"] == {"platform": "小米金融", "dueDate": "2019-05-10"}


def test_the_platforms_promise_says_30_working_days() -> None:
    assert CREDIT_RESTORE.render({"bank": "民生银行"}).endswith("会在30个工作日内为您恢复征信。")


def test_the_built_in_templates_are_a_notice_a_reminder_a_promise_and_a_code() -> None:
    assert [t.variables for t in DEFAULT_TEMPLATES] == [
        ("platform", "dueDate"),
        ("platform", "amount", "dueDate"),
        ("bank",),
        ("code",),
    ]
    assert len({t.code for t in DEFAULT_TEMPLATES}) == 4


def test_variables_the_template_does_not_use_are_ignored() -> None:
    engine, _, _ = gateway()
    params = {"code": "204511", "loan": "LN201902100001"}

    answer = send(engine, overdue_notice(TemplateCode="SMS_153055090", TemplateParam=json.dumps(params)))

    assert answer["Code"] == "OK"
    (accepted,) = events(engine, "smsAccepted")
    assert accepted.data["content"] == "【民生银行】您的验证码为204511，该验证码5分钟内有效，请勿泄露于他人。"


def test_the_config_adds_templates_and_may_replace_a_built_in_one() -> None:
    config = SmsConfig(templates={"SMS_100": "您的${product}额度已调整。", OVERDUE_NOTICE.code: "您已逾期。"})
    engine, model, _ = gateway(config=config)

    send(engine, overdue_notice(TemplateCode="SMS_100", TemplateParam='{"product":"随借随还"}'))
    send(engine, overdue_notice(ALICE_PHONE))

    assert [m.content for m in model.outbox] == ["【民生银行】您的随借随还额度已调整。", "【民生银行】您已逾期。"]


@pytest.mark.parametrize(
    ("code", "text", "message"),
    [("153055065", "x", "SMS_153055065"), ("SMS_1", " ", "no text"), ("SMS_1", "长" * 501, "at most 500")],
)
def test_a_bad_template_is_refused_when_the_config_is_made(code: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SmsConfig(templates={code: text})


def test_a_text_too_long_once_rendered_is_answered_param_length_limit() -> None:
    engine, _, _ = gateway(config=SmsConfig(templates={"SMS_101": "${text}"}))

    answer = send(
        engine,
        overdue_notice(TemplateCode="SMS_101", TemplateParam=json.dumps({"text": "长" * 495}, ensure_ascii=False)),
    )

    assert answer["Code"] == "isv.PARAM_LENGTH_LIMIT"


def test_a_long_message_is_billed_in_parts_of_67() -> None:
    template = Template("SMS_102", "${text}")
    engine, _, receiver = gateway(config=SmsConfig(templates={template.code: template.text}))

    send(
        engine,
        overdue_notice(TemplateCode="SMS_102", TemplateParam=json.dumps({"text": "长" * 130}, ensure_ascii=False)),
    )
    engine.advance(by=timedelta(minutes=1))

    (_, [receipt]) = receiver.pushes[0]
    assert receipt["sms_size"] == 3  # 【民生银行】 + 130 = 136 characters
