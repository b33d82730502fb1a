"""What a repayment asks, read from its body: exactly the sums of its lines' amounts, Decimal for Decimal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import ZERO, money
from simulator.partners.bank._repayments import _LINE_PARTS, _terms

amounts = st.one_of(
    st.sampled_from(["0.00", "-0.00", "0.01", "-0.01", "1050.00", "999999999999.99"]),
    st.integers(min_value=0, max_value=10**8).map(lambda cents: f"{cents // 100}.{cents % 100:02d}"),
)
lines = st.fixed_dictionaries(
    {"installmentNo": st.integers(min_value=1, max_value=4)},
    optional={name: amounts for name in _LINE_PARTS},
)
bodies = st.fixed_dictionaries(
    {
        "repayAmount": amounts,
        "actualRepayDate": st.just("2019-05-01T10:00:00+08:00"),
        "repayType": st.sampled_from(["NORMAL_REPAY", "EARLY_SETTLE"]),
        "repayMode": st.just("PARTNER_COLLECT"),
        "repayList": st.lists(lines, max_size=5),
    }
)


def _summed_in_full(body: dict[str, Any]) -> tuple[dict[int, Decimal], Decimal]:
    """Every sum done, as the bank first did it."""
    by_installment: dict[int, Decimal] = {}
    summed = ZERO
    for line in body["repayList"]:
        amount = ZERO
        for name in _LINE_PARTS:
            if name in line:
                amount += money(line[name])
        no = line["installmentNo"]
        by_installment[no] = by_installment.get(no, ZERO) + amount
        summed += amount
    return by_installment, summed


@settings(max_examples=500, deadline=None)
@given(body=bodies)
def test_the_terms_are_the_sums_of_the_lines_exponent_and_sign_included(body: dict[str, Any]) -> None:
    terms = _terms(body)
    by_installment, summed = _summed_in_full(body)

    assert list(terms.lines) == list(by_installment)
    for no, amount in by_installment.items():
        assert terms.lines[no].as_tuple() == amount.as_tuple()
    assert terms.summed.as_tuple() == summed.as_tuple()
    assert terms.amount.as_tuple() == money(body["repayAmount"]).as_tuple()
    assert (terms.repay_type, terms.repay_mode, terms.actual_repay_date) == (
        body["repayType"],
        body["repayMode"],
        body["actualRepayDate"],
    )
