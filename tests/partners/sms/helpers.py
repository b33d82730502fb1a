"""An engine with the SMS gateway, a hand-built phone book, and a platform receiver that records receipt pushes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from simulator.core import DEFAULT_START, VIRTUAL_TIME_HEADER, DeliveryResult, Engine, Request, Response
from simulator.journal import Entry
from simulator.openapi import Operation
from simulator.partners.sms import Addressee, SmsConfig, SmsGateway
from simulator.population import PhoneBook

ALICE, BOB, CAROL = "B000001", "B000002", "B000003"
ALICE_PHONE = "13912345678"
BOB_PHONE = "13800138000"
RECYCLED = "15012345678"  # Carol's until 2019-05-10, empty for a while, Bob's second number from 2019-05-13
EMPTY = "18611112222"  # nobody has ever held it
BOOK = PhoneBook(
    {
        ALICE_PHONE: [(ALICE, date(2015, 1, 1), None)],
        BOB_PHONE: [(BOB, date(2016, 3, 1), None)],
        RECYCLED: [
            (CAROL, date(2012, 6, 1), date(2019, 5, 10)),
            (None, date(2019, 5, 10), date(2019, 5, 13)),
            (BOB, date(2019, 5, 13), None),
        ],
    }
)
ACK = {"code": 0, "msg": "成功"}


def overdue_notice(phones: str = ALICE_PHONE, **extra: str) -> dict[str, Any]:
    """A SendSms body for the bank's overdue notice."""
    return {
        "PhoneNumbers": phones,
        "SignName": "民生银行",
        "TemplateCode": "SMS_153055065",
        "TemplateParam": json.dumps({"platform": "小米金融", "dueDate": "2019-05-10"}, ensure_ascii=False),
        "OutId": "ovd-LN201902100001-3",
        **extra,
    }


@dataclass
class Receiver:
    """Plays the platform's smsReport receiver: answers each push with the next of ``answers`` (the last repeats)."""

    answers: list[DeliveryResult] = field(default_factory=lambda: [DeliveryResult(200, body=dict(ACK))])
    pushes: list[tuple[datetime, Any]] = field(default_factory=list)

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        assert operation.operation_id == "smsReport"
        self.pushes.append((datetime.fromisoformat(headers[VIRTUAL_TIME_HEADER]), body))
        return self.answers[min(len(self.pushes), len(self.answers)) - 1]


def gateway(
    *,
    config: SmsConfig | None = None,
    directory: Callable[[str, date], str | None] | None = BOOK.owner_at,
    addressee: Addressee | None = None,
    receiver: Receiver | None = None,
    start: datetime | None = None,
    seed: int = 7,
) -> tuple[Engine, SmsGateway, Receiver]:
    """A strict engine with the gateway installed and ``receiver`` (acknowledging by default) as the platform."""
    engine = Engine(seed=seed, strict=True, start=start or DEFAULT_START)
    model = SmsGateway(engine, config or SmsConfig(), directory, addressee=addressee)
    engine.install(model)
    engine.deliverer = receiver = receiver or Receiver()
    return engine, model, receiver


def send(engine: Engine, body: Mapping[str, Any], *, source: str | None = None) -> dict[str, Any]:
    """POST /sms/send as the platform (or, with ``source``, as that partner); the decoded 200 answer."""
    headers = {"content-type": "application/json"}
    if source is not None:
        headers["x-lendsim-source"] = source
    response = engine.handle(Request("POST", "/sms/send", "", headers, json.dumps(body).encode()))
    assert response.status == 200, response.json()
    answer: dict[str, Any] = response.json()
    return answer


def query(engine: Engine, query_string: str) -> Response:
    return engine.handle(Request("GET", "/sms/messages", query_string))


def events(engine: Engine, name: str) -> list[Entry]:
    return list(engine.journal.iter(kind="event", partner="sms", operation=name))
