"""The report's aggregate views, counted from a run's journal: what each borrower's phone received per day, the
negative records the bureau loaded and the corrections, the repayments collected and those the bank posted.

They read only the journal (as the oracles do), so a run just finished and a journal kept for later give the same
numbers (:meth:`RunView.aggregates <simulator.report.RunView.aggregates>`). Days are the run's calendar days (its
time zone); an entry counts on the day of its virtual time. docs/reports.md says what each count means.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from simulator.journal import Entry, Journal
from simulator.masking import mask_text
from simulator.partners.bureau import is_negative

__all__ = ["Aggregates", "BureauDay", "RepaymentDay", "SmsDay", "aggregate"]

#: Bureau record types that correct what was loaded: a 212 correction, a 213 month deletion, a 214 account
#: deletion (``simulator/partners/bureau/_records.py``).
CORRECTIONS: Final = frozenset({"212", "213", "214"})


@dataclass(frozen=True, slots=True)
class SmsDay:
    """The SMS one person's phone received on one day."""

    borrower: str  # masked: the number's holder that day, or the masked number when no borrower held it
    day: date
    count: int  # copies delivered
    texts: int  # distinct texts among them
    most: int  # the most copies of one text

    @property
    def repeats(self) -> int:
        """Copies of a text the phone had already received that day."""
        return self.count - self.texts


@dataclass(slots=True)
class BureauDay:
    negative: int = 0  # records loaded with negative information (a 210 or 212 whose segment is negative)
    corrected: int = 0  # corrections loaded that leave nothing negative (a 212 that is not, a 213 or 214)


@dataclass(slots=True)
class RepaymentDay:
    collected: int = 0  # payments borrowers made in the platform's app (borrowerRepaid)
    collected_amount: Decimal = field(default_factory=Decimal)
    posted: int = 0  # repayments the bank posted to the loans (repayPosted)
    posted_amount: Decimal = field(default_factory=Decimal)


@dataclass(frozen=True, slots=True)
class Aggregates:
    days: list[date]  # every day of the run, first to last (and any day an entry fell on beyond them)
    sms: list[SmsDay]  # each person-day with SMS, by person then day
    bureau: dict[date, BureauDay]
    repayments: dict[date, RepaymentDay]

    def top_sms(self, limit: int) -> list[SmsDay]:
        """The person-days with the most SMS (most copies of one text, then the person, then the day breaking
        ties), at most ``limit``."""
        return sorted(self.sms, key=lambda d: (-d.count, -d.most, d.borrower, d.day))[:limit]

    def sms_histogram(self) -> dict[int, int]:
        """How many person-days received 1, 2, 3, … SMS."""
        return dict(sorted(Counter(d.count for d in self.sms).items()))


def aggregate(journal: Journal, tz: tzinfo, first: date, last: date) -> Aggregates:
    """The aggregates of ``journal`` by day in ``tz``, over ``first`` to ``last`` at least."""
    seen: set[date] = set()

    def day_of(entry: Entry) -> date:
        day = entry.virtual_time.astimezone(tz).date()
        seen.add(day)
        return day

    sms = _sms(journal.iter(kind="event", partner="sms", operation="smsDelivered"), day_of)
    bureau: dict[date, BureauDay] = defaultdict(BureauDay)
    for entry in journal.iter(kind="event", partner="bureau", operation="recordLoaded"):
        data = entry.data
        if is_negative(data.get("segment")):
            bureau[day_of(entry)].negative += 1
        elif str(data.get("InfRecType")) in CORRECTIONS:
            bureau[day_of(entry)].corrected += 1
    repayments: dict[date, RepaymentDay] = defaultdict(RepaymentDay)
    for entry in journal.iter(kind="event", partner="platform", operation="borrowerRepaid"):
        totals = repayments[day_of(entry)]
        totals.collected += 1
        totals.collected_amount += _amount(entry.data.get("amount"))
    for entry in journal.iter(kind="event", partner="bank", operation="repayPosted"):
        totals = repayments[day_of(entry)]
        totals.posted += 1
        totals.posted_amount += _amount(entry.data.get("repayAmount"))
    low, high = min([first, *seen]), max([last, *seen])
    days = [low + timedelta(days=n) for n in range((high - low).days + 1)]
    return Aggregates(days, sms, dict(bureau), dict(repayments))


def _sms(delivered: Iterable[Entry], day_of: Any) -> list[SmsDay]:
    texts: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
    for entry in delivered:
        data = entry.data
        person = entry.borrower or mask_text(str(data.get("phone") or "unknown number"))
        texts[(mask_text(person), day_of(entry))][_text(data)] += 1
    return [
        SmsDay(person, day, sum(copies.values()), len(copies), max(copies.values()))
        for (person, day), copies in sorted(texts.items())
    ]


def _text(data: Any) -> str:
    """What the phone shows: the text, or its template and parameters when the journal lacks the text."""
    content = data.get("content")
    if isinstance(content, str):
        return content
    return f"{data.get('templateCode')}:{json.dumps(data.get('params'), sort_keys=True, default=str)}"


def _amount(value: object) -> Decimal:
    """A money amount as the journal has it (a decimal string); anything else counts as nothing."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)
