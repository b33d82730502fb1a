"""Receipts (SmsReport) pushed to the platform's receiver until it acknowledges them, then dropped.

Only ``200`` with ``{"code": 0}`` acknowledges a push (sms contract); any other answer, or none, makes the
gateway push the same batch again at each offset of ``SmsConfig.receipt_repush`` from the first push (1, 5
and 10 minutes), then give up. The engine's own retry counts any 2xx as delivered, so each push is one
``Engine.deliver`` without retries and the gateway decides from the result. Faults at ``sms.smsReport``
apply to every push, as the engine applies them. The journal numbers the pushes of a receipt (``attempt`` 1 for
the first, 2–4 for the re-pushes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from simulator.core import DeliveryResult, Engine
from simulator.partners.sms._outbox import Message

__all__ = ["RECEIPT_POINT", "ReceiptPusher", "acknowledged"]

#: The webhook the receipts go to; also the fault point of their delivery.
RECEIPT_POINT = "sms.smsReport"


def acknowledged(result: DeliveryResult) -> bool:
    """Whether the receiver took the receipts: status 200 and a body whose ``code`` is 0."""
    body = result.body
    if result.status != 200 or not isinstance(body, Mapping):
        return False
    code = body.get("code")
    return isinstance(code, int) and not isinstance(code, bool) and code == 0


class ReceiptPusher:
    """Pushes one message's receipt and re-pushes it until acknowledged or out of attempts."""

    __slots__ = ("_engine", "_offsets")

    def __init__(self, engine: Engine, offsets: Sequence[timedelta]) -> None:
        self._engine = engine
        self._offsets = tuple(offsets)

    def push(self, message: Message) -> None:
        """Push the receipt now (the message has just been delivered or has failed)."""
        self._attempt(message, 1, self._engine.clock.now())

    def _attempt(self, message: Message, number: int, first: datetime, after: timedelta = timedelta(0)) -> None:
        self._engine.deliver(
            RECEIPT_POINT,
            [message.receipt()],
            borrower=_borrower(message),
            sms_out_id=message.out_id,
            after=after,
            on_result=lambda result: self._answered(message, number, first, result),
            attempt=number,  # each push is its own delivery: the journal numbers them 1, 2, 3, 4
        )

    def _answered(self, message: Message, number: int, first: datetime, result: DeliveryResult) -> None:
        engine = self._engine
        if acknowledged(result):
            engine.event(
                "sms",
                "receiptAcknowledged",
                borrower=_borrower(message),
                sms_out_id=message.out_id,
                data={"phone": message.phone, "bizId": message.biz_id, "attempts": number},
            )
            return
        if number <= len(self._offsets):
            due = first + self._offsets[number - 1]
            self._attempt(message, number + 1, first, max(timedelta(0), due - engine.clock.now()))
            return
        engine.event(
            "sms",
            "receiptDropped",
            borrower=_borrower(message),
            sms_out_id=message.out_id,
            data={
                "phone": message.phone,
                "bizId": message.biz_id,
                "attempts": number,
                "lastStatus": result.status,
                "lastError": result.error,
                "lastAnswer": result.body if result.status is not None else None,
            },
        )


def _borrower(message: Message) -> str | None:
    """Whose story a receipt belongs to: the holder who got the message, or the addressee of a failed one."""
    return message.recipient if message.recipient is not None else message.intended
