"""O4 ``ledgers_reconcile``: the platform's ledger equals the bank's postings, per loan and installment, to the cent.

The platform's side is its ledger as last read: the ``platformLedger`` events (partner ``platform``; their data
is what the platform's ``platformLedger`` operation returns: ``loans[].installments[]`` with ``paidPrincipal``,
``paidInterest``, ``paidFee``, ``paidPenalty``) of the last virtual instant one was read at — one event, or one
per platform instance of a run made in pieces (docs/cluster.md), each naming its own loans; a loan named by two,
by the later. The bank's side is the sum of the ``repayPosted`` lines (``principal``, ``interest``, ``fee``,
``penalty``) journaled before the loan's ledger was read. Penalties are compared
too, split accounted for: the bank's postings carry only the funder's penalty (``paidFundPenalty``; the platform's
own, ``paidPlatformPenalty``, never reaches the bank's books), so the platform's ``paidPenalty`` must be the fund
penalty it paid the bank — a platform that computes the penalty differently from its bank (another rounding,
another day count) is caught here. A run without a ``platformLedger`` event cannot be reconciled and fails.

How a payment was split (principal first or interest first) the platform only learns from the bank's
reconciliation file; an installment with a posting whose day's file was not yet ready when the ledger was read
(``reconciliationFileReady`` for its ``accountingDate``) is compared on its total only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from simulator.domain import ZERO, money_str
from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_int, as_money, as_text, bounded, stamp
from simulator.oracles._facts import Facts

__all__ = ["LedgersReconcile"]

#: The compared parts: (the bank's repayPosted line field, the platform ledger's field).
PARTS: Final = (
    ("principal", "paidPrincipal"),
    ("interest", "paidInterest"),
    ("fee", "paidFee"),
    ("penalty", "paidPenalty"),
)
_SHOWN: Final = 4
_NONE: Final = (ZERO, ZERO, ZERO, ZERO)

_Parts = tuple[Decimal, ...]


class LedgersReconcile(Oracle):
    invariant = "O4"
    key = "ledgers_reconcile"
    judges = "loans in either ledger"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.postings: dict[tuple[str, int], list[tuple[int, _Parts]]] = {}
        self.repaid: dict[tuple[str, int], list[int]] = {}
        self.ledgers: list[tuple[int, datetime, Mapping[str, Any]]] = []
        self.days: dict[int, str] = {}  # repayPosted seq -> accounting date
        self.files: dict[str, int] = {}  # file date -> seq of reconciliationFileReady

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "bank", "repayPosted"), self._posted
        yield ("event", "platform", "platformLedger"), self._ledger
        yield ("event", "platform", "borrowerRepaid"), self._repaid
        yield ("event", "bank", "reconciliationFileReady"), self._file

    def _file(self, entry: Entry) -> None:
        day = as_text(entry.data.get("fileDate"))
        if day is not None:
            self.files.setdefault(day, entry.seq)

    def _posted(self, entry: Entry) -> None:
        lines = entry.data.get("lines")
        if entry.loan is None or not isinstance(lines, list):
            return
        day = as_text(entry.data.get("accountingDate"))
        if day is not None:
            self.days[entry.seq] = day
        if entry.borrower is not None and self.facts.loan(entry.loan).borrower is None:
            self.facts.loan(entry.loan).borrower = entry.borrower
        for line in lines:
            if not isinstance(line, Mapping):
                continue
            no = as_int(line.get("installmentNo"))
            if no is None:
                continue
            parts = tuple(as_money(line.get(name)) or ZERO for name, _ in PARTS)
            self.postings.setdefault((entry.loan, no), []).append((entry.seq, parts))

    def _ledger(self, entry: Entry) -> None:
        if self.ledgers and self.ledgers[-1][1] != entry.virtual_time:
            self.ledgers.clear()  # read again later: only the last reading counts
        self.ledgers.append((entry.seq, entry.virtual_time, entry.data))

    def _repaid(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        if entry.loan is not None and no is not None:
            self.repaid.setdefault((entry.loan, no), []).append(entry.seq)

    def judge(self) -> None:
        if not self.ledgers:
            self.violate(
                None,
                None,
                "no platformLedger event in the journal: the platform's ledger was never read, so it cannot be "
                "reconciled with the bank's postings",
                (),
            )
            return
        at = self.ledgers[-1][1]
        loans: dict[str, dict[int, _Parts]] = {}
        read: dict[str, int] = {}  # loan -> seq of the ledger event that names it (the later, if two do)
        for seq, _, data in self.ledgers:
            part = self._platform(data)
            if part is None:
                self.violate(None, None, "the platformLedger event holds no loans[] list: nothing to reconcile", (seq,))
                return
            named: dict[str, dict[int, _Parts]] = {}
            for (loan, no), parts in part.items():
                named.setdefault(loan, {})[no] = parts
            loans.update(named)
            read.update(dict.fromkeys(named, seq))
        platform = {(loan, no): parts for loan, rows in loans.items() for no, parts in rows.items()}
        last = self.ledgers[-1][0]
        bank: dict[tuple[str, int], _Parts] = {}
        posted: dict[tuple[str, int], list[int]] = {}
        unfiled: set[tuple[str, int]] = set()  # a posting whose file was not ready: the split is not known yet
        for key, rows in self.postings.items():
            seq = read.get(key[0], last)
            for posting_seq, parts in rows:
                if posting_seq < seq:
                    bank[key] = _add(bank.get(key), parts)
                    posted.setdefault(key, []).append(posting_seq)
                    day = self.days.get(posting_seq)
                    if day is not None and self.files.get(day, seq) >= seq:
                        unfiled.add(key)
        by_loan: dict[str, set[int]] = {}
        for loan, no in (*platform, *bank):
            by_loan.setdefault(loan, set()).add(no)
        for loan, installments in sorted(by_loan.items()):
            self.checked += 1
            numbers = sorted(installments)
            differences: list[str] = []
            chain = [read.get(loan, last)]
            for no in numbers:
                ours, theirs = platform.get((loan, no)), bank.get((loan, no))
                mine, bank_side = ours or _NONE, theirs or _NONE
                if (loan, no) in unfiled:
                    wrong = [] if sum(mine, ZERO) == sum(bank_side, ZERO) else [_total(mine, bank_side)]
                else:
                    wrong = [
                        f"{name} {money_str(a)} vs {money_str(b)}"
                        for (name, _), a, b in zip(PARTS, mine, bank_side, strict=True)
                        if a != b
                    ]
                if not wrong:
                    continue
                where = " (not in the platform's ledger)" if ours is None else ""
                where += " (nothing posted at the bank)" if theirs is None else ""
                differences.append(f"installment {no}{where}: {', '.join(wrong)}")
                chain.extend(bounded(self.repaid.get((loan, no), []), 1))
                chain.extend(bounded(posted.get((loan, no), []), 2))
            if differences:
                shown = "; ".join(differences[:_SHOWN])
                more = f"; and {len(differences) - _SHOWN} more" if len(differences) > _SHOWN else ""
                self.violate(
                    self.facts.borrower_of(loan),
                    loan,
                    f"loan {loan}: the platform's ledger (read {stamp(self.context.calendar, at)}) and the bank's "
                    f"postings differ, platform vs bank — {shown}{more}",
                    chain,
                )

    @staticmethod
    def _platform(data: Mapping[str, Any]) -> dict[tuple[str, int], _Parts] | None:
        loans = data.get("loans")
        if not isinstance(loans, list):
            return None
        found: dict[tuple[str, int], _Parts] = {}
        for loan in loans:
            if not isinstance(loan, Mapping):
                continue
            number = as_text(loan.get("loanOuterNo"))
            installments = loan.get("installments")
            if number is None or not isinstance(installments, list):
                continue
            for row in installments:
                if not isinstance(row, Mapping):
                    continue
                no = as_int(row.get("installmentNo"))
                if no is None:
                    continue
                parts = tuple(as_money(row.get(name)) or ZERO for _, name in PARTS)
                found[(number, no)] = _add(found.get((number, no)), parts)
        return found


def _total(mine: _Parts, bank: _Parts) -> str:
    return (
        f"in all {money_str(sum(mine, ZERO))} vs {money_str(sum(bank, ZERO))} "
        "(its split is not compared: the bank's file of the posting day was not out yet)"
    )


def _add(total: _Parts | None, parts: _Parts) -> _Parts:
    if total is None:
        return parts
    return tuple(a + b for a, b in zip(total, parts, strict=True))
