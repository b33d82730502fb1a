"""Text messages to borrowers through the SMS gateway (Aliyun's SendSms API).

One client for the whole process, created when the module is imported (connection pooling); the gateway's address
is read at each send from ``ACME_SMS_URL``. The gateway is not idempotent — every call sends — so callers send a
given ``out_id`` at most once and never retry blindly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import httpx

__all__ = ["REMINDER_TEMPLATE", "SIGN_NAME", "SmsRefused", "gateway_url", "send_sms"]

SIGN_NAME = "Acme金融"
#: 您在${platform}的借款本期应还${amount}元，将于${dueDate}到期，请按时还款，以免影响您的个人征信。
REMINDER_TEMPLATE = "SMS_153055070"

_client = httpx.Client(timeout=httpx.Timeout(3.0))


class SmsRefused(Exception):
    """The gateway answered but did not take the message (its ``Code`` is not ``OK``)."""


def gateway_url() -> str:
    return os.environ.get("ACME_SMS_URL", "https://dysmsapi.aliyuncs.example")


def send_sms(phone: str, template: str, params: Mapping[str, str], out_id: str) -> str:
    """Send one message; returns the gateway's BizId. Raises httpx's errors, or SmsRefused."""
    body = {
        "PhoneNumbers": phone,
        "SignName": SIGN_NAME,
        "TemplateCode": template,
        "TemplateParam": json.dumps(dict(params), ensure_ascii=False),
        "OutId": out_id,
    }
    response = _client.post(gateway_url() + "/send", json=body)
    response.raise_for_status()
    answer = response.json()
    if answer.get("Code") != "OK":
        raise SmsRefused(f"{answer.get('Code')}: {answer.get('Message')}")
    return str(answer["BizId"])
