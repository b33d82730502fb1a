"""The SMS gateway: SendSms that is not idempotent, delivery by the number's owner on the day, receipts, outbox.

A send is checked as Aliyun checks it (numbers, signature, template, variables, length, flow control) and
answered at once; each number then gets its own :class:`Message`, delivered on the clock after the delivery
delay to whoever holds the number that day (``directory``), with a receipt pushed to the platform. The
journal tells the story of every message: ``smsAccepted``, then ``smsDelivered``, ``smsFailed`` or
``smsLost``, then ``receiptAcknowledged`` or ``receiptDropped`` (see the package docstring).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from simulator.core import SOURCE_HEADER, Call, Engine, Reply
from simulator.domain import is_mobile
from simulator.masking import mask_phone
from simulator.partners.sms._config import SmsConfig
from simulator.partners.sms._ids import biz_id, delivery_delay, request_id
from simulator.partners.sms._outbox import DELIVERED, FAILED, WAITING, Message, Outbox
from simulator.partners.sms._receipts import ReceiptPusher
from simulator.partners.sms._templates import MAX_CONTENT, ParamError, parse_params

__all__ = ["DELIVERY_POINT", "Addressee", "Directory", "SmsGateway"]

#: Fault point consulted when a message reaches the handset: ``drop`` (accepted, never delivered, no
#: receipt), ``latency`` (delivered later), ``outage`` (the operator fails it: UNDELIV receipt),
#: ``duplicate`` (the handset gets N copies, one receipt), ``timeout_after_commit`` (delivered, receipt lost).
DELIVERY_POINT = "sms.delivery"
#: Who held a number on a day (``PhoneBook.owner_at``); ``None``: nobody we know of (the number is empty).
Directory = Callable[[str, date], "str | None"]
#: Who the sender meant to reach, from the send's OutId (``None`` if it gave none) and the number; ``None``
#: when that cannot be told.
Addressee = Callable[["str | None", str], "str | None"]

_SOURCE_OUTSIDE = "platform"  # a request without x-lendsim-source comes from the platform under test
_DEFAULTS = SmsConfig()


class SmsGateway:
    """An Aliyun-style SMS gateway over the engine: ``sendSms``, ``querySendDetails`` and ``smsReport`` pushes.

    ``directory(phone, day)`` says who held a number on a local day; without one, every number is in service
    and its holder unknown. ``addressee(out_id, phone)`` says whom the sender meant (e.g. the bank's loan
    register, by the OutId it chose); without one, whether a message reached the right person is left to
    whoever reads the journal (join the sender's events on ``sms_out_id``).
    """

    partner = "sms"
    points: tuple[str, ...] = (DELIVERY_POINT,)
    point_actions: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # only the common actions

    def __init__(
        self,
        engine: Engine,
        config: SmsConfig = _DEFAULTS,
        directory: Directory | None = None,
        *,
        addressee: Addressee | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.directory = directory
        self.addressee = addressee
        self.templates = config.registry()
        self.outbox = Outbox()
        self._receipts = ReceiptPusher(engine, config.receipt_repush)
        self._requests: dict[str, int] = {}  # RequestIds made per number (the first of a send)

    # -- the Model protocol ---------------------------------------------------------------------------

    def behaviours(self) -> Mapping[str, Callable[[Call], Reply]]:
        return {"sendSms": self.send_sms, "querySendDetails": self.query_send_details}

    def reset(self) -> None:
        self.outbox.clear()
        self._requests.clear()

    def snapshot(self) -> dict[str, Any]:
        statuses = [message.status for message in self.outbox]
        return {
            "messages": len(statuses),
            "numbers": self.outbox.phones(),
            "waiting": statuses.count(WAITING),
            "failed": statuses.count(FAILED),
            "delivered": statuses.count(DELIVERED),
            "templates": sorted(self.templates),
        }

    # -- sendSms --------------------------------------------------------------------------------------

    def send_sms(self, call: Call) -> Reply:
        """Check the send, answer with a new BizId, and schedule one delivery per number. Never deduplicates."""
        body: Mapping[str, Any] = call.body
        now = call.now
        numbers: str = body["PhoneNumbers"]
        phones = numbers.split(",")
        out_id: str | None = body.get("OutId")
        sign: str = body["SignName"]
        code: str = body["TemplateCode"]
        answer = {"RequestId": self._request_id(phones[0], now)}

        def refuse(error: str, message: str) -> Reply:
            return Reply(200, {"Code": error, "Message": message[:256], **answer}, sms_out_id=out_id)

        illegal = [phone for phone in phones if not is_mobile(phone)]
        if illegal:
            shown = ", ".join(mask_phone(phone) for phone in illegal[:3]) + (" …" if len(illegal) > 3 else "")
            return refuse("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号: {shown} (not in an allocated mobile segment)")
        allowed = self.config.sign_names
        if allowed is not None and sign not in allowed:
            return refuse(
                "isv.SMS_SIGNATURE_ILLEGAL", f"签名不合法: {sign!r} is not approved; use {', '.join(sorted(allowed))}"
            )
        template = self.templates.get(code)
        if template is None:
            return refuse(
                "isv.SMS_TEMPLATE_ILLEGAL",
                f"模板不合法: no approved template {code}; known: {', '.join(self.templates)}",
            )
        try:
            params = parse_params(body.get("TemplateParam"))
        except ParamError as exc:
            return refuse("isv.INVALID_JSON_PARAM", f"JSON参数不合法: {exc}")
        missing = template.missing(params)
        if missing:
            return refuse(
                "isv.TEMPLATE_MISSING_PARAMETERS",
                f"模板变量缺少对应参数值: {code} needs {', '.join(template.variables)}; "
                f"TemplateParam lacks {', '.join(missing)}",
            )
        content = f"【{sign}】{template.render(params)}"
        if len(content) > MAX_CONTENT:
            return refuse(
                "isv.PARAM_LENGTH_LIMIT",
                f"参数超出长度限制: the message would have {len(content)} characters; at most {MAX_CONTENT}",
            )
        day = self.engine.clock.calendar.local_date(now)
        over = self._over_limit(phones, day, code)
        if over is not None:
            return refuse(
                "isv.BUSINESS_LIMIT_CONTROL",
                f"触发业务流控: {mask_phone(over)} already had {self.config.daily_limit} messages of {code} today",
            )

        biz = biz_id(self.engine.seed, numbers, now, self.outbox.sent_to(phones[0]))
        source = call.headers.get(SOURCE_HEADER) or _SOURCE_OUTSIDE
        intended: set[str | None] = set()
        for index, phone in enumerate(phones):
            message = Message(
                phone=phone,
                biz_id=biz,
                out_id=out_id,
                template_code=code,
                params=params,
                content=content,
                sign_name=sign,
                source=source,
                sent_at=now,
                sent_on=day,
                intended=self.addressee(out_id, phone) if self.addressee is not None else None,
            )
            intended.add(message.intended)
            self._accept(message, index)
        borrower = intended.pop() if len(intended) == 1 else None
        return Reply(200, {"Code": "OK", "Message": "OK", "BizId": biz, **answer}, borrower=borrower, sms_out_id=out_id)

    def _over_limit(self, phones: list[str], day: date, code: str) -> str | None:
        limit = self.config.daily_limit
        if limit is None:
            return None
        for phone, now_sent in Counter(phones).items():
            if self.outbox.count(phone, day, code) + now_sent > limit:
                return phone
        return None

    def _accept(self, message: Message, index: int) -> None:
        config = self.config
        delay = delivery_delay(
            self.engine.seed, message.biz_id, message.phone, index, config.delivery_delay, config.delivery_jitter
        )
        self.outbox.add(message)
        self.engine.event(
            "sms",
            "smsAccepted",
            borrower=message.intended,
            sms_out_id=message.out_id,
            data={**message.facts(), "intended": message.intended, "deliverAt": (message.sent_at + delay).isoformat()},
        )
        self.engine.clock.schedule_in(
            delay, lambda: self._deliver(message), name="sms delivery", borrower=message.intended
        )

    # -- delivery -------------------------------------------------------------------------------------

    def _deliver(self, message: Message, postponed: bool = False) -> None:
        engine = self.engine
        now = engine.clock.now()
        plan = engine.faults.plan(DELIVERY_POINT, now, key=f"{message.biz_id}:{message.phone}")  # one message's draw
        latency = plan.delay
        if latency is not None and not postponed:
            engine.clock.schedule_in(
                latency, lambda: self._deliver(message, True), name="sms delivery", borrower=message.intended
            )
            return
        dropped = plan.dropped
        if dropped is not None:
            engine.event(
                "sms",
                "smsLost",
                borrower=message.intended,
                sms_out_id=message.out_id,
                data={**message.facts(), "intended": message.intended, "fault": dropped.id},
            )
            return
        outage = plan.outage
        if outage is not None:
            self._fail(message, now, "UNDELIV", "运营商网关故障, 未送达", fault=outage.id)
            return
        owner = self.directory(message.phone, engine.clock.calendar.local_date(now)) if self.directory else None
        if self.directory is not None and owner is None:
            self._fail(message, now, "MK:0001", "空号: 号码未分配")
            return
        receipt = not plan.lost_answer
        message.recipient = owner
        if receipt:
            message.status, message.err_code, message.err_msg = DELIVERED, "DELIVERED", "用户接收成功"
            message.reported_at = now
        copies = plan.copies
        known = message.intended is not None and self.directory is not None
        for copy in range(1, copies + 1):
            engine.event(
                "sms",
                "smsDelivered",
                borrower=owner,
                sms_out_id=message.out_id,
                data={
                    **message.facts(),
                    "recipient": owner,
                    "intended": message.intended,
                    "toIntended": owner == message.intended if known else None,
                    "copy": copy,
                    "receipt": receipt,
                },
            )
        if receipt:
            self._receipts.push(message)

    def _fail(self, message: Message, now: datetime, code: str, reason: str, *, fault: str | None = None) -> None:
        message.status, message.err_code, message.err_msg, message.reported_at = FAILED, code, reason, now
        self.engine.event(
            "sms",
            "smsFailed",
            borrower=message.intended,
            sms_out_id=message.out_id,
            data={**message.facts(), "intended": message.intended, "errCode": code, "errMsg": reason, "fault": fault},
        )
        self._receipts.push(message)

    # -- querySendDetails -----------------------------------------------------------------------------

    def query_send_details(self, call: Call) -> Reply:
        """The messages to one number on one local day, newest first, a page at a time."""
        params = call.params
        phone: str = params["PhoneNumber"]
        size: int = params.get("PageSize", 10)
        page: int = params.get("CurrentPage", 1)
        day = _send_date(params["SendDate"])
        found = self.outbox.find(phone, day, params.get("BizId")) if day is not None else []
        rows = found[(page - 1) * size : page * size]
        return Reply(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": self._request_id(phone, call.now),
                "TotalCount": len(found),
                "SmsSendDetailDTOs": [message.detail() for message in rows],
            },
        )

    def _request_id(self, phone: str, now: datetime) -> str:
        sequence = self._requests.get(phone, 0)
        self._requests[phone] = sequence + 1
        return request_id(self.engine.seed, phone, now, sequence)


def _send_date(text: str) -> date | None:
    """``yyyyMMdd`` as a date; ``None`` for a day the calendar does not have (20190231)."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
