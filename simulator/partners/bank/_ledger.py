"""The bank's ledger of one loan: what is due, what was posted, and the state of each installment at any time.

The ledger is a record of facts, never rewritten: the schedule, *adjustments* of what is due (penalty
accruals, penalty waivers, interest cut by an early settlement), *postings* (a repayment written to the
books at ``posted_at``, collected by the platform at ``collected_at``) and *marks* (when the overdue batch
found an installment overdue). Any state is a :class:`LedgerView` computed from them as of an instant, so
the furnishing can report a month as it stood at its end, and a correction can ask what the month would
have looked like had a repayment reached the books when the platform collected it (``excused``
installments count their postings at collection time and were never overdue).

Money is exact (``Decimal``, two places); allocations never take more than is owed, so no balance goes
negative.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Final, NamedTuple

from simulator.domain import CENT, ZERO, money, money_str, total
from simulator.partners.bank._schedule import ScheduledInstallment

__all__ = [
    "OVERDUE",
    "PARTIAL",
    "REPAYED",
    "WAIT_REPAY",
    "Adjustment",
    "InstallmentState",
    "Ledger",
    "LedgerView",
    "Line",
    "Parts",
    "Plan",
    "Posting",
    "Refusal",
    "Tally",
    "allocate",
    "plan_repayment",
    "plan_settlement",
    "shared_lines",
]

_INDEX: Final = {"principal": 0, "interest": 1, "fee": 2, "penalty": 3}  # the order of Parts' fields
WAIT_REPAY: Final = "WAIT_REPAY"
PARTIAL: Final = "PARTIAL"
OVERDUE: Final = "OVERDUE"
REPAYED: Final = "REPAYED"


class Parts(NamedTuple):
    """An amount split into what an installment is made of.

    A named tuple, not a frozen dataclass: as immutable, and made (for every allocation, every installment of
    a view rebuilt) at less than half the cost, since a frozen dataclass sets each field through
    ``object.__setattr__``. ``+`` adds part by part, as it always did: it does not join tuples."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty

    def get(self, component: str) -> Decimal:
        if component == "principal":
            return self.principal
        if component == "interest":
            return self.interest
        if component == "fee":
            return self.fee
        if component == "penalty":
            return self.penalty
        raise KeyError(component)

    def plus(self, component: str, amount: Decimal) -> Parts:
        values = self.as_dict()
        values[component] += amount
        return Parts(**values)

    def as_dict(self) -> dict[str, Decimal]:
        return {"principal": self.principal, "interest": self.interest, "fee": self.fee, "penalty": self.penalty}

    def __add__(self, other: Parts) -> Parts:  # type: ignore[override]  # parts, not tuple concatenation
        return Parts(
            self.principal + other.principal,
            self.interest + other.interest,
            self.fee + other.fee,
            self.penalty + other.penalty,
        )

    def owed_after(self, paid: Parts) -> Parts:
        """What is left of ``self`` (due) once ``paid`` is taken off, never below zero per component."""
        return Parts(
            max(self.principal - paid.principal, ZERO),
            max(self.interest - paid.interest, ZERO),
            max(self.fee - paid.fee, ZERO),
            max(self.penalty - paid.penalty, ZERO),
        )

    def describe(self) -> str:
        return ", ".join(f"{name} {money_str(value)}" for name, value in self.as_dict().items() if value)


def allocate(amount: Decimal, owed: Parts, order: Sequence[str]) -> tuple[Parts, Decimal]:
    """Split ``amount`` over ``owed`` in ``order`` (each part at most what is owed); return it and the rest.

    A part that takes nothing is ``ZERO`` itself, and one that takes all that is left is the very Decimal
    left, not a copy: a posting keeps its parts for good, so each new Decimal here (104 bytes) stayed in
    memory with it. Amounts and owed parts have two places and owed parts are never negative, so a zero taken
    or left is 0.00 either way, and what is left once a part took all of it is zero: the loop stops there."""
    taken = [ZERO, ZERO, ZERO, ZERO]  # in the order of Parts' fields; a part not in ``order`` takes nothing
    remaining = amount
    for component in order:
        index = _INDEX[component]
        part = owed[index]
        if part < remaining:  # min(remaining, part), without the builtin's call
            if part:
                taken[index] = part
                remaining -= part
        else:
            taken[index] = remaining
            return Parts(*taken), remaining - remaining
    return Parts(*taken), remaining


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A change of what an installment owes: ``+`` a penalty accrual, ``-`` a waiver or an interest cut."""

    at: datetime
    installment: int
    component: str
    amount: Decimal
    reason: str  # "penalty", "waiver", "earlySettle"


class Line(NamedTuple):
    """The part of a posting that went to one installment, as the bank allocated it.

    Named tuples (this and :class:`Plan`), not frozen dataclasses: as immutable, and made on every repayment
    checked for less than half the cost (a frozen dataclass sets each field through ``object.__setattr__``)."""

    installment: int
    parts: Parts


# Postings repeat their lines (a product's installment paid the same way by many borrowers; every bench
# repayment alike), and a posting keeps its lines for good: equal lines are kept once. Equal is the same here:
# every amount has two places and no zero is -0.00 (``allocate``, ``owed_after``), so equal Decimals have
# equal digits, exponent and sign. Bounded; a full table starts over.
_LINES: dict[tuple[Line, ...], tuple[Line, ...]] = {}
_LINES_MAX: Final = 4096
_LINES_LONGEST: Final = 4  # more lines are seldom posted twice alike


def shared_lines(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """``lines``, or equal lines kept before (the ones to keep instead)."""
    known = _LINES.get(lines)
    if known is not None:
        return known
    if len(lines) <= _LINES_LONGEST:
        if len(_LINES) >= _LINES_MAX:
            _LINES.clear()
        _LINES[lines] = lines
    return lines


@dataclass(frozen=True, slots=True)
class Posting:
    """A repayment written to the books."""

    repay_outer_no: str
    posted_at: datetime
    collected_at: datetime  # when the platform collected it (``actualRepayDate``, never after it reached us)
    accounting_date: date  # the business day whose books (and reconciliation file) it belongs to
    repay_type: str
    repay_mode: str
    actual_repay_date: str  # as the platform sent it
    lines: tuple[Line, ...]

    @property
    def amount(self) -> Decimal:
        return total(line.parts.total for line in self.lines)


@dataclass(frozen=True, slots=True)
class InstallmentState:
    """One installment as of an instant."""

    no: int
    due_date: date
    due: Parts
    paid: Parts
    marked_at: datetime | None  # when the overdue batch found it overdue (even if paid since)
    last_paid_at: datetime | None  # when the last posting for it counted
    last_collected_at: datetime | None
    last_repay_type: str | None
    owed: Parts  # due less paid, per part
    repaid: bool  # nothing owed

    @property
    def overdue(self) -> bool:
        return self.marked_at is not None and not self.repaid

    @property
    def paid_off_at(self) -> datetime | None:
        return self.last_paid_at if self.repaid else None

    @property
    def status(self) -> str:
        if self.repaid:
            return REPAYED
        if self.overdue:
            return OVERDUE
        return PARTIAL if self.paid.total > ZERO else WAIT_REPAY


@dataclass(frozen=True, slots=True)
class LedgerView:
    """Every installment of a loan as of an instant."""

    installments: tuple[InstallmentState, ...]

    def __getitem__(self, no: int) -> InstallmentState:
        return self.installments[no - 1]

    @property
    def outstanding_principal(self) -> Decimal:
        return total(state.owed.principal for state in self.installments)

    @property
    def settled(self) -> bool:
        # A loop, not all(): closing the generator all() leaves unfinished costs more than the loop.
        for state in self.installments:  # noqa: SIM110
            if not state.repaid:
                return False
        return True

    @property
    def overdue(self) -> tuple[InstallmentState, ...]:
        return tuple(state for state in self.installments if state.overdue)


class Tally(NamedTuple):
    """Where a ledger's facts stood (:meth:`Ledger.tally`): how many adjustments, postings and marks it held, and
    how many times a mark was moved."""

    adjustments: int
    postings: int
    marks: int
    moved_marks: int


@dataclass(slots=True)
class Ledger:
    """The facts of one loan's books, and views over them."""

    schedule: tuple[ScheduledInstallment, ...]
    adjustments: list[Adjustment] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    marks: dict[int, datetime] = field(default_factory=dict)
    accrued_to: dict[int, date] = field(default_factory=dict)  # penalty accrued up to this day
    accrued_exact: dict[int, Decimal] = field(default_factory=dict)  # the penalty accrued, unrounded
    accrued_booked: dict[int, Decimal] = field(default_factory=dict)  # the penalty accrued, as booked (cents)
    version: int = 0  # counts the facts recorded
    moved_marks: int = 0  # counts the marks recorded again, at another time, for an installment marked before
    latest: datetime | None = None  # the time of the latest fact
    _views: dict[frozenset[int], tuple[int, LedgerView]] = field(default_factory=dict, repr=False)

    def view(self, at: datetime | None = None, excused: Iterable[int] = ()) -> LedgerView:
        """The loan as of ``at``; ``excused`` installments as if paid when collected and never overdue.

        No fact is recorded with a time after the clock's now, so a view at or after the latest fact is the
        view of everything; it is cached until the next fact (``version``). The view of everything with
        nothing excused is kept current as facts arrive (:meth:`_carry`), the rest is rebuilt from the facts.
        """
        spared = frozenset(excused) if excused else _NOTHING_EXCUSED  # the usual case, without a new set
        everything = at is None or self.latest is None or at >= self.latest
        if everything:
            cached = self._views.get(spared)
            if cached is not None and cached[0] == self.version:
                return cached[1]
        due = {row.no: [row.principal, row.interest, ZERO, ZERO] for row in self.schedule}
        for adjustment in self.adjustments:
            no = adjustment.installment
            if (at is not None and adjustment.at > at) or (no in spared and adjustment.component == "penalty"):
                continue
            due[no][_INDEX[adjustment.component]] += adjustment.amount
        paid = {row.no: [ZERO, ZERO, ZERO, ZERO] for row in self.schedule}
        last: dict[int, tuple[datetime, Posting]] = {}
        for posting in self.postings:
            for line in posting.lines:
                no = line.installment
                when = posting.collected_at if no in spared else posting.posted_at
                if at is not None and when > at:
                    continue
                sums, parts = paid[no], line.parts
                sums[0] += parts.principal
                sums[1] += parts.interest
                sums[2] += parts.fee
                sums[3] += parts.penalty
                if no not in last or when >= last[no][0]:
                    last[no] = (when, posting)
        states = []
        for row in self.schedule:
            mark = self.marks.get(row.no)
            if mark is not None and (row.no in spared or (at is not None and mark > at)):
                mark = None
            entry = last.get(row.no)
            states.append(
                _state(
                    row,
                    Parts(*due[row.no]),
                    Parts(*paid[row.no]),
                    mark,
                    *((entry[0], entry[1].collected_at, entry[1].repay_type) if entry else (None, None, None)),
                )
            )
        view = LedgerView(tuple(states))
        if everything:
            self._views[spared] = (self.version, view)
        return view

    def tally(self) -> Tally:
        """Where the facts stand now, for :meth:`moved_as_of` to tell later whether a view changed since."""
        return Tally(len(self.adjustments), len(self.postings), len(self.marks), self.moved_marks)

    def moved_as_of(self, since: Tally, at: datetime, excused: Iterable[int] = ()) -> bool:
        """Whether a fact recorded since ``since`` counts in ``view(at, excused)``; when none does, that view is the
        one it was then. Each fact is looked at as :meth:`view` counts it: from its time (a posting's line to an
        excused installment from its collection), an excused installment's penalty never."""
        if self.moved_marks != since.moved_marks:
            return True
        spared = frozenset(excused) if excused else _NOTHING_EXCUSED
        for adjustment in itertools.islice(self.adjustments, since.adjustments, None):
            if adjustment.at <= at and not (adjustment.installment in spared and adjustment.component == "penalty"):
                return True
        for posting in itertools.islice(self.postings, since.postings, None):
            for line in posting.lines:
                if (posting.collected_at if line.installment in spared else posting.posted_at) <= at:
                    return True
        for no, marked in itertools.islice(self.marks.items(), since.marks, None):
            if marked <= at and no not in spared:
                return True
        return False

    def lines_of(self, no: int) -> list[tuple[Posting, Line]]:
        """Every posting line that went to installment ``no``, oldest first."""
        return [(posting, line) for posting in self.postings for line in posting.lines if line.installment == no]

    def apply(self, plan: Plan, posting: Posting) -> None:
        """Write a plan's adjustments (at the posting time) and its posting."""
        current = self._current()
        for no, component, amount, reason in plan.adjustments:
            self.adjustments.append(Adjustment(posting.posted_at, no, component, amount, reason))
        self.postings.append(posting)
        self._recorded(posting.posted_at)
        if current is not None:
            self._carry(current, plan.adjustments, posting)

    def mark(self, no: int, at: datetime) -> None:
        """Record that the overdue batch found installment ``no`` overdue at ``at``."""
        current = self._current()
        if no in self.marks:
            self.moved_marks += 1
        self.marks[no] = at
        self._recorded(at)
        if current is not None:
            self._replace(current, [replace(current[no], marked_at=at)])

    def _recorded(self, at: datetime) -> None:
        self.version += 1
        self.latest = at if self.latest is None or at > self.latest else self.latest

    # -- the view of everything, kept current fact by fact ---------------------------------------------------
    # A repayment used to rebuild the whole view (every installment, every posting, in Decimal) twice: it is
    # the hot path of posting. A fact changes one or two installments; their new state is the old one plus the
    # fact, summed in the order a rebuild sums them, so the result is the same to the cent (a property test
    # compares the two).

    def _current(self) -> LedgerView | None:
        """The view of everything as of the latest fact, if it is cached (before a new fact is recorded)."""
        cached = self._views.get(_NOTHING_EXCUSED)
        return cached[1] if cached is not None and cached[0] == self.version else None

    def _replace(self, current: LedgerView, states: Iterable[InstallmentState]) -> None:
        installments = list(current.installments)
        for state in states:
            installments[state.no - 1] = state
        self._views[_NOTHING_EXCUSED] = (self.version, LedgerView(tuple(installments)))

    def _carry(
        self, current: LedgerView, adjustments: Iterable[tuple[int, str, Decimal, str]], posting: Posting
    ) -> None:
        due: dict[int, Parts] = {}
        paid: dict[int, Parts] = {}
        lined: set[int] = set()  # the installments a line of this posting went to
        for no, component, amount, _ in adjustments:
            due[no] = due.get(no, current[no].due).plus(component, amount)
        for line in posting.lines:
            no = line.installment
            paid[no] = paid.get(no, current[no].paid) + line.parts
            lined.add(no)
        states = []
        for no in due.keys() | paid.keys():
            old = current[no]
            last: tuple[datetime | None, datetime | None, str | None]
            if no in lined:
                last = (posting.posted_at, posting.collected_at, posting.repay_type)
            else:
                last = (old.last_paid_at, old.last_collected_at, old.last_repay_type)
            states.append(
                _state(self.schedule[no - 1], due.get(no, old.due), paid.get(no, old.paid), old.marked_at, *last)
            )
        self._replace(current, states)

    def accrue(
        self,
        no: int,
        at: datetime,
        today: date,
        rate: Decimal,
        principal: Decimal,
        rounding: str = "total",
        mode: str = "half_up",
    ) -> Decimal:
        """Add the penalty on ``principal`` for the days since the last accrual (from the due date at first).

        ``rounding``: ``total`` books what the accrued penalty rounds to (principal × rate × days, summed exactly
        over the accruals, rounded once) less what was booked before; ``daily`` rounds each day's penalty and books
        their sum. ``mode``: ``half_up`` or ``half_even``. Returns what this accrual booked."""
        since = self.accrued_to.get(no, self.schedule[no - 1].due_date)
        days = (today - since).days
        if days <= 0:
            return ZERO
        self.accrued_to[no] = today
        half = ROUND_HALF_EVEN if mode == "half_even" else ROUND_HALF_UP
        if rounding == "daily":
            amount = (principal * rate).quantize(CENT, half) * days
        else:
            exact = self.accrued_exact.get(no, ZERO) + principal * rate * days
            self.accrued_exact[no] = exact
            booked = self.accrued_booked.get(no, ZERO)
            amount = exact.quantize(CENT, half) - booked
        self.accrued_booked[no] = self.accrued_booked.get(no, ZERO) + amount
        if amount > ZERO:
            current = self._current()
            self.adjustments.append(Adjustment(at, no, "penalty", amount, "penalty"))
            self._recorded(at)
            if current is not None:
                old = current[no]
                self._replace(
                    current,
                    [
                        _state(
                            self.schedule[no - 1],
                            old.due.plus("penalty", amount),
                            old.paid,
                            old.marked_at,
                            old.last_paid_at,
                            old.last_collected_at,
                            old.last_repay_type,
                        )
                    ],
                )
        return amount


_NOTHING_EXCUSED: Final[frozenset[int]] = frozenset()


def _state(
    row: ScheduledInstallment,
    due: Parts,
    paid: Parts,
    marked_at: datetime | None,
    last_paid_at: datetime | None,
    last_collected_at: datetime | None,
    last_repay_type: str | None,
) -> InstallmentState:
    owed = due.owed_after(paid)
    return InstallmentState(
        row.no,
        row.due_date,
        due,
        paid,
        marked_at,
        last_paid_at,
        last_collected_at,
        last_repay_type,
        owed,
        owed.total == ZERO,
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a repayment cannot be posted, as the contract's ``respCode`` and a message."""

    code: str
    message: str


class Plan(NamedTuple):
    """What posting a repayment does: adjustments ``(installment, component, amount, reason)`` and lines."""

    adjustments: tuple[tuple[int, str, Decimal, str], ...]
    lines: tuple[Line, ...]

    @property
    def amount(self) -> Decimal:
        return total(line.parts.total for line in self.lines)

    @property
    def waived(self) -> dict[int, Decimal]:
        return {no: -amount for no, component, amount, reason in self.adjustments if reason == "waiver"}


def _waiver(
    state: InstallmentState, on_time: Callable[[int], bool]
) -> tuple[Parts, tuple[tuple[int, str, Decimal, str], ...]]:
    """What the installment owes for this repayment: the penalty is waived when the money came in time."""
    owed = state.owed
    if owed.penalty > ZERO and on_time(state.no):  # whether it came in time matters only with a penalty
        return Parts(owed.principal, owed.interest, owed.fee, ZERO), ((state.no, "penalty", -owed.penalty, "waiver"),)
    return owed, ()


def plan_repayment(
    view: LedgerView, amounts: Mapping[int, Decimal], order: Sequence[str], on_time: Callable[[int], bool]
) -> Plan | Refusal:
    """Allocate each installment's amount in ``order`` (every component); refuse (E1003) more than an
    installment owes."""
    adjustments: list[tuple[int, str, Decimal, str]] = []
    lines = []
    for no, amount in sorted(amounts.items()):
        if not amount:
            continue
        owed, waiver = _waiver(view[no], on_time)
        parts, rest = allocate(amount, owed, order)
        if rest > ZERO:  # what is left once every part is paid (none is below zero): more than is owed
            what = f"owes {money_str(owed.total)} ({owed.describe()})" if owed.total else "is paid in full"
            return Refusal(
                "E1003",
                f"installment {no} {what}; this repayment has {money_str(amount)} for it. "
                "Send at most what is due (getLoan shows it).",
            )
        adjustments.extend(waiver)
        lines.append(Line(no, parts))
    return Plan(tuple(adjustments), tuple(lines))


def plan_settlement(
    view: LedgerView,
    collected: date,
    annual_rate: Decimal,
    disburse: date,
    on_time: Callable[[int], bool],
) -> Plan:
    """Settle everything: what fell due by ``collected`` in full, the current period's interest to that day
    (actual days / 360 on the principal not yet due), later installments' principal without interest."""
    adjustments: list[tuple[int, str, Decimal, str]] = []
    lines = []
    open_rows = [state for state in view.installments if not state.repaid]
    future = [state for state in open_rows if state.due_date > collected]
    current = future[0].no if future else None
    remaining_principal = total(state.owed.principal for state in future)
    for state in open_rows:
        owed, waiver = _waiver(state, on_time)
        adjustments.extend(waiver)
        if state.due_date > collected:
            if state.no == current:
                start = view[state.no - 1].due_date if state.no > 1 else disburse
                days = max((collected - start).days, 0)
                to_date = money(remaining_principal * annual_rate * days / 360)
                interest = min(max(to_date, state.paid.interest), state.due.interest)
            else:
                interest = state.paid.interest
            cut = interest - state.due.interest
            if cut:
                adjustments.append((state.no, "interest", cut, "earlySettle"))
            owed = Parts(owed.principal, max(interest - state.paid.interest, ZERO), owed.fee, owed.penalty)
        if owed.total > ZERO:
            lines.append(Line(state.no, owed))
    return Plan(tuple(adjustments), tuple(lines))
