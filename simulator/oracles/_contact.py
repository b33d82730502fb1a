"""O10 ``contact_hours`` and O11 ``contact_frequency``: when, and how often, a borrower's phone may be contacted.

Collection and reminder messages are contact with a borrower, and a regulator limits it: only within permitted
hours of the borrower's local day (08:00–21:00 by default, the hours China's 2018 collection guidance for online
consumer credit names), and only so many times a day. Both read what the gateway delivered (``smsDelivered``):

- **O10**: every send of the judged ``senders`` (default ``[platform]``) left the sender between ``from`` and
  ``until`` local time (the calendar's zone: a run's borrowers share one) — judged by the send's time
  (``sendTime``), which the sender controls, not by when the handset got it;
- **O11**: no number received more than ``per_day`` (default 3) sends of the judged senders on one local day.
  Copies of one send (a ``duplicate`` fault at the handset) count once: they are the network's doing (O2 judges
  them).

``exempt`` (default the gateway's verification-code template, ``SMS_153055090``) names templates that answer the
borrower's own request and are not contact. ``senders`` tells senders apart as O2 does: the gateway records who
sent each message (``bank`` for the bank's overdue notices, anything else is the platform). The bank sends its
notices at its overdue batch (02:00 in the catalog), which no platform controls: judging ``[bank]`` with contact
hours makes a scenario unpassable unless the batch runs within them (``lendsim lint`` warns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar, Final

from simulator.errors import ConfigError
from simulator.masking import mask_phone
from simulator.oracles._base import Context, Handler, Oracle, Route, bounded, stamp
from simulator.oracles._facts import Facts, Sms, read_senders, read_templates

__all__ = ["VERIFICATION_TEMPLATES", "ContactFrequency", "ContactHours"]

#: Templates that answer the borrower's own request (a one-time code): not contact, unless ``exempt`` says.
VERIFICATION_TEMPLATES: Final = ("SMS_153055090",)
_SHOWN: Final = 3


class _Contact(Oracle):
    """What both share: the judged sends, each once, with its number, local day and time."""

    params: ClassVar[Mapping[str, Any]] = {"senders": ("platform",), "exempt": VERIFICATION_TEMPLATES}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.senders = read_senders(self.key, params["senders"])
        example = "[SMS_153055090] for one-time codes"
        self.exempt = read_templates(self.key, "exempt", params["exempt"], example)

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        return ()  # the delivered SMS come from the shared facts

    def sends(self) -> list[Sms]:
        """Each judged send once (its first delivered copy), in send order."""
        seen: set[tuple[str | None, str | None]] = set()
        found = []
        for sms in self.facts.sms:
            sender = sms.sender
            if sender is not None and sender not in self.senders:
                continue
            if sms.template in self.exempt:
                continue
            key = (sms.biz_id, sms.phone) if sms.biz_id is not None else (str(sms.seq), sms.phone)
            if key in seen:
                continue
            seen.add(key)
            found.append(sms)
        return sorted(found, key=lambda sms: (sms.sent_at or sms.at, sms.seq))

    def sent(self, sms: Sms) -> datetime:
        return sms.sent_at or sms.at

    def borrower(self, sms: Sms) -> tuple[str | None, str | None]:
        """(borrower, loan) a message to ``sms.phone`` reached: whom it was meant for, or who gave that number."""
        loans = self.facts.phones.get(sms.phone, ()) if sms.phone is not None else ()
        loan = loans[0] if loans else None
        return sms.intended or self.facts.borrower_of(loan) or sms.recipient, loan

    def describe(self, sms: Sms) -> str:
        return f"{sms.template} at {stamp(self.context.calendar, self.sent(sms))}"


class ContactHours(_Contact):
    invariant = "O10"
    key = "contact_hours"
    judges = "SMS sends of the judged senders"
    params: ClassVar[Mapping[str, Any]] = {"from": time(8, 0), "until": time(21, 0), **_Contact.params}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.start: time = params["from"]
        self.end: time = params["until"]
        if self.end <= self.start:
            raise ConfigError(
                f"expect.contact_hours: until {self.end:%H:%M} is not after from {self.start:%H:%M}; the permitted "
                "hours are one stretch of the local day, e.g. from: '08:00', until: '21:00'",
                field="contact_hours.until",
            )

    def judge(self) -> None:
        tz = self.context.calendar.tz
        outside: dict[str, list[Sms]] = {}
        for sms in self.sends():
            self.checked += 1
            local = self.sent(sms).astimezone(tz).time()
            if not self.start <= local < self.end:
                outside.setdefault(sms.phone or "?", []).append(sms)
        hours = f"{self.start:%H:%M}–{'24:00' if self.end == time(23, 59, 59, 999999) else f'{self.end:%H:%M}'}"
        for phone, late in outside.items():
            borrower, loan = self.borrower(late[0])
            shown = ", ".join(self.describe(sms) for sms in late[:_SHOWN])
            more = f", … {len(late) - _SHOWN} more" if len(late) > _SHOWN else ""
            self.violate(
                borrower,
                loan,
                f"{len(late)} SMS to {mask_phone(phone)} {'was' if len(late) == 1 else 'were'} sent outside the "
                f"permitted contact hours {hours} local time: {shown}{more}",
                bounded([sms.seq for sms in late], _SHOWN),
            )


class ContactFrequency(_Contact):
    invariant = "O11"
    key = "contact_frequency"
    judges = "days a borrower's number received SMS of the judged senders"
    params: ClassVar[Mapping[str, Any]] = {"per_day": 3, **_Contact.params}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        per_day = params["per_day"]
        if isinstance(per_day, bool) or not isinstance(per_day, int) or per_day < 1:
            raise ConfigError(
                f"expect.contact_frequency.per_day must be a whole number of messages, at least 1, got {per_day!r}",
                field="contact_frequency.per_day",
            )
        self.per_day = per_day

    def judge(self) -> None:
        days: dict[tuple[str, date], list[Sms]] = {}
        for sms in self.sends():
            days.setdefault((sms.phone or "?", self.context.local(self.sent(sms))), []).append(sms)
        self.checked += len(days)
        for (phone, day), sends in days.items():
            if len(sends) <= self.per_day:
                continue
            borrower, loan = self.borrower(sends[0])
            shown = ", ".join(self.describe(sms) for sms in sends[:_SHOWN])
            more = f", … {len(sends) - _SHOWN} more" if len(sends) > _SHOWN else ""
            self.violate(
                borrower,
                loan,
                f"{mask_phone(phone)} received {len(sends)} SMS on {day.isoformat()}, more than the "
                f"{self.per_day} a day allowed: {shown}{more}",
                bounded([sms.seq for sms in sends], _SHOWN),
            )
