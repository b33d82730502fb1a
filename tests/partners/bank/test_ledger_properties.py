"""Property tests of the ledger: allocations add up, no balance goes negative, a key posts at most once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.partners._money import ZERO, money, total
from simulator.partners.bank import COMPONENTS
from simulator.partners.bank._ledger import Parts, allocate
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
