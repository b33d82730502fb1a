"""What the gateway sent: one :class:`Message` per number per send, kept by phone number (so by borrower)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simulator.partners.sms._templates import segments

__all__ = ["DELIVERED", "FAILED", "WAITING", "Message", "Outbox"]

#: SendStatus values of querySendDetails.
WAITING, FAILED, DELIVERED = 1, 2, 3


@dataclass(slots=True, eq=False)
class Message:
    """One message to one number: what was sent, by whom, and what became of it."""

    phone: str
    biz_id: str
    out_id: str | None
    template_code: str
    params: dict[str, str]
    content: str  # as the handset shows it: 【SignName】 + rendered text
    sign_name: str
    source: str  # the partner that sent it ("bank"), "platform" for an outside client
    sent_at: datetime
    sent_on: date  # the local send day, what querySendDetails is asked by
    intended: str | None = None  # the borrower the sender meant, when it can be known
    status: int = WAITING
    err_code: str = ""
    err_msg: str = ""
    reported_at: datetime | None = None  # when the receipt was made (delivery or failure)
    recipient: str | None = None  # the number's owner when it reached the handset

    @property
    def sms_size(self) -> int:
        return segments(self.content)

    def detail(self) -> dict[str, Any]:
        """The querySendDetails row (SmsSendDetailDTO)."""
        return {
            "PhoneNum": self.phone,
            "SendStatus": self.status,
            "ErrCode": self.err_code,
            "TemplateCode": self.template_code,
            "Content": self.content,
            "SendDate": self.sent_at.isoformat(),
            "ReceiveDate": self.reported_at.isoformat() if self.reported_at is not None else None,
            "OutId": self.out_id,
        }

    def receipt(self) -> dict[str, Any]:
        """The SmsReport pushed to the customer once the message is delivered or has failed."""
        assert self.reported_at is not None, "a receipt is made only once the message is delivered or failed"
        return {
            "phone_number": self.phone,
            "send_time": self.sent_at.isoformat(),
            "report_time": self.reported_at.isoformat(),
            "success": self.status == DELIVERED,
            "err_code": self.err_code,
            "err_msg": self.err_msg,
            "sms_size": self.sms_size,
            "biz_id": self.biz_id,
            "out_id": self.out_id,
        }

    def facts(self) -> dict[str, Any]:
        """What the journal records about the message (every event of it carries these)."""
        return {
            "phone": self.phone,
            "bizId": self.biz_id,
            "outId": self.out_id,
            "templateCode": self.template_code,
            "params": dict(self.params),
            "content": self.content,
            "signName": self.sign_name,
            "source": self.source,
            "sendTime": self.sent_at.isoformat(),
        }


class Outbox:
    """Messages by phone number, in send order."""

    __slots__ = ("_by_phone",)

    def __init__(self) -> None:
        self._by_phone: dict[str, list[Message]] = {}

    def add(self, message: Message) -> None:
        self._by_phone.setdefault(message.phone, []).append(message)

    def sent_to(self, phone: str) -> int:
        """How many messages this number has been sent, ever."""
        return len(self._by_phone.get(phone, ()))

    def count(self, phone: str, day: date, template_code: str) -> int:
        """How many messages of one template this number was sent on one local day."""
        return sum(1 for m in self._by_phone.get(phone, ()) if m.sent_on == day and m.template_code == template_code)

    def find(self, phone: str, day: date, biz_id: str | None = None) -> list[Message]:
        """The messages to ``phone`` sent on local day ``day`` (of one send if ``biz_id``), newest first."""
        found = [
            m for m in self._by_phone.get(phone, ()) if m.sent_on == day and (biz_id is None or m.biz_id == biz_id)
        ]
        found.reverse()
        return found

    def clear(self) -> None:
        self._by_phone.clear()

    def __iter__(self) -> Iterator[Message]:
        for messages in self._by_phone.values():
            yield from messages

    def __len__(self) -> int:
        return sum(len(messages) for messages in self._by_phone.values())

    def phones(self) -> int:
        return len(self._by_phone)
