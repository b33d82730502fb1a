"""O15 ``sms_claim_matches_bureau``: what an SMS tells a borrower about the credit bureau is true when it is sent.

Failure mode 26: a message says the delinquency was reported ("已报送") when no report was filed, or still says so
after the record was corrected. Two kinds of claim, told apart by template, each judged at the moment the sender
handed the SMS to the gateway (``sendTime``) against the bank's and the bureau's own records up to then:

- **the overdue notice** (the bank's overdue-notice template, or an SMS under a notice's OutId: as O2 tells them)
  says installment N of the loan went overdue and is being reported to the credit database. It is the notice Art. 15
  requires *before* the report (O3), so it cannot claim a report already made; what it can contradict is a
  correction: once the bank has accepted a correction of that installment (``correctionAccepted`` or
  ``correctionCompleted`` naming it — the furnisher has agreed the delinquency is not to stand), a notice of it
  tells the borrower a report the furnisher itself has withdrawn.
- **a report claim** (``reported``: templates that say a negative record *was* filed; none of the gateway's
  built-in templates does, so the default is none) is true only if, when it is sent, the bureau holds a negative
  record of the loan: it has loaded one (``recordLoaded`` with RpyStatus 1–7 or B, or AcctStatus 2/41/42) and no
  later record of that month has replaced it with a clean one.

The loan (and installment) an SMS is about comes from its OutId or its number and ``dueDate`` (as O2), else the only
loan registered with its number. Judged (``checked``): each send of either kind whose loan can be told (copies of one
send count once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_int, as_text, is_negative, stamp
from simulator.oracles._facts import Facts, Sms, read_templates

__all__ = ["SmsClaimMatchesBureau"]

_CORRECTED: Final = ("correctionAccepted", "correctionCompleted")


@dataclass(frozen=True, slots=True)
class _Record:
    seq: int
    at: datetime
    month: str
    negative: bool


class SmsClaimMatchesBureau(Oracle):
    invariant = "O15"
    key = "sms_claim_matches_bureau"
    judges = "SMS claiming a bureau report"
    params: ClassVar[Mapping[str, Any]] = {"reported": ()}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.reported = read_templates(self.key, "reported", params["reported"], "[SMS_100000001]")
        self.corrected: dict[tuple[str, int], tuple[int, datetime, str]] = {}  # (loan, no) -> first accepted
        self.records: dict[str, list[_Record]] = {}  # AcctCode -> what the bureau loaded, in order

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        for operation in _CORRECTED:
            yield ("event", "bank", operation), self._corrected
        yield ("event", "bureau", "recordLoaded"), self._loaded

    def _corrected(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.corrected.setdefault((entry.loan, no), (entry.seq, entry.virtual_time, entry.serial or "?"))

    def _loaded(self, entry: Entry) -> None:
        month = as_text(entry.data.get("Month"))
        if entry.loan is not None and month is not None:
            negative = is_negative(entry.data.get("segment"))
            self.records.setdefault(entry.loan, []).append(_Record(entry.seq, entry.virtual_time, month, negative))

    def judge(self) -> None:
        facts = self.facts
        seen: set[tuple[str, str | None]] = set()
        for sms in facts.sms:
            notice = facts.is_overdue_notice(sms)
            if not notice and sms.template not in self.reported:
                continue
            loan, no = facts.about(sms)
            copy = (sms.biz_id or str(sms.seq), sms.phone)
            if loan is None or copy in seen:
                continue
            seen.add(copy)
            self.checked += 1
            sent = sms.sent_at or sms.at
            if notice:
                self._notice(sms, sent, loan, no)
            else:
                self._report_claim(sms, sent, loan)

    def _notice(self, sms: Sms, sent: datetime, loan: str, no: int | None) -> None:
        correction = self.corrected.get((loan, no)) if no is not None else None
        if correction is None or correction[1] >= sent:
            return
        seq, at, number = correction
        calendar = self.context.calendar
        self.violate(
            self.facts.borrower_of(loan),
            loan,
            f"the overdue notice {sms.template} of loan {loan} installment {no} was sent at {stamp(calendar, sent)}, "
            f"telling the borrower the delinquency is being reported, after the bank had accepted correction "
            f"{number} of that installment at {stamp(calendar, at)}: the SMS claims a report the furnisher withdrew",
            (seq, sms.seq),
        )

    def _report_claim(self, sms: Sms, sent: datetime, loan: str) -> None:
        latest: dict[str, _Record] = {}  # month -> the bureau's record of it when the SMS was sent
        for record in self.records.get(self.facts.acct_of(loan), ()):
            if record.at < sent:
                latest[record.month] = record
        if any(record.negative for record in latest.values()):
            return
        calendar = self.context.calendar
        earlier = [r for r in self.records.get(self.facts.acct_of(loan), ()) if r.negative and r.at < sent]
        months = sorted({record.month for record in earlier})
        state = (
            f"the bureau's negative record of {', '.join(months)} had been corrected"
            if earlier
            else "the bureau held no negative record of the loan"
        )
        self.violate(
            self.facts.borrower_of(loan),
            loan,
            f"SMS {sms.template} sent at {stamp(calendar, sent)} told the borrower that loan {loan} was reported to "
            f"the credit bureau, but when it was sent {state}; say it was reported only after the bureau has "
            "loaded the report",
            (*(r.seq for r in earlier[-1:]), sms.seq),
        )
