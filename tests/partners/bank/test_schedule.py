"""Repayment schedules: monthly installments exact to the cent, the last one absorbing the rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import ZERO, total
from simulator.partners.bank._schedule import EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, build_schedule


def test_equal_principal_matches_the_contract_example() -> None:
    rows = build_schedule(Decimal("3000.00"), Decimal("0.0720"), 3, 10, date(2019, 2, 10), EQUAL_PRINCIPAL)

    assert [(r.due_date.isoformat(), str(r.principal), str(r.interest)) for r in rows] == [
        ("2019-03-10", "1000.00", "18.00"),
        ("2019-04-10", "1000.00", "12.00"),
        ("2019-05-10", "1000.00", "6.00"),
    ]


def test_equal_installments_pay_the_same_each_month_but_the_last() -> None:
    rows = build_schedule(Decimal("10000.00"), Decimal("0.1200"), 12, 5, date(2019, 1, 20), EQUAL_INSTALLMENT)

    payments = {r.principal + r.interest for r in rows[:-1]}
    assert payments == {Decimal("888.49")}
    assert abs(rows[-1].principal + rows[-1].interest - Decimal("888.49")) <= Decimal("0.05")
    assert rows[0].due_date == date(2019, 2, 5) and rows[-1].due_date == date(2020, 1, 5)


def test_the_last_installment_absorbs_the_rounding() -> None:
    rows = build_schedule(Decimal("100.00"), Decimal("0.0720"), 3, 10, date(2019, 2, 10), EQUAL_PRINCIPAL)

    assert [str(r.principal) for r in rows] == ["33.33", "33.33", "33.34"]


def test_a_loan_without_interest_is_principal_only() -> None:
    rows = build_schedule(Decimal("1000.00"), Decimal("0.00"), 3, 1, date(2019, 12, 15), EQUAL_INSTALLMENT)

    assert [str(r.principal) for r in rows] == ["333.33", "333.33", "333.34"]
    assert {r.interest for r in rows} == {ZERO}
    assert [r.due_date for r in rows] == [date(2020, 1, 1), date(2020, 2, 1), date(2020, 3, 1)]


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=10**13),
    rate=st.decimals(min_value=0, max_value=Decimal("0.999999"), places=4),
    term=st.integers(min_value=1, max_value=60),
    method=st.sampled_from([EQUAL_INSTALLMENT, EQUAL_PRINCIPAL]),
)
def test_installment_principals_add_up_to_the_loan_to_the_cent(
    cents: int, rate: Decimal, term: int, method: str
) -> None:
    principal = Decimal(cents) / 100
    rows = build_schedule(principal, rate, term, 28, date(2019, 1, 31), method)

    assert len(rows) == term
    assert total(r.principal for r in rows) == principal
    assert all(r.principal >= ZERO and r.interest >= ZERO for r in rows)
    assert all(r.principal == r.principal.quantize(Decimal("0.01")) for r in rows)
    assert [r.due_date for r in rows] == sorted(r.due_date for r in rows)
