"""O1 ``no_false_delinquency``: a borrower who paid on time is not left delinquent once the window is over.

For every installment the platform collected in full by its due date plus grace (``borrowerRepaid``: the
local date of ``paidAt`` in the calendar's zone is at most ``dueDate + graceDays``, in business days when the
bank counts its grace so, ``graceBusinessDays``, and on that last day not after the bank's ``cutoff``: the terms
the bank published in ``loanRegistered``), the correction window opens at the first negative sign
about it — the bank marking it overdue (``installmentOverdue``), the bureau loading a negative record of its
month, or a dispute of that month — and lasts ``window`` (default 30 business days) from that sign's local
date. At the end of the window, or at the end of the run if that comes
first, judging only the entries before that instant:

- the bank shows no overdue state for it (an ``installmentOverdue`` not followed by ``overdueCleared`` or
  ``loanSettled``);
- the bureau's latest loaded record of its due month — and of any later month the bank reported negative
  because of it (``furnished.installments``) — is not negative (``RpyStatus`` 1–7 or B, or ``AcctStatus``
  2/41/42);
- no dispute of those months is still flagged (``disputeFiled`` without the bureau's ``disputeAnswered``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from simulator.clock import Span
from simulator.domain import ZERO, money_str
from simulator.journal import Entry
from simulator.oracles._base import (
    PLATFORM_SOURCES,
    Context,
    Handler,
    Oracle,
    Route,
    as_int,
    as_money,
    as_text,
    body_of,
    bounded,
    is_negative,
    month_of,
    parse_instant,
    source_of,
    stamp,
)
from simulator.oracles._facts import Facts

__all__ = ["NoFalseDelinquency"]

_CORRECTION_EVENTS = (
    "correctionAccepted",
    "correctionSubmitted",
    "correctionCompleted",
    "correctionRejected",
    "disputeReceived",
    "disputeAnswered",
)


@dataclass(frozen=True, slots=True)
class _Paid:
    seq: int
    at: datetime
    amount: Decimal | None


@dataclass(slots=True)
class _Attempt:
    seq: int
    at: datetime
    answer: int | None = None
    ok: bool | None = None
    why: str = ""


@dataclass(frozen=True, slots=True)
class _Load:
    seq: int
    at: datetime
    negative: bool | None  # None: the month was deleted
    status: str | None
    submission: str | None = None


class NoFalseDelinquency(Oracle):
    invariant = "O1"
    key = "no_false_delinquency"
    judges = "installments paid in full by due date + grace"
    params: ClassVar[Mapping[str, Any]] = {"window": Span(30, business=True)}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.window: Span = params["window"]
        self.paid: dict[tuple[str, int], list[_Paid]] = {}
        self.unallocated: dict[str, list[_Paid]] = {}
        self.attempts: dict[tuple[str, int], list[_Attempt]] = {}
        self.pending: dict[str, tuple[_Attempt, list[tuple[str, int]]]] = {}
        self.marks: dict[tuple[str, int], list[tuple[int, datetime, bool]]] = {}  # (seq, at, overdue?)
        self.settled: dict[str, list[tuple[int, datetime]]] = {}
        self.furnished: dict[str, list[tuple[int, datetime, str, bool, tuple[int, ...]]]] = {}
        self.loads: dict[tuple[str, str], list[_Load]] = {}
        self.account_deletions: dict[str, list[tuple[int, datetime]]] = {}
        self.disputes: dict[tuple[str, str], list[tuple[int, datetime, str]]] = {}
        self.answers: dict[str, tuple[int, datetime]] = {}
        self.corrections: dict[tuple[str, str], list[tuple[int, datetime]]] = {}
        self.sms_by_target: dict[tuple[str, int], list[tuple[int, datetime]]] = {}
        self.blame: dict[str, tuple[int, ...]] = {}  # submissionId -> the installments its record is negative for

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "platform", "borrowerRepaid"), self._repaid
        yield ("request", "bank", "repayApply"), self._apply
        yield ("response", "bank", "repayApply"), self._answer
        yield ("event", "bank", "installmentOverdue"), self._marked
        yield ("event", "bank", "overdueCleared"), self._cleared
        yield ("event", "bank", "loanSettled"), self._settled
        yield ("event", "bank", "furnished"), self._furnished
        for operation in _CORRECTION_EVENTS:
            yield ("event", "bank", operation), self._correction
        yield ("event", "bureau", "recordLoaded"), self._loaded
        yield ("event", "bureau", "disputeFiled"), self._dispute
        yield ("event", "bureau", "disputeAnswered"), self._dispute_answered

    # -- feeding ---------------------------------------------------------------------------------------

    def _repaid(self, entry: Entry) -> None:
        data = entry.data
        paid_at = parse_instant(data.get("paidAt")) or entry.virtual_time
        paid = _Paid(entry.seq, paid_at, as_money(data.get("amount")))
        if entry.loan is None:
            return
        no = as_int(data.get("installmentNo"))
        if entry.borrower is not None and self.facts.loan(entry.loan).borrower is None:
            self.facts.loan(entry.loan).borrower = entry.borrower
        if no is None:
            self.unallocated.setdefault(entry.loan, []).append(paid)
        else:
            self.paid.setdefault((entry.loan, no), []).append(paid)

    def _apply(self, entry: Entry) -> None:
        body = body_of(entry)
        if source_of(entry) not in PLATFORM_SOURCES or entry.correlation is None or not isinstance(body, Mapping):
            return
        loan = as_text(body.get("loanOuterNo")) or entry.loan
        lines = body.get("repayList")
        if loan is None or not isinstance(lines, list):
            return
        keys = sorted(
            {(loan, no) for line in lines if isinstance(line, Mapping) and (no := as_int(line.get("installmentNo")))}
        )
        attempt = _Attempt(entry.seq, entry.virtual_time)
        for key in keys:
            self.attempts.setdefault(key, []).append(attempt)
        self.pending[entry.correlation] = (attempt, keys)

    def _answer(self, entry: Entry) -> None:
        found = self.pending.pop(entry.correlation, None) if entry.correlation is not None else None
        if found is None:
            return
        attempt = found[0]
        attempt.answer = entry.seq
        body = body_of(entry)
        fault = entry.data.get("transportFault")
        state = body.get("repayStatus") if isinstance(body, Mapping) else None
        if fault:
            attempt.ok, attempt.why = False, f"no answer ({fault})"
        elif entry.status != 200:
            attempt.ok, attempt.why = False, f"answered {entry.status}"
        elif state == "FAIL":
            code = body.get("respCode") if isinstance(body, Mapping) else None
            attempt.ok, attempt.why = False, f"refused ({code})"
        else:
            attempt.ok = True

    def _marked(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.marks.setdefault((entry.loan, no), []).append((entry.seq, entry.virtual_time, True))

    def _cleared(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.marks.setdefault((entry.loan, no), []).append((entry.seq, entry.virtual_time, False))

    def _settled(self, entry: Entry) -> None:
        if entry.loan is not None:
            self.settled.setdefault(entry.loan, []).append((entry.seq, entry.virtual_time))

    def _furnished(self, entry: Entry) -> None:
        data = entry.data
        month = as_text(data.get("month"))
        if entry.loan is None or month is None:
            return
        installments = data.get("installments")
        numbers = tuple(n for n in installments if isinstance(n, int)) if isinstance(installments, list) else ()
        self.furnished.setdefault(entry.loan, []).append(
            (entry.seq, entry.virtual_time, month, bool(data.get("negative")), numbers)
        )
        submission = as_text(data.get("submissionId"))
        if submission is not None and numbers:
            self.blame[submission] = numbers

    def _correction(self, entry: Entry) -> None:
        month = as_text(entry.data.get("month"))
        if entry.loan is not None and month is not None:
            self.corrections.setdefault((entry.loan, month), []).append((entry.seq, entry.virtual_time))
        installments, submission = entry.data.get("installments"), as_text(entry.data.get("submissionId"))
        if entry.operation == "correctionSubmitted" and submission is not None and isinstance(installments, list):
            # A correction that still reads negative names the installments that keep it so (another one, late).
            numbers = tuple(n for n in installments if isinstance(n, int))
            if numbers:
                self.blame[submission] = numbers

    def _loaded(self, entry: Entry) -> None:
        data = entry.data
        acct = entry.loan
        if acct is None:
            return
        month = as_text(data.get("Month"))
        segment = data.get("segment")
        if month is not None and isinstance(segment, Mapping):
            status = segment.get("RpyStatus")
            submission = as_text(data.get("submissionId"))
            load = _Load(
                entry.seq, entry.virtual_time, is_negative(segment), str(status) if status else None, submission
            )
            self.loads.setdefault((acct, month), []).append(load)
        deleted = data.get("deletedMonths")
        if isinstance(deleted, list):
            for gone in deleted:
                if isinstance(gone, str):
                    self.loads.setdefault((acct, gone), []).append(_Load(entry.seq, entry.virtual_time, None, None))
        if data.get("accountDeleted") is True:
            self.account_deletions.setdefault(acct, []).append((entry.seq, entry.virtual_time))

    def _dispute(self, entry: Entry) -> None:
        month = as_text(entry.data.get("Month"))
        dispute = as_text(entry.data.get("disputeId"))
        if entry.loan is not None and month is not None and dispute is not None:
            self.disputes.setdefault((entry.loan, month), []).append((entry.seq, entry.virtual_time, dispute))

    def _dispute_answered(self, entry: Entry) -> None:
        dispute = as_text(entry.data.get("disputeId"))
        if dispute is not None:
            self.answers.setdefault(dispute, (entry.seq, entry.virtual_time))

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        self._allocate()
        for sms in self.facts.sms:
            target = self.facts.target(sms)
            if target is not None:
                self.sms_by_target.setdefault(target, []).append((sms.seq, sms.at))
        for (loan, no), payments in sorted(self.paid.items()):
            self._judge(loan, no, sorted(payments, key=lambda p: p.seq))

    def _allocate(self) -> None:
        """Payments without an installment number pay what is due, oldest first (the contract's rule)."""
        for loan, payments in self.unallocated.items():
            facts = self.facts.loans.get(loan)
            if facts is None or not facts.due_amounts:
                continue
            owed = {
                no: amount - sum((p.amount or ZERO for p in self.paid.get((loan, no), ())), ZERO)
                for no, amount in sorted(facts.due_amounts.items())
            }
            for payment in sorted(payments, key=lambda p: p.seq):
                left = payment.amount or ZERO
                for no in sorted(owed):
                    if left <= ZERO:
                        break
                    take = min(left, owed[no])
                    if take > ZERO:
                        owed[no] -= take
                        left -= take
                        self.paid.setdefault((loan, no), []).append(_Paid(payment.seq, payment.at, take))

    def _judge(self, loan: str, no: int, payments: list[_Paid]) -> None:
        facts = self.facts.loan(loan)
        due = facts.due_date(no)
        if due is None:
            return
        grace = facts.grace_days if facts.grace_days is not None else self.context.grace_days
        calendar = self.context.calendar
        last_day = calendar.deadline(due, Span(grace, facts.grace_business_days))
        if facts.cutoff is None:
            on_time = [p for p in payments if self.context.local(p.at) <= last_day]
        else:  # the bank's business day ends at its cut-off: money collected after it on the last day is late
            last_moment = calendar.at(last_day, facts.cutoff)
            on_time = [p for p in payments if p.at <= last_moment]
        if not on_time:
            return
        owed = facts.due_amounts.get(no)
        collected = sum((p.amount or ZERO for p in on_time), ZERO)
        if owed is not None and collected < owed:
            return  # a partial payment: the rest is legitimately overdue
        self.checked += 1
        acct = self.facts.acct_of(loan)
        months = {month_of(due)}
        months.update(
            month
            for _, _, month, negative, numbers in self.furnished.get(loan, ())
            if negative and no in numbers and month > month_of(due)
        )
        first = self._first_sign(loan, no, acct, months)
        if first is None:
            return
        window_until = self.context.window_until(first, self.window)
        until = min(window_until, self.context.until)
        problems: list[str] = []
        chain: list[int] = [on_time[0].seq]
        mark = self._still_overdue(loan, no, until)
        if mark is not None:
            problems.append(f"the bank still shows it overdue (marked {stamp(self.context.calendar, mark[1])})")
            chain.append(mark[0])
        for month in sorted(months):
            load = self._bureau_state(acct, month, until)
            if load is not None and self._against(load, no):
                problems.append(
                    f"the bureau still reports {month} as RpyStatus {load.status} "
                    f"(loaded {stamp(self.context.calendar, load.at)})"
                )
            for _seq, at, dispute in self.disputes.get((acct, month), ()):
                answer = self.answers.get(dispute)
                if at < until and (answer is None or answer[1] >= until):
                    problems.append(
                        f"dispute {dispute} of {month} (filed {stamp(self.context.calendar, at)}) is still flagged"
                    )
        if not problems:
            return
        chain.extend(seq for seq in self._story(loan, no, acct, months, until) if seq > on_time[0].seq)
        when = (
            f"at the end of the {self.window} window counted from {self.context.local(first).isoformat()}"
            if until == window_until
            else f"at the end of the run ({stamp(self.context.calendar, self.context.end)}), "
            f"inside the {self.window} window counted from {self.context.local(first).isoformat()}"
        )
        amount = f"{money_str(collected)} " if any(p.amount is not None for p in on_time) else ""
        until_cutoff = f" {facts.cutoff.isoformat()}" if facts.cutoff is not None else ""
        self.violate(
            facts.borrower,
            loan,
            f"loan {loan} installment {no} (due {due.isoformat()}, grace to {last_day.isoformat()}{until_cutoff}): "
            f"the borrower paid {amount}on time ({stamp(self.context.calendar, on_time[0].at)}), yet {when}: "
            + "; ".join(problems),
            chain,
        )

    def _first_sign(self, loan: str, no: int, acct: str, months: set[str]) -> datetime | None:
        signs = [at for _, at, overdue in self.marks.get((loan, no), ()) if overdue]
        for month in months:
            signs.extend(load.at for load in self.loads.get((acct, month), ()) if self._against(load, no))
            signs.extend(at for _, at, _ in self.disputes.get((acct, month), ()))
        return min(signs) if signs else None

    def _against(self, load: _Load, no: int) -> bool:
        """Whether a loaded record is negative because of installment ``no``: the bank's ``furnished`` event of its
        submission names the installments that made it negative; without one, any negative record counts."""
        if not load.negative:
            return False
        blamed = self.blame.get(load.submission) if load.submission is not None else None
        return blamed is None or no in blamed

    def _still_overdue(self, loan: str, no: int, until: datetime) -> tuple[int, datetime] | None:
        """The overdue mark still standing at ``until`` (seq, time), if any."""
        events = [(seq, at, overdue) for seq, at, overdue in self.marks.get((loan, no), ()) if at < until]
        events.extend((seq, at, False) for seq, at in self.settled.get(loan, ()) if at < until)
        standing: tuple[int, datetime] | None = None
        for seq, at, overdue in sorted(events):
            standing = (seq, at) if overdue else None
        return standing

    def _bureau_state(self, acct: str, month: str, until: datetime) -> _Load | None:
        """The bureau's latest loaded record of ``month`` before ``until`` (``None``: it holds none)."""
        events = [load for load in self.loads.get((acct, month), ()) if load.at < until]
        events.extend(_Load(seq, at, None, None) for seq, at in self.account_deletions.get(acct, ()) if at < until)
        latest = max(events, key=lambda load: load.seq, default=None)
        return latest if latest is not None and latest.negative is not None else None

    def _story(self, loan: str, no: int, acct: str, months: set[str], until: datetime) -> list[int]:
        """The entries that tell what happened to the installment, up to ``until``."""
        seqs: list[int] = []
        attempts = [a for a in self.attempts.get((loan, no), ()) if a.at < until]
        failed = [a for a in attempts if a.ok is False]
        for attempt in bounded(failed, 1):
            seqs.append(attempt.seq)
            if attempt.answer is not None:
                seqs.append(attempt.answer)
        accepted = next((a for a in attempts if a.ok), None)
        if accepted is not None:
            seqs.append(accepted.seq)
            if accepted.answer is not None:
                seqs.append(accepted.answer)
        seqs.extend(seq for seq, at, _ in self.marks.get((loan, no), ()) if at < until)
        seqs.extend(self.facts.notice_seqs.get((loan, no), ()))
        delivered = [seq for seq, at in self.sms_by_target.get((loan, no), ()) if at < until]
        seqs.extend(bounded(delivered, 2))
        for seq, at, month, negative, _ in self.furnished.get(loan, ()):
            if at < until and month in months and negative:
                seqs.append(seq)
        for month in months:
            loads = [load for load in self.loads.get((acct, month), ()) if load.at < until]
            first_negative = next((load.seq for load in loads if load.negative), None)
            if first_negative is not None:  # the wrongful record and whatever replaced it
                seqs.extend(load.seq for load in loads if load.seq >= first_negative)
            for seq, at, dispute in self.disputes.get((acct, month), ()):
                if at < until:
                    seqs.append(seq)
                    answer = self.answers.get(dispute)
                    if answer is not None and answer[1] < until:
                        seqs.append(answer[0])
            seqs.extend(seq for seq, at in self.corrections.get((loan, month), ()) if at < until)
        return seqs
