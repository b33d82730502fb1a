"""O6 ``terminal_states_absorb``: SUCCESS, FAIL and SETTLED never regress.

Per ``repayOuterNo``, the repayment states in the order the platform learned them must never go from SUCCESS
or FAIL back to PROCESSING, nor from SUCCESS to FAIL. The platform learns them from

- the bank's answers to *its* ``repayApply`` and ``repayResultQuery`` requests (``x-lendsim-source`` absent or
  ``platform``; status 200, ``repayStatus`` in the body; an answer lost to a transport fault never arrived,
  and one delayed by a ``latency`` fault is journaled as of when it arrived), and
- the ``repayResultNotify`` deliveries that reached its receiver (an attempt with a status and no error).

When the run journals the platform's own view — events ``platformRepayStatus`` (partner ``platform``,
``serial`` or ``data.repayOuterNo``, ``data.repayStatus``) — a repayment is judged by that view instead: what
it was told may legitimately arrive out of order (that is the fault being replayed); what it *believes* must
not regress.

Per loan, SETTLED is absorbing too: the bank must not mark an installment of a settled loan overdue
(``loanSettled`` then ``installmentOverdue``), and ``getLoan`` answers to the platform must not go from SETTLED
back to ACTIVE or OVERDUE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.oracles._base import (
    PLATFORM_SOURCES,
    Context,
    Handler,
    Oracle,
    Route,
    as_text,
    body_of,
    source_of,
    stamp,
)
from simulator.oracles._facts import Facts

__all__ = ["TerminalStatesAbsorb"]

TERMINAL: Final = frozenset({"SUCCESS", "FAIL"})
_QUESTIONS: Final = ("repayApply", "repayResultQuery")
_SHOWN: Final = 6


@dataclass(frozen=True, slots=True)
class _Told:
    at: datetime
    seq: int
    state: str
    how: str


class TerminalStatesAbsorb(Oracle):
    invariant = "O6"
    key = "terminal_states_absorb"
    judges = "repayment states and settled loans"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.asked: dict[str, tuple[str | None, str | None]] = {}  # correlation -> (repayOuterNo, loan)
        self.told: dict[str, list[_Told]] = {}
        self.believed: dict[str, list[_Told]] = {}
        self.loans_of: dict[str, str] = {}  # repayOuterNo -> loan
        self.loan_told: dict[str, list[_Told]] = {}
        self.settled: dict[str, tuple[int, datetime]] = {}
        self.marked_after: dict[str, list[tuple[int, datetime, Any]]] = {}

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        for operation in (*_QUESTIONS, "getLoan"):
            yield ("request", "bank", operation), self._ask
            yield ("response", "bank", operation), self._answer
        yield ("delivery", "bank", "repayResultNotify"), self._notified
        yield ("event", "platform", "platformRepayStatus"), self._believed
        yield ("event", "bank", "loanSettled"), self._settled
        yield ("event", "bank", "installmentOverdue"), self._marked

    # -- feeding ---------------------------------------------------------------------------------------

    def _ask(self, entry: Entry) -> None:
        if entry.correlation is None or source_of(entry) not in PLATFORM_SOURCES:
            return
        body = body_of(entry)
        serial = entry.serial or (as_text(body.get("repayOuterNo")) if isinstance(body, Mapping) else None)
        self.asked[entry.correlation] = (serial, entry.loan)

    def _answer(self, entry: Entry) -> None:
        asked = self.asked.pop(entry.correlation, None) if entry.correlation is not None else None
        body = body_of(entry)
        if asked is None or entry.status != 200 or entry.data.get("transportFault") or not isinstance(body, Mapping):
            return
        arrived = entry.virtual_time  # a delayed answer is journaled as of when it arrived
        if entry.operation == "getLoan":
            status = as_text(body.get("status"))
            loan = as_text(body.get("loanOuterNo")) or asked[1]
            if status is not None and loan is not None:
                self.loan_told.setdefault(loan, []).append(_Told(arrived, entry.seq, status, "getLoan answer"))
            return
        serial = as_text(body.get("repayOuterNo")) or asked[0]
        state = as_text(body.get("repayStatus"))
        if serial is not None and state is not None:
            self.told.setdefault(serial, []).append(_Told(arrived, entry.seq, state, f"{entry.operation} answer"))
            loan = as_text(body.get("loanOuterNo")) or entry.loan
            if loan is not None:
                self.loans_of.setdefault(serial, loan)

    def _notified(self, entry: Entry) -> None:
        body = body_of(entry)
        if entry.status is None or entry.data.get("error") or not isinstance(body, Mapping):
            return
        serial = as_text(body.get("repayOuterNo")) or entry.serial
        state = as_text(body.get("repayStatus"))
        if serial is not None and state is not None:
            self.told.setdefault(serial, []).append(_Told(entry.virtual_time, entry.seq, state, "repayResultNotify"))
            loan = as_text(body.get("loanOuterNo")) or entry.loan
            if loan is not None:
                self.loans_of.setdefault(serial, loan)

    def _believed(self, entry: Entry) -> None:
        serial = entry.serial or as_text(entry.data.get("repayOuterNo"))
        state = as_text(entry.data.get("repayStatus"))
        if serial is not None and state is not None:
            self.believed.setdefault(serial, []).append(
                _Told(entry.virtual_time, entry.seq, state, "the platform's own state")
            )
            if entry.loan is not None:
                self.loans_of.setdefault(serial, entry.loan)

    def _settled(self, entry: Entry) -> None:
        if entry.loan is not None:
            self.settled.setdefault(entry.loan, (entry.seq, entry.virtual_time))

    def _marked(self, entry: Entry) -> None:
        if entry.loan is not None and entry.loan in self.settled:
            self.marked_after.setdefault(entry.loan, []).append(
                (entry.seq, entry.virtual_time, entry.data.get("installmentNo"))
            )

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        for serial in sorted(set(self.told) | set(self.believed)):
            self.checked += 1
            view = self.believed.get(serial)
            states = sorted(view if view is not None else self.told[serial], key=lambda t: (t.at, t.seq))
            regression = _regression(states)
            if regression is None and view is not None:
                regression = _behind(states, self.told.get(serial, []))
                if regression is not None:
                    states = sorted([regression[0], *states], key=lambda t: (t.at, t.seq))
            if regression is None:
                continue
            loan = self.loans_of.get(serial)
            whose = "the platform's own state" if view is not None else "what the platform was told"
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"repayment {serial}: {whose} went {regression[0].state} → {regression[1].state} "
                f"({_sequence(self.context, states)})",
                [t.seq for t in states if t.seq <= regression[1].seq],
            )
        for loan in sorted(set(self.settled) | set(self.loan_told)):
            self.checked += 1
            self._judge_loan(loan)

    def _judge_loan(self, loan: str) -> None:
        calendar = self.context.calendar
        settled = self.settled.get(loan)
        for seq, at, no in self.marked_after.get(loan, ())[:1]:
            assert settled is not None
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"loan {loan} was settled at the bank ({stamp(calendar, settled[1])}), then installment {no} was "
                f"marked overdue ({stamp(calendar, at)}): SETTLED regressed",
                (settled[0], seq),
            )
        states = sorted(self.loan_told.get(loan, ()), key=lambda t: (t.at, t.seq))
        first = next((index for index, told in enumerate(states) if told.state == "SETTLED"), None)
        if first is None:
            return
        seen = states[first]
        later = next((told for told in states[first + 1 :] if told.state != "SETTLED"), None)
        if later is not None:
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"loan {loan}: the bank told the platform SETTLED ({stamp(calendar, seen.at)}), then {later.state} "
                f"({stamp(calendar, later.at)})",
                (seen.seq, later.seq),
            )


def _regression(states: list[_Told]) -> tuple[_Told, _Told] | None:
    """The first step that leaves a terminal state backwards: (the terminal state, the regressing one)."""
    terminal: _Told | None = None
    success: _Told | None = None
    for told in states:
        if told.state == "PROCESSING" and terminal is not None:
            return terminal, told
        if told.state == "FAIL" and success is not None:
            return success, told
        if told.state in TERMINAL:
            terminal = told
            if told.state == "SUCCESS":
                success = told
    return None


_RANK: Final = {"PROCESSING": 0, "FAIL": 1, "SUCCESS": 2}


def _behind(believed: list[_Told], told: list[_Told]) -> tuple[_Told, _Told] | None:
    """The first belief that falls behind a final state the platform had been told before it: (what it was
    told, what it believed) — told SUCCESS yet holding PROCESSING or FAIL, told FAIL yet holding PROCESSING."""
    for belief in believed:
        earlier = [t for t in told if t.state in TERMINAL and (t.at, t.seq) <= (belief.at, belief.seq)]
        best = max(earlier, key=lambda t: (_RANK[t.state], -t.seq), default=None)
        if best is not None and _RANK.get(belief.state, 0) < _RANK[best.state]:
            return best, belief
    return None


def _sequence(context: Context, states: list[_Told]) -> str:
    shown = [f"{t.state} by {t.how} at {stamp(context.calendar, t.at)}" for t in states[:_SHOWN]]
    more = f" … {len(states) - _SHOWN} more" if len(states) > _SHOWN else ""
    return " → ".join(shown) + more
