"""O8 ``dispute_sla``: a dispute is flagged at once and answered in writing within the limit (Art. 25).

- *Flagged at once*: every dispute the bureau accepted (a ``fileDispute`` answer 201 with a ``disputeId``) has
  its ``disputeFiled`` event — the month flagged — at the same virtual instant.
- *Answered in time*: the bureau's ``disputeAnswered`` for it falls on or before the deadline: ``within``
  (default 20 days; business days follow the calendar) counted from the local date it was filed. An answer the
  bureau itself marks ``late`` is late too.
- *Not left open*: a dispute without an answer whose deadline has passed by the end of the run is a
  violation (the bureau's ``disputeOverdue`` says the same); one still inside its deadline is pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from simulator.clock import Span
from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_text, body_of, handled_at, stamp
from simulator.oracles._facts import Facts

__all__ = ["DisputeSla"]


@dataclass(frozen=True, slots=True)
class _Filed:
    seq: int
    at: datetime
    dispute: str
    acct: str | None
    month: str | None


class DisputeSla(Oracle):
    invariant = "O8"
    key = "dispute_sla"
    judges = "disputes filed"
    params: ClassVar[Mapping[str, Any]] = {"within": Span(20, business=False)}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.within: Span = params["within"]
        self.filed: dict[str, _Filed] = {}
        self.accepted: list[tuple[int, datetime, str, str | None]] = []  # fileDispute answers
        self.answers: dict[str, tuple[int, datetime, bool, str | None]] = {}  # id -> (seq, at, late, outcome)
        self.related: dict[str, list[int]] = {}  # id -> the bank's and the bureau's other entries about it

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "bureau", "disputeFiled"), self._filed
        yield ("response", "bureau", "fileDispute"), self._accepted
        yield ("event", "bureau", "disputeAnswered"), self._answered
        yield ("event", "bureau", "disputeOverdue"), self._related
        yield ("event", "bank", "disputeReceived"), self._related

    def _filed(self, entry: Entry) -> None:
        dispute = as_text(entry.data.get("disputeId"))
        if dispute is not None:
            month = as_text(entry.data.get("Month"))
            self.filed.setdefault(dispute, _Filed(entry.seq, entry.virtual_time, dispute, entry.loan, month))

    def _accepted(self, entry: Entry) -> None:
        body = body_of(entry)
        if entry.status == 201 and isinstance(body, Mapping):
            dispute = as_text(body.get("disputeId"))
            if dispute is not None:
                self.accepted.append((entry.seq, handled_at(entry), dispute, as_text(body.get("status"))))

    def _answered(self, entry: Entry) -> None:
        dispute = as_text(entry.data.get("disputeId"))
        if dispute is not None and dispute not in self.answers:
            late = entry.data.get("late") is True
            self.answers[dispute] = (entry.seq, entry.virtual_time, late, as_text(entry.data.get("outcome")))

    def _related(self, entry: Entry) -> None:
        dispute = as_text(entry.data.get("disputeId"))
        if dispute is not None:
            self.related.setdefault(dispute, []).append(entry.seq)

    def judge(self) -> None:
        calendar = self.context.calendar
        for seq, at, dispute, status in self.accepted:
            filed = self.filed.get(dispute)
            if filed is None or filed.at != at:
                loan = self.facts.loan_of_acct(filed.acct) if filed is not None else None
                when = f"flagged only at {stamp(calendar, filed.at)}" if filed is not None else "never flagged"
                self.violate(
                    self.facts.borrower_of(loan),
                    loan,
                    f"dispute {dispute} was accepted at {stamp(calendar, at)} (status {status}) but {when}: "
                    "a dispute must be flagged at once",
                    (seq, *((filed.seq,) if filed is not None else ())),
                )
        today = self.context.local(self.context.end)
        for dispute, filed in sorted(self.filed.items(), key=lambda item: item[1].seq):
            self.checked += 1
            deadline = calendar.deadline(self.context.local(filed.at), self.within)
            answer = self.answers.get(dispute)
            loan = self.facts.loan_of_acct(filed.acct)
            chain = [filed.seq, *self.related.get(dispute, ())]
            what = f"dispute {dispute} of {filed.acct} {filed.month} (filed {stamp(calendar, filed.at)})"
            if answer is None:
                if today > deadline:
                    self.violate(
                        self.facts.borrower_of(loan),
                        loan,
                        f"{what} is still unanswered at the end of the run ({stamp(calendar, self.context.end)}), "
                        f"past its deadline {deadline.isoformat()} ({self.within})",
                        chain,
                    )
                continue
            answered_on = self.context.local(answer[1])
            if answered_on > deadline or answer[2]:
                outcome = f" {answer[3]}" if answer[3] else ""
                why = (
                    f"after its deadline {deadline.isoformat()} ({self.within})"
                    if answered_on > deadline
                    else "after the due date the bureau set for it (the bureau marked the answer late)"
                )
                self.violate(
                    self.facts.borrower_of(loan),
                    loan,
                    f"{what} was answered{outcome} on {answered_on.isoformat()}, {why}",
                    [*chain, answer[0]],
                )
