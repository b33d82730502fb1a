"""Property tests of the ledger: allocations add up, no balance goes negative, a key posts at most once, and the
view kept current fact by fact is the view rebuilt from the facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.domain import ZERO, money, total
from simulator.partners.bank import COMPONENTS
from simulator.partners.bank._ledger import Ledger, Line, Parts, Plan, Posting, Tally, allocate
from simulator.partners.bank._schedule import ScheduledInstallment
from tests.partners.bank.helpers import events, get_loan, new_engine, register, repay, repayment

amounts = st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100)
parts = st.builds(Parts, principal=amounts, interest=amounts, fee=amounts, penalty=amounts)
orders = st.permutations(COMPONENTS)


@settings(max_examples=500, deadline=None)
@given(amount=amounts, owed=parts, order=orders)
def test_an_allocation_adds_up_to_the_amount_and_never_takes_more_than_is_owed(
    amount: Decimal, owed: Parts, order: list[str]
) -> None:
    taken, rest = allocate(amount, owed, order)

    assert taken.total + rest == amount
    assert rest == max(amount - owed.total, ZERO)
    for component in COMPONENTS:
        assert ZERO <= taken.get(component) <= owed.get(component)
    assert not owed.owed_after(taken).total < ZERO


@settings(max_examples=300, deadline=None)
@given(amount=amounts, owed=parts, order=orders)
def test_an_allocation_fills_the_parts_in_order(amount: Decimal, owed: Parts, order: list[str]) -> None:
    taken, _ = allocate(amount, owed, order)

    filled = [taken.get(c) == owed.get(c) for c in order]
    touched = [taken.get(c) > ZERO for c in order]
    for index, component in enumerate(order):
        if touched[index]:
            assert all(filled[:index]), f"{component} was paid before the earlier parts were full"


cents = st.integers(min_value=0, max_value=10**9).map(lambda n: money(f"{n // 100}.{n % 100:02d}"))
owed_parts = st.builds(Parts, principal=cents, interest=cents, fee=cents, penalty=cents)


def _allocate_in_full(amount: Decimal, owed: Parts, order: list[str]) -> tuple[Parts, Decimal]:
    """Every part taken and subtracted, as the bank first did it."""
    index = {"principal": 0, "interest": 1, "fee": 2, "penalty": 3}
    taken = [ZERO, ZERO, ZERO, ZERO]
    remaining = amount
    for component in order:
        part = owed[index[component]]
        take = part if part < remaining else remaining
        taken[index[component]] = take
        remaining -= take
    return Parts(*taken), remaining


@settings(max_examples=500, deadline=None)
@given(amount=cents, owed=owed_parts, order=orders)
def test_an_allocation_of_money_is_the_full_allocation_digit_for_digit(
    amount: Decimal, owed: Parts, order: list[str]
) -> None:
    # The bank's amounts have two places: what allocate skips (zero parts, the parts after the amount ran out)
    # changes no Decimal's digits, exponent or sign, so equal posting lines are the same lines (shared_lines).
    taken, rest = allocate(amount, owed, order)
    full, full_rest = _allocate_in_full(amount, owed, list(order))

    assert [part.as_tuple() for part in taken] == [part.as_tuple() for part in full]
    assert rest.as_tuple() == full_rest.as_tuple()
    assert all(part.as_tuple().exponent == -2 and part.as_tuple().sign == 0 for part in taken)


# -- through the engine: repeated, conflicting and interleaved repayments -------------------------------

_KEYS = ("RP-A", "RP-B", "RP-C", "RP-D")
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("repay"),
            st.sampled_from(_KEYS),
            st.integers(min_value=1, max_value=3),
            st.integers(min_value=1, max_value=110_000),
        ),
        st.tuples(st.just("advance"), st.integers(min_value=0, max_value=3)),
    ),
    min_size=1,
    max_size=12,
)


def _body(key: str, number: int, cents: int) -> dict[str, Any]:
    amount = f"{cents // 100}.{cents % 100:02d}"
    return repayment(key, number, amount, "0.00", collected="2019-05-01T00:00:00+08:00")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=operations)
def test_repeated_and_interleaved_repayments_keep_the_ledger_whole(steps: list[tuple[Any, ...]]) -> None:
    engine, _ = new_engine()
    register(engine, disburseDate="2019-04-10")
    first: dict[str, dict[str, Any]] = {}
    answers: dict[str, list[dict[str, Any]]] = {}

    for step in steps:
        if step[0] == "advance":
            engine.advance(by=timedelta(seconds=step[1]))
            continue
        _, key, number, cents = step
        body = _body(key, number, cents)
        response = repay(engine, body)
        if key in first and first[key] != body:
            assert response.status == 409
            assert {error["rule"] for error in response.json()["errors"]} == {"idempotency"}
        else:
            first.setdefault(key, body)
            assert response.status == 200
            answers.setdefault(key, []).append(response.json())
    engine.advance(by=timedelta(minutes=1))

    posted = events(engine, "repayPosted")
    assert len({entry.serial for entry in posted}) == len(posted)  # each key posted at most once
    for key, replies in answers.items():
        assert len({reply["acceptedAt"] for reply in replies}) == 1
        assert replies[-1]["repayAmount"] == first[key]["repayAmount"]
    schedule = get_loan(engine).json()["schedule"]
    for row in schedule:
        for part in ("Principal", "Interest", "Charge", "FundPenalty"):
            assert ZERO <= money(row[f"paid{part}"]) <= money(row[f"due{part}"])
    paid = total(money(row[f"paid{part}"]) for row in schedule for part in ("Principal", "Interest", "Charge"))
    assert paid == total(money(entry.data["repayAmount"]) for entry in posted)
    assert money(get_loan(engine).json()["outstandingPrincipal"]) == Decimal("3000.00") - total(
        money(row["paidPrincipal"]) for row in schedule
    )


# -- the view of everything, kept current fact by fact, is the view rebuilt from the facts ---------------

_SCHEDULE = tuple(
    ScheduledInstallment(no, date(2019, 4 + no, 10), Decimal("1000.00"), Decimal(f"{20 - no}.{no:02d}"))
    for no in range(1, 4)
)
_REASONS = {"penalty": "penalty", "principal": "waiver", "interest": "earlySettle", "fee": "waiver"}
facts = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.lists(st.tuples(st.integers(1, 3), parts), min_size=1, max_size=3),
            st.lists(st.tuples(st.integers(1, 3), st.sampled_from(COMPONENTS), amounts), max_size=2),
            st.integers(0, 3),  # days collected before posted
        ),
        st.tuples(st.just("mark"), st.integers(1, 3)),
        st.tuples(st.just("accrue"), st.integers(1, 3), st.integers(1, 40)),
        st.tuples(st.just("look"), st.sampled_from([frozenset(), frozenset({1}), frozenset({2, 3})])),
    ),
    max_size=25,
)


def _record(ledger: Ledger, step: tuple[Any, ...], number: int, now: datetime) -> None:
    """Record one drawn fact (a posting, a mark, an accrual) in ``ledger`` at ``now``."""
    if step[0] == "post":
        _, lines, changes, early = step
        plan = Plan(
            tuple((no, component, amount, _REASONS[component]) for no, component, amount in changes),
            tuple(Line(no, share) for no, share in lines),
        )
        posted = Posting(
            f"RP{number}", now, now - timedelta(days=early), now.date(), "NORMAL_REPAY", "X", "", plan.lines
        )
        ledger.apply(plan, posted)
    elif step[0] == "mark":
        ledger.mark(step[1], now)  # again for a marked installment: the mark moves
    else:
        ledger.accrue(step[1], now, now.date() + timedelta(days=step[2]), Decimal("0.0005"), Decimal("1000.00"))


@settings(max_examples=200, deadline=None)
@given(steps=facts)
def test_the_view_kept_current_fact_by_fact_is_the_view_rebuilt_from_the_facts(steps: list[tuple[Any, ...]]) -> None:
    ledger = Ledger(_SCHEDULE)
    now = datetime(2019, 5, 1, tzinfo=UTC)
    for number, step in enumerate(steps):
        now += timedelta(hours=7)
        if step[0] == "look":
            ledger.view(now, excused=step[1])  # a view with installments excused caches beside the other
        else:
            _record(ledger, step, number, now)
        rebuilt = Ledger(ledger.schedule, list(ledger.adjustments), list(ledger.postings), dict(ledger.marks))
        rebuilt.latest = ledger.latest

        assert repr(ledger.view(now)) == repr(rebuilt.view(now))  # repr: the same Decimals, digit for digit


@settings(max_examples=200, deadline=None)
@given(steps=facts, back=st.integers(0, 60), excused=st.sampled_from([frozenset(), frozenset({1}), frozenset({2, 3})]))
def test_a_view_as_of_an_instant_changes_only_when_the_ledger_says_a_fact_since_counts_then(
    steps: list[tuple[Any, ...]], back: int, excused: frozenset[int]
) -> None:
    ledger = Ledger(_SCHEDULE)
    now = datetime(2019, 5, 1, tzinfo=UTC)
    looked: list[tuple[datetime, Tally, str]] = []
    for number, step in enumerate(steps):
        now += timedelta(hours=7)
        if step[0] != "look":
            _record(ledger, step, number, now)
        at_ = now - timedelta(hours=back)
        looked.append((at_, ledger.tally(), repr(ledger.view(at_, excused))))

        for then, tally, seen in looked:
            if not ledger.moved_as_of(tally, then, excused):
                assert repr(ledger.view(then, excused)) == seen


def test_facts_after_an_instant_leave_its_view_alone_but_a_collection_before_it_counts_for_an_excused_installment() -> (
    None
):
    ledger = Ledger(_SCHEDULE)
    end_of_may = datetime(2019, 5, 31, 16, tzinfo=UTC)
    since = ledger.tally()
    june = datetime(2019, 6, 3, tzinfo=UTC)
    share = (Line(1, Parts(Decimal("100.00"))),)

    ledger.mark(1, june)
    ledger.accrue(1, june, date(2019, 6, 3), Decimal("0.0005"), Decimal("1000.00"))
    ledger.apply(
        Plan((), share), Posting("RP1", june, datetime(2019, 5, 30, tzinfo=UTC), june.date(), "N", "X", "", share)
    )

    assert not ledger.moved_as_of(since, end_of_may)  # marked, accrued and posted in June
    assert ledger.moved_as_of(since, end_of_may, excused={1})  # counted from its collection on 30 May
    assert ledger.moved_as_of(since, june)


def test_a_mark_or_an_accrual_recorded_with_a_time_before_the_instant_counts_as_of_it() -> None:
    ledger = Ledger(_SCHEDULE)
    end_of_may, may_20 = datetime(2019, 5, 31, 16, tzinfo=UTC), datetime(2019, 5, 20, tzinfo=UTC)
    before_accruing = ledger.tally()
    ledger.accrue(1, may_20, date(2019, 5, 20), Decimal("0.0005"), Decimal("1000.00"))
    before_marking = ledger.tally()

    ledger.mark(1, may_20)

    assert ledger.moved_as_of(before_marking, end_of_may)  # the mark alone
    assert ledger.moved_as_of(before_accruing, end_of_may)
    assert not ledger.moved_as_of(before_accruing, end_of_may, excused={1})  # excused: never overdue, owes no penalty
    assert not ledger.moved_as_of(before_accruing, may_20 - timedelta(seconds=1))
