"""O9 ``one_order_per_collection``: a borrower's payment reaches the bank as one business order, whatever its ids.

A payment the borrower made in the platform's app (the runner's ``borrowerRepaid``) is one collection; the
platform forwards it to the bank as a ``repayApply`` business order, keyed by ``repayOuterNo``. A retry must reuse
that key — the bank then answers the same order again (idempotent). A platform that mints a new key when it
retries (after a timeout, on a reconciliation break, …) sends the bank a second order for the same money: the
bank may post it twice, or refuse the second as more than is due — either way the bank received two orders for
one payment, which is a violation even when the second was refused and the two ledgers still reconcile.

What counts:

- an *order* is a distinct ``repayOuterNo`` of a ``repayApply`` the platform sent (``x-lendsim-source`` absent
  or ``platform``) that the bank received: answered 200 (a business answer, or one whose answer was then lost),
  or named by a bank event (``repayPosted``, ``repayRejected``, ``repayFailed``). A request an outage refused
  never reached the bank's books and is not an order. Orders in ``PARTNER_REPAY`` or ``BACK_REPAY`` mode are
  the platform's own money (compensation, buy-back), not a borrower's collection, and are not judged;
- each order is matched to the collection on its loan it carries: made before the order was sent, the same
  amount if one has it, and of those the one whose ``paidAt`` is nearest the order's ``actualRepayDate`` — of
  collections alike in all that (a payment made in two equal parts at once), one no earlier order carries;
- each collection the bank received at least one order for is judged (``checked``): more than one is a violation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final

from simulator.domain import money_str
from simulator.journal import Entry
from simulator.oracles._base import (
    PLATFORM_SOURCES,
    Context,
    Handler,
    Oracle,
    Route,
    as_money,
    as_text,
    body_of,
    parse_instant,
    source_of,
    stamp,
)
from simulator.oracles._facts import Facts

__all__ = ["OneOrderPerCollection"]

#: Repay modes in which the platform pays with its own money: no borrower collection behind the order.
_OWN_MONEY: Final = frozenset({"PARTNER_REPAY", "BACK_REPAY"})
_SHOWN: Final = 4


@dataclass(slots=True)
class _Collection:
    seq: int
    at: datetime
    loan: str
    borrower: str | None
    amount: Decimal | None
    paid_at: datetime | None
    orders: list[_Order] = field(default_factory=list)


@dataclass(slots=True)
class _Order:
    key: str
    loan: str
    at: datetime
    amount: Decimal | None
    actual: datetime | None
    seqs: list[int] = field(default_factory=list)  # the first request, its answer, the bank's events
    received: bool = False
    answered: str | None = None  # the bank's first repayStatus
    outcome: str | None = None  # posted, or refused with a code


class OneOrderPerCollection(Oracle):
    invariant = "O9"
    key = "one_order_per_collection"
    judges = "collections the bank received an order for"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.collections: dict[str, list[_Collection]] = {}  # loan -> collections, in order
        self.orders: dict[str, _Order] = {}  # repayOuterNo -> the order
        self.asked: dict[str, str] = {}  # correlation -> repayOuterNo

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "platform", "borrowerRepaid"), self._collected
        yield ("request", "bank", "repayApply"), self._ordered
        yield ("response", "bank", "repayApply"), self._answered
        yield ("event", "bank", "repayPosted"), self._posted
        yield ("event", "bank", "repayRejected"), self._refused
        yield ("event", "bank", "repayFailed"), self._refused

    # -- feeding ---------------------------------------------------------------------------------------

    def _collected(self, entry: Entry) -> None:
        if entry.loan is None:
            return
        data = entry.data
        self.collections.setdefault(entry.loan, []).append(
            _Collection(
                entry.seq,
                entry.virtual_time,
                entry.loan,
                entry.borrower,
                as_money(data.get("amount")),
                parse_instant(data.get("paidAt")),
            )
        )

    def _ordered(self, entry: Entry) -> None:
        body = body_of(entry)
        if source_of(entry) not in PLATFORM_SOURCES or not isinstance(body, Mapping):
            return
        key = entry.serial or as_text(body.get("repayOuterNo"))
        loan = entry.loan or as_text(body.get("loanOuterNo"))
        if key is None or loan is None or body.get("repayMode") in _OWN_MONEY:
            return
        if entry.correlation is not None:
            self.asked[entry.correlation] = key
        if key not in self.orders:
            self.orders[key] = _Order(
                key,
                loan,
                entry.virtual_time,
                as_money(body.get("repayAmount")),
                parse_instant(body.get("actualRepayDate")),
                [entry.seq],
            )

    def _answered(self, entry: Entry) -> None:
        key = self.asked.pop(entry.correlation, None) if entry.correlation is not None else None
        order = self.orders.get(key) if key is not None else None
        if order is None or entry.status != 200:
            return
        if not order.received:
            order.received = True
            order.seqs.append(entry.seq)
        body = body_of(entry)
        if order.answered is None and isinstance(body, Mapping):
            order.answered = as_text(body.get("repayStatus"))

    def _posted(self, entry: Entry) -> None:
        order = self.orders.get(entry.serial) if entry.serial is not None else None
        if order is not None:
            order.received = True
            order.outcome = "posted"
            order.seqs.append(entry.seq)

    def _refused(self, entry: Entry) -> None:
        order = self.orders.get(entry.serial) if entry.serial is not None else None
        if order is not None:
            order.received = True
            order.outcome = f"refused {as_text(entry.data.get('respCode')) or ''}".rstrip()
            order.seqs.append(entry.seq)

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        for order in self.orders.values():
            if order.received:
                collection = self._collection_of(order)
                if collection is not None:
                    collection.orders.append(order)
        for collections in self.collections.values():
            for collection in collections:
                if collection.orders:
                    self.checked += 1
                if len(collection.orders) > 1:
                    self._violated(collection)

    def _collection_of(self, order: _Order) -> _Collection | None:
        """The collection ``order`` carries: one made before it was sent, of its amount if any is, the nearest in
        collection time to the order's ``actualRepayDate`` (else the latest) — and of collections alike in all that
        (a payment in two equal parts at one instant), one no earlier order carries: two collections, two orders."""
        made = [c for c in self.collections.get(order.loan, ()) if c.at <= order.at]
        if not made:
            return None
        same = [c for c in made if c.amount is not None and c.amount == order.amount]
        candidates = same or made
        actual = order.actual
        if actual is None:
            return next((c for c in reversed(candidates) if not c.orders), candidates[-1])
        return min(reversed(candidates), key=lambda c: (_distance(c.paid_at, actual), bool(c.orders)))

    def _violated(self, collection: _Collection) -> None:
        calendar = self.context.calendar
        orders = sorted(collection.orders, key=lambda o: (o.at, o.seqs[0]))
        shown = ", ".join(f"{o.key} {_fate(o)}" for o in orders[:_SHOWN])
        more = f", … {len(orders) - _SHOWN} more" if len(orders) > _SHOWN else ""
        posted = sum(1 for o in orders if o.outcome == "posted")
        amount = money_str(collection.amount) if collection.amount is not None else "a payment"
        when = stamp(calendar, collection.paid_at or collection.at)
        self.violate(
            collection.borrower or self.facts.borrower_of(collection.loan),
            collection.loan,
            f"loan {collection.loan}: the borrower's payment of {amount} (collected {when}) reached the bank as "
            f"{len(orders)} orders, {posted} posted ({shown}{more}), between {stamp(calendar, orders[0].at)} and "
            f"{stamp(calendar, orders[-1].at)}; one collection is one order — a retry reuses its repayOuterNo",
            [collection.seq, *(seq for order in orders for seq in order.seqs)],
        )


def _fate(order: _Order) -> str:
    if order.outcome is not None:
        return order.outcome
    return f"answered {order.answered}" if order.answered else "received"


def _distance(paid_at: datetime | None, actual: datetime) -> timedelta:
    return abs(actual - paid_at) if paid_at is not None else timedelta.max
