"""The SMS gateway, Aliyun-style: ``sendSms`` (not idempotent), delivery to whoever holds the number that day,
``smsReport`` receipts re-pushed until acknowledged, and the ``querySendDetails`` outbox.

    from simulator.partners.sms import SmsConfig, SmsGateway
    engine.install(SmsGateway(engine, SmsConfig(daily_limit=None), directory=phone_book.owner_at))

What it journals (kind ``event``, partner ``sms``; every event carries ``sms_out_id`` = the send's OutId and
in ``data`` the message's phone, bizId, outId, templateCode, params, content, signName, source and sendTime):

- ``smsAccepted`` (``borrower``: the addressee, if known): a send accepted, one per number; ``intended``,
  ``deliverAt``.
- ``smsDelivered`` (``borrower``: the number's holder that day, ``None`` without a directory): the handset got
  it; ``recipient``, ``intended``, ``toIntended`` (``None`` when it cannot be told), ``copy`` (1…N under a
  ``duplicate`` fault), ``receipt`` (``False`` when the receipt was lost: ``timeout_after_commit`` fault).
- ``smsFailed`` (the addressee): not delivered; ``errCode`` ``MK:0001`` (an empty number) or ``UNDELIV`` (an
  ``outage`` fault), ``errMsg``, ``fault``.
- ``smsLost`` (the addressee): accepted but never delivered, no receipt (``drop`` fault); ``fault``.
- ``receiptAcknowledged`` (the holder, or the addressee of a failed message): the receiver answered 200
  ``{"code": 0}``; ``attempts``.
- ``receiptDropped`` (likewise): no acknowledgement after the last re-push; ``attempts``, ``lastStatus``,
  ``lastError``, ``lastAnswer``.

Each receipt push is also a ``delivery`` entry (point ``sms.smsReport``), journaled by the engine.

Who was *meant* to get a message is not in a SendSms request: the gateway knows it only through
``addressee(out_id, phone)`` (e.g. the bank's register of the OutIds it chose). Without it, ``intended`` and
``toIntended`` are ``None`` and a reader joins the sender's own events on ``sms_out_id``. ``source`` is the
partner that sent it (``x-lendsim-source``: ``"bank"``) or ``"platform"`` for a request from outside.
"""

from __future__ import annotations

from simulator.partners.sms._config import SmsConfig
from simulator.partners.sms._model import DELIVERY_POINT, Addressee, Directory, SmsGateway
from simulator.partners.sms._outbox import DELIVERED, FAILED, WAITING, Message
from simulator.partners.sms._receipts import RECEIPT_POINT, acknowledged
from simulator.partners.sms._templates import (
    CREDIT_RESTORE,
    DEFAULT_TEMPLATES,
    OVERDUE_NOTICE,
    REPAYMENT_REMINDER,
    VERIFICATION_CODE,
    Template,
    Templates,
)

__all__ = [
    "CREDIT_RESTORE",
    "DEFAULT_TEMPLATES",
    "DELIVERED",
    "DELIVERY_POINT",
    "FAILED",
    "OVERDUE_NOTICE",
    "RECEIPT_POINT",
    "REPAYMENT_REMINDER",
    "VERIFICATION_CODE",
    "WAITING",
    "Addressee",
    "Directory",
    "Message",
    "SmsConfig",
    "SmsGateway",
    "Template",
    "Templates",
    "acknowledged",
]
