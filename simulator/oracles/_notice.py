"""O3 ``notice_before_negative_report``: no negative bureau record without a notice to the borrower first.

Every record the bureau loads with negative information (``recordLoaded`` whose segment has ``RpyStatus``
1–7 or B, or ``AcctStatus`` 2/41/42) must have been preceded — before the furnisher *submitted* it (the
bureau's ``submitReport`` answer with that ``submissionId``; the load itself when the submission is not in the
journal), as Art. 15 requires notice before reporting — by an overdue SMS delivered to the loan's borrower:
an ``smsDelivered`` of an overdue notice of that loan (see O2 for how an SMS is tied to a loan) that reached
its borrower (``toIntended`` true; without a phone directory, not known to have gone astray). When the bank's
``furnished`` event names the installments that made the record negative, each of them needs its own notice;
otherwise any overdue notice of the loan will do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from simulator.journal import Entry
from simulator.oracles._base import (
    Context,
    Handler,
    Oracle,
    Route,
    as_text,
    body_of,
    bounded,
    handled_at,
    is_negative,
    stamp,
)
from simulator.oracles._facts import Facts

__all__ = ["NoticeBeforeNegativeReport"]


@dataclass(frozen=True, slots=True)
class _Negative:
    seq: int
    at: datetime
    acct: str
    month: str
    submission: str | None
    status: str


@dataclass(frozen=True, slots=True)
class _Submission:
    request: int | None
    answer: int
    at: datetime


class NoticeBeforeNegativeReport(Oracle):
    invariant = "O3"
    key = "notice_before_negative_report"
    judges = "negative bureau records"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.negatives: list[_Negative] = []
        self.requests: dict[str, int] = {}  # correlation -> submitReport request seq
        self.submissions: dict[str, _Submission] = {}
        self.furnished: dict[str, tuple[int, tuple[int, ...]]] = {}  # submissionId -> (seq, installments)

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "bureau", "recordLoaded"), self._loaded
        yield ("request", "bureau", "submitReport"), self._submit
        yield ("response", "bureau", "submitReport"), self._submitted
        yield ("event", "bank", "furnished"), self._furnished

    def _loaded(self, entry: Entry) -> None:
        segment = entry.data.get("segment")
        month = as_text(entry.data.get("Month"))
        if entry.loan is None or month is None or not is_negative(segment):
            return
        assert isinstance(segment, Mapping)
        status = str(segment.get("RpyStatus") or segment.get("AcctStatus"))
        submission = as_text(entry.data.get("submissionId"))
        self.negatives.append(_Negative(entry.seq, entry.virtual_time, entry.loan, month, submission, status))

    def _submit(self, entry: Entry) -> None:
        if entry.correlation is not None:
            self.requests[entry.correlation] = entry.seq

    def _submitted(self, entry: Entry) -> None:
        request = self.requests.pop(entry.correlation, None) if entry.correlation is not None else None
        body = body_of(entry)
        submission = as_text(body.get("submissionId")) if isinstance(body, Mapping) else None
        if submission is not None:
            self.submissions[submission] = _Submission(request, entry.seq, handled_at(entry))

    def _furnished(self, entry: Entry) -> None:
        submission = as_text(entry.data.get("submissionId"))
        installments = entry.data.get("installments")
        if submission is None:
            return
        numbers = tuple(n for n in installments if isinstance(n, int)) if isinstance(installments, list) else ()
        self.furnished[submission] = (entry.seq, numbers)

    def judge(self) -> None:
        facts = self.facts
        notices: dict[str, list[tuple[int, datetime, int, bool, bool]]] = {}  # loan -> (seq, at, no, reached, stray)
        for sms in facts.sms:
            target = facts.target(sms) if facts.is_overdue_notice(sms) else None
            if target is not None:
                loan, no = target
                reached = sms.reached(facts.borrower_of(loan))
                notices.setdefault(loan, []).append((sms.seq, sms.at, no, reached, sms.wrong_recipient))
        reported: dict[tuple[str, str], int] = {}
        first: dict[tuple[str, str], tuple[_Negative, list[str], list[int]]] = {}
        for record in self.negatives:
            self.checked += 1
            loan = facts.loan_of_acct(record.acct) or record.acct
            submission = self.submissions.get(record.submission) if record.submission else None
            point = submission.answer if submission is not None else record.seq
            furnished = self.furnished.get(record.submission) if record.submission else None
            required = furnished[1] if furnished is not None and furnished[1] else None
            sent = notices.get(loan, [])
            before = [n for n in sent if n[0] < point and n[3]]
            if required is None:
                missing = [] if before else ["the loan"]
            else:
                missing = [f"installment {no}" for no in required if not any(n[2] == no for n in before)]
            if not missing:
                continue
            key = (loan, record.month)
            reported[key] = reported.get(key, 0) + 1
            if key not in first:
                chain = [record.seq]
                if submission is not None:
                    chain.extend(seq for seq in (submission.request, submission.answer) if seq is not None)
                if furnished is not None:
                    chain.append(furnished[0])
                for no in required or ():
                    chain.extend(facts.notice_seqs.get((loan, no), ()))
                chain.extend(bounded([n[0] for n in sent], 2))
                first[key] = (record, missing, chain)
        for key, (record, missing, chain) in first.items():
            self._report(key[0], record, missing, chain, reported[key] - 1, notices.get(key[0], []))

    def _report(
        self,
        loan: str,
        record: _Negative,
        missing: list[str],
        chain: list[int],
        more: int,
        sent: list[tuple[int, datetime, int, bool, bool]],
    ) -> None:
        calendar = self.context.calendar
        submission = self.submissions.get(record.submission) if record.submission else None
        when = f"submitted {stamp(calendar, submission.at)}, " if submission is not None else ""
        notes = []
        if any(stray for *_, stray in sent):
            notes.append("an overdue SMS went to a non-borrower")
        point = submission.answer if submission is not None else record.seq
        later = [at for seq, at, _, reached, _ in sent if reached and seq > point]
        if later:
            notes.append(f"the first notice reached the borrower only at {stamp(calendar, min(later))}")
        elif not any(reached for *_, reached, _ in sent):
            notes.append("no overdue SMS ever reached the borrower")
        self.violate(
            self.facts.borrower_of(loan),
            loan,
            f"{record.month} of loan {loan} was reported negative (RpyStatus {record.status}; {when}"
            f"loaded {stamp(calendar, record.at)}) with no overdue SMS delivered to the borrower before it for "
            f"{', '.join(missing)}"
            + (f" ({'; '.join(notes)})" if notes else "")
            + (f"; {more} later negative record{'s' if more > 1 else ''} of the month likewise" if more else ""),
            chain,
        )
