"""O5 ``bureau_converges``: the bureau comes to hold what the bank's ledger says, within the window.

Three checks, each judged at the end of ``window`` (default 30 days) counted from the local date of the change
it follows, and only once that end is within the run (a window still open at the end of the run is pending,
not a violation):

1. *Reported state.* For every account month the furnisher sent (``submitReport`` requests: a 210 or 212
   sets a month's segment, a 213 deletes months, a 214 the account), the bureau's latest loaded state of it
   (``recordLoaded``: segment, ``deletedMonths``, ``accountDeleted``) at the end of the window after the last
   submission equals the last segment submitted.
2. *Ledger truth.* A month whose installment the bank's ledger shows paid with money collected within grace
   (``overdueCleared`` with ``collectedWithinGrace``) is not negative at the bureau at the end of the window
   after that posting — unless another installment of the loan was overdue at the bank in that month and not
   collected within grace (``installmentOverdue`` not followed by such an ``overdueCleared`` before the month
   began): the month's negative status is then that installment's own.
3. *Feedback handled.* Every ``recordRejected`` (except ``ABR004``, an identical record already loaded) is
   followed within the window by a retry or an escalation: a ``furnishRetry``/``correctionRetry``/
   ``furnishEscalated``/``correctionRejected`` of that submission, a later submission of the same account
   month, or a later load of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Final

from simulator.clock import Span
from simulator.journal import Entry
from simulator.oracles._base import (
    Context,
    Handler,
    Oracle,
    Route,
    as_int,
    as_text,
    body_of,
    canonical,
    is_negative,
    month_of,
    parse_date,
    stamp,
)
from simulator.oracles._facts import Facts

__all__ = ["BureauConverges"]

#: Feedback codes that need no follow-up: the record is already there.
BENIGN: Final = frozenset({"ABR004"})
_FOLLOW_UPS: Final = ("furnishRetry", "correctionRetry", "furnishEscalated", "correctionRejected")
_ACCOUNT: Final = "*"  # the month key of a whole-account deletion


@dataclass(frozen=True, slots=True)
class _State:
    seq: int
    at: datetime
    segment: Mapping[str, Any] | None  # None: deleted
    record_type: str = ""


@dataclass(frozen=True, slots=True)
class _Rejection:
    seq: int
    at: datetime
    acct: str
    month: str | None
    code: str
    message: str
    submission: str | None
    record_type: str


@dataclass(frozen=True, slots=True)
class _Cleared:
    seq: int
    at: datetime
    loan: str
    no: int
    due: date


class BureauConverges(Oracle):
    invariant = "O5"
    key = "bureau_converges"
    judges = "bureau records and rejections past their window"
    params: ClassVar[Mapping[str, Any]] = {"window": Span(30, business=False)}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.window: Span = params["window"]
        self.sent: dict[tuple[str, str], list[_State]] = {}
        self.loaded: dict[tuple[str, str], list[_State]] = {}
        self.requests: dict[str, int] = {}  # correlation -> submitReport request seq
        self.submission_of: dict[int, str] = {}  # request seq -> submissionId
        self.rejections: list[_Rejection] = []
        self.rejected_in: dict[str, list[_Rejection]] = {}  # submissionId -> its rejected records
        self.follow_ups: dict[str, list[tuple[int, datetime]]] = {}  # submissionId -> bank follow-ups
        self.cleared: list[_Cleared] = []
        self.marked: dict[tuple[str, int], datetime] = {}  # (loan, installment) -> first marked overdue
        self.paid_off: dict[tuple[str, int], tuple[datetime, bool]] = {}  # -> when cleared, collected in grace

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("request", "bureau", "submitReport"), self._submit
        yield ("response", "bureau", "submitReport"), self._submitted
        yield ("event", "bureau", "recordLoaded"), self._loaded
        yield ("event", "bureau", "recordRejected"), self._rejected
        for operation in _FOLLOW_UPS:
            yield ("event", "bank", operation), self._follow_up
        yield ("event", "bank", "overdueCleared"), self._cleared
        yield ("event", "bank", "installmentOverdue"), self._marked

    # -- feeding ---------------------------------------------------------------------------------------

    def _submit(self, entry: Entry) -> None:
        body = body_of(entry)
        records = body.get("records") if isinstance(body, Mapping) else None
        if not isinstance(records, list):
            return
        if entry.correlation is not None:
            self.requests[entry.correlation] = entry.seq
        for record in records:
            if not isinstance(record, Mapping):
                continue
            acct = as_text(record.get("AcctCode"))
            kind = str(record.get("InfRecType"))
            if acct is None:
                continue
            for month, segment in _effects(record):
                self.sent.setdefault((acct, month), []).append(_State(entry.seq, entry.virtual_time, segment, kind))

    def _submitted(self, entry: Entry) -> None:
        request = self.requests.pop(entry.correlation, None) if entry.correlation is not None else None
        body = body_of(entry)
        submission = as_text(body.get("submissionId")) if isinstance(body, Mapping) else None
        if request is not None and submission is not None:
            self.submission_of[request] = submission

    def _loaded(self, entry: Entry) -> None:
        data = entry.data
        acct = entry.loan
        if acct is None:
            return
        kind = str(data.get("InfRecType"))
        month = as_text(data.get("Month"))
        segment = data.get("segment")
        if month is not None and isinstance(segment, Mapping):
            self.loaded.setdefault((acct, month), []).append(_State(entry.seq, entry.virtual_time, segment, kind))
        deleted = data.get("deletedMonths")
        for gone in deleted if isinstance(deleted, list) else ():
            if isinstance(gone, str):
                self.loaded.setdefault((acct, gone), []).append(_State(entry.seq, entry.virtual_time, None, kind))
        if data.get("accountDeleted") is True:
            self.loaded.setdefault((acct, _ACCOUNT), []).append(_State(entry.seq, entry.virtual_time, None, kind))

    def _rejected(self, entry: Entry) -> None:
        data = entry.data
        if entry.loan is None:
            return
        rejection = _Rejection(
            entry.seq,
            entry.virtual_time,
            entry.loan,
            as_text(data.get("Month")),
            str(data.get("code")),
            str(data.get("message") or ""),
            as_text(data.get("submissionId")),
            str(data.get("InfRecType")),
        )
        self.rejections.append(rejection)
        if rejection.submission is not None:
            self.rejected_in.setdefault(rejection.submission, []).append(rejection)

    def _follow_up(self, entry: Entry) -> None:
        submission = as_text(entry.data.get("submissionId"))
        if submission is not None:
            self.follow_ups.setdefault(submission, []).append((entry.seq, entry.virtual_time))

    def _cleared(self, entry: Entry) -> None:
        data = entry.data
        no = as_int(data.get("installmentNo"))
        due = parse_date(data.get("dueDate"))
        if entry.loan is None or no is None:
            return
        within = data.get("collectedWithinGrace") is True
        self.paid_off[entry.loan, no] = (entry.virtual_time, within)
        if due is None or not within:
            return
        self.cleared.append(_Cleared(entry.seq, entry.virtual_time, entry.loan, no, due))

    def _marked(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.marked.setdefault((entry.loan, no), entry.virtual_time)

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        self._reported_state()
        self._ledger_truth()
        self._feedback()

    def _held(self, acct: str, month: str, until: datetime) -> _State | None:
        """The bureau's latest state of an account month before ``until`` (``None``: it never held it)."""
        states = [s for s in self.loaded.get((acct, month), ()) if s.at < until]
        states.extend(s for s in self.loaded.get((acct, _ACCOUNT), ()) if s.at < until)
        return max(states, key=lambda s: s.seq, default=None)

    def _reported_state(self) -> None:
        calendar = self.context.calendar
        for (acct, month), sent in sorted(self.sent.items()):
            account = self.sent.get((acct, _ACCOUNT), []) if month != _ACCOUNT else []
            last = max([*sent, *account], key=lambda s: s.seq)
            until = self.context.window_until(last.at, self.window)
            if until > self.context.until:
                continue
            self.checked += 1
            held = self._held(acct, month, until)
            expected = last.segment
            actual = held.segment if held is not None else None
            if (expected is None and actual is None) or (
                expected is not None and actual is not None and canonical(expected) == canonical(actual)
            ):
                continue
            loan = self.facts.loan_of_acct(acct)
            submission = self.submission_of.get(last.seq)
            rejected = [r for r in self.rejected_in.get(submission or "", ()) if r.month in (month, None)]
            chain = [last.seq, *(r.seq for r in rejected), *([held.seq] if held is not None else [])]
            why = f"; it was rejected with {rejected[0].code}: {rejected[0].message}" if rejected else ""
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"{acct} {month}: the bank last reported {_describe(expected)} (a {last.record_type} record, "
                f"{stamp(calendar, last.at)}), but at the end of the {self.window} window the bureau holds "
                + (f"{_describe(actual)} (loaded {stamp(calendar, held.at)})" if held is not None else "nothing")
                + why,
                chain,
            )

    def _ledger_truth(self) -> None:
        calendar = self.context.calendar
        for cleared in self.cleared:
            until = self.context.window_until(cleared.at, self.window)
            if until > self.context.until:
                continue
            self.checked += 1
            acct = self.facts.acct_of(cleared.loan)
            month = month_of(cleared.due)
            held = self._held(acct, month, until)
            if held is None or not is_negative(held.segment) or self._overdue_otherwise(cleared, month):
                continue
            assert held.segment is not None
            self.violate(
                self.facts.borrower_of(cleared.loan),
                cleared.loan,
                f"loan {cleared.loan} installment {cleared.no} (due {cleared.due.isoformat()}) was collected within "
                f"grace and posted {stamp(calendar, cleared.at)}, yet at the end of the {self.window} window the "
                f"bureau still reports {month} as RpyStatus {held.segment.get('RpyStatus')} "
                f"(loaded {stamp(calendar, held.at)})",
                (cleared.seq, held.seq),
            )

    def _overdue_otherwise(self, cleared: _Cleared, month: str) -> bool:
        """Whether another installment of the loan was overdue at the bank during ``month`` (``YYYY-MM``) and not
        collected within grace: a delinquency of its own, which makes the month negative whatever is corrected."""
        calendar = self.context.calendar
        first = date.fromisoformat(f"{month}-01")
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for (loan, no), marked in self.marked.items():
            if loan != cleared.loan or no == cleared.no or calendar.local_date(marked) > last:
                continue
            ended = self.paid_off.get((loan, no))
            if ended is None or (not ended[1] and calendar.local_date(ended[0]) >= first):
                return True
        return False

    def _feedback(self) -> None:
        calendar = self.context.calendar
        for rejection in self.rejections:
            if rejection.code in BENIGN:
                continue
            until = self.context.window_until(rejection.at, self.window)
            follow = self._followed(rejection, until)
            if follow is None and until > self.context.until:
                continue  # still inside its window
            self.checked += 1
            if follow is not None:
                continue
            loan = self.facts.loan_of_acct(rejection.acct)
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"{rejection.acct} {rejection.month or '(account)'}: the bureau rejected the {rejection.record_type} "
                f"record of {rejection.submission} with {rejection.code} ({rejection.message}) at "
                f"{stamp(calendar, rejection.at)}, and nothing followed within {self.window}: no retry, no escalation",
                (rejection.seq,),
            )

    def _followed(self, rejection: _Rejection, until: datetime) -> int | None:
        """The first entry that retried or escalated the rejected record before ``until``."""
        for seq, at in self.follow_ups.get(rejection.submission or "", []):
            if seq > rejection.seq and at < until:
                return seq
        months = [rejection.month] if rejection.month is not None else []
        if not months:
            months = [m for acct, m in self.sent if acct == rejection.acct]
        for month in months:
            for state in [*self.sent.get((rejection.acct, month), []), *self.loaded.get((rejection.acct, month), [])]:
                if rejection.seq < state.seq and state.at < until:
                    return state.seq
        return None


def _effects(record: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any] | None]]:
    """What a submitted record does to the account's months: ``(month, segment)``, ``None`` for a deletion."""
    kind = str(record.get("InfRecType"))
    segment = record.get("AcctMthlyBlgInfSgmt")
    if kind == "210" and isinstance(segment, Mapping) and isinstance(segment.get("Month"), str):
        return [(str(segment["Month"]), segment)]
    if kind == "212" and isinstance(segment, Mapping) and isinstance(record.get("Month"), str):
        return [(str(record["Month"]), segment)]
    if kind == "213":
        start, end = record.get("StartMonth"), record.get("EndMonth")
        if isinstance(start, str) and isinstance(end, str) and start <= end:
            return [(month, None) for month in _months(start, end)]
    if kind == "214":
        return [(_ACCOUNT, None)]
    return []


def _months(start: str, end: str) -> list[str]:
    found: list[str] = []
    year, month = int(start[:4]), int(start[5:7])
    while f"{year:04d}-{month:02d}" <= end and len(found) < 600:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _describe(segment: Mapping[str, Any] | None) -> str:
    if segment is None:
        return "no such month (deleted)"
    return f"RpyStatus {segment.get('RpyStatus')}, AcctStatus {segment.get('AcctStatus')}"
