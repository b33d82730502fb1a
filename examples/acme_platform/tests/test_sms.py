"""Reminders through the SMS gateway: once each, never twice, even when the gateway is slow."""

from __future__ import annotations

import json

import pytest

from acme_platform import AcmePlatform, Loan
from simulator.testing import Lendsim

pytestmark = pytest.mark.lendsim(freeze_time=True)


def test_a_reminder_goes_out_once_three_days_before_the_due_date(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    lendsim.advance(days=6, hours=8)  # 7 May, 08:00: three days before, but too early in the day
    assert lendsim.requests("sms", "sendSms") == []

    lendsim.advance(days=2)

    [sent] = lendsim.requests("sms", "sendSms")
    assert (sent["PhoneNumbers"], sent["OutId"]) == ("13912345678", "acme-LN-ACME-0001-1-remind")
    assert json.loads(sent["TemplateParam"]) == {"platform": "Acme", "amount": "1018.00", "dueDate": "2019-05-10"}
    assert list(acme.receipts.values()) == [True]  # the receipt reached our receiver and was acknowledged
    assert lendsim.journal.count(kind="delivery", operation="smsReport") == 1  # so the gateway did not push again
    lendsim.check({"sms_unique": {}, "pii_minimized": {}})


def test_a_slow_gateway_does_not_make_the_reminder_go_out_twice(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    lendsim.fault("sms.sendSms", latency={"delay": "PT10S"})  # longer than our 3 s timeout: we never hear back

    lendsim.advance(days=8, hours=12)

    assert len(lendsim.requests("sms", "sendSms")) == 1
    assert lendsim.journal.count(kind="event", operation="smsDelivered") == 1  # the gateway did send it
    lendsim.check({"sms_unique": {}})
