"""O14 ``no_due_sms_after_settlement``: once a loan is settled, no due or overdue SMS about it.

A borrower who has settled a loan (paid it off early with ``EARLY_SETTLE``, or paid its last installment) has
nothing due. A repayment reminder or an overdue notice about that loan reaching the phone afterwards tells the
borrower the opposite of the truth (failure mode 17: "no later due SMS"). What counts is what the phone received
(``smsDelivered``) and when the loan was settled: the bank's record of it (``loanSettled``), or — earlier, when the
platform has not passed the money on yet — the borrower's own payment of the settlement quote (the runner's
``borrowerRepaid`` with ``repayType`` ``EARLY_SETTLE``), whichever came first. The platform's bookkeeping plays no
part.

A *due SMS* is a repayment reminder (``reminders``, default the gateway's reminder template ``SMS_153055070``) or an
overdue notice (the bank's overdue-notice template, or one sent under a notice's OutId: as O2 tells them). Its loan
is the one its OutId or its number and ``dueDate`` tie it to (as O2), else the only loan registered with its number.

Judged by when the sender handed it to the gateway (``sendTime``), not when the handset got it: a message already in
flight when the loan was settled is not the sender's doing, however long the network holds it. That is the only
grace, and no fixed one is added — the domain notes give none, and a sender that learns of a settlement and still
sends a reminder an hour later has sent it after the settlement.

One overdue notice after a settlement is right, not a violation: the notice of an installment the bank had found
overdue *before* the settlement (``installmentOverdue`` first): the borrower paid late, the month will be reported
late, and Art. 15 requires the notice before that report (O3) — whenever the batch gets to send it.

Judged (``checked``): each settled loan (whether any SMS followed or not); an SMS that reached someone
other than the borrower is O2's (a non-borrower), not this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_int, bounded, stamp
from simulator.oracles._facts import Facts, Sms, read_templates
from simulator.partners.sms import REPAYMENT_REMINDER

__all__ = ["REMINDER_TEMPLATES", "NoDueSmsAfterSettlement"]

#: Templates that remind a borrower of a payment due, unless ``expect:`` says.
REMINDER_TEMPLATES: Final = (REPAYMENT_REMINDER.code,)
_SHOWN: Final = 3
_SETTLE: Final = "EARLY_SETTLE"


class NoDueSmsAfterSettlement(Oracle):
    invariant = "O14"
    key = "no_due_sms_after_settlement"
    judges = "settled loans"
    params: ClassVar[Mapping[str, Any]] = {"reminders": REMINDER_TEMPLATES}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.reminders = read_templates(self.key, "reminders", params["reminders"], "[SMS_153055070]")
        self.settled: dict[str, tuple[int, datetime, str]] = {}  # loan -> (seq, at, by whom) of its settlement
        self.overdue: dict[tuple[str, int], int] = {}  # (loan, installment) -> seq of its first installmentOverdue

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "bank", "loanSettled"), self._settled
        yield ("event", "platform", "borrowerRepaid"), self._paid
        yield ("event", "bank", "installmentOverdue"), self._overdue

    def _settled(self, entry: Entry) -> None:
        if entry.loan is not None:  # the entries come in seq order: the first settlement of either kind stays
            self.settled.setdefault(entry.loan, (entry.seq, entry.virtual_time, "bank"))

    def _paid(self, entry: Entry) -> None:
        if entry.loan is not None and entry.data.get("repayType") == _SETTLE:
            self.settled.setdefault(entry.loan, (entry.seq, entry.virtual_time, "borrower"))

    def _overdue(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.overdue.setdefault((entry.loan, no), entry.seq)

    def judge(self) -> None:
        facts = self.facts
        self.checked += len(self.settled)
        late: dict[str, list[tuple[Sms, int | None]]] = {}
        seen: set[tuple[str, str | None]] = set()
        for sms in facts.sms:
            notice = facts.is_overdue_notice(sms)
            if not notice and sms.template not in self.reminders:
                continue
            loan, no = facts.about(sms)
            settled = self.settled.get(loan) if loan is not None else None
            if loan is None or settled is None or (sms.sent_at or sms.at) <= settled[1]:
                continue  # about no settled loan, or handed to the gateway before the settlement
            if not sms.reached(facts.borrower_of(loan)):
                continue  # a stranger's phone: O2's violation, not the borrower's experience
            marked = self.overdue.get((loan, no)) if notice and no is not None else None
            if marked is not None and marked < settled[0]:
                continue  # the notice of a delinquency found before the settlement (Art. 15), not a due SMS
            copy = (sms.biz_id or str(sms.seq), sms.phone)
            if copy in seen:
                continue  # one send, several copies at the handset: O2 counts those
            seen.add(copy)
            late.setdefault(loan, []).append((sms, no))
        for loan, found in late.items():
            self._report(loan, found)

    def _report(self, loan: str, found: list[tuple[Sms, int | None]]) -> None:
        calendar = self.context.calendar
        settled_seq, settled_at, by = self.settled[loan]
        how = "settled at the bank" if by == "bank" else "settled by the borrower (paid the settlement quote)"
        shown = []
        for sms, no in found[:_SHOWN]:
            what = "overdue notice" if self.facts.is_overdue_notice(sms) else "reminder"
            about = f" of installment {no}" if no is not None else ""
            shown.append(f"{what} {sms.template}{about} sent {stamp(calendar, sms.sent_at or sms.at)}")
        more = f", … {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        self.violate(
            self.facts.borrower_of(loan),
            loan,
            f"loan {loan} was {how} at {stamp(calendar, settled_at)}, but {len(found)} due SMS "
            f"about it reached the borrower after that: {'; '.join(shown)}{more}; a settled loan has nothing due",
            (settled_seq, *bounded([sms.seq for sms, _ in found], _SHOWN)),
        )
