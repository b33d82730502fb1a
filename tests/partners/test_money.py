"""Money parsed from contract strings: the same Decimal, exponent and sign included, the first time and after."""

from __future__ import annotations

from decimal import InvalidOperation
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import _money, money

texts = st.one_of(
    st.integers(min_value=0, max_value=10**12 - 1).flatmap(
        lambda whole: st.integers(min_value=0, max_value=99).map(lambda cent: f"{whole}.{cent:02d}")
    ),
    st.sampled_from(["0.00", "-0.00", "-1.50", "1.005", "2.5", "7", "1e2", " 3.00 ", "1_000.00", "0.10", "00.10"]),
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=3).map(str),
)


def _to_the_cent(text: str) -> tuple[int, tuple[int, ...], int]:
    """The amount in cents as a ``DecimalTuple`` (sign, digits, exponent -2), worked out without ``decimal``: exact
    rational arithmetic (``fractions.Fraction``), half a cent rounded away from zero (the banks' "half up"), and
    the sign the text shows (so "-0.00" and "-0.004" stay negative zeros, as a Decimal keeps its sign)."""
    cents, rest = divmod(abs(Fraction(text)) * 100, 1)
    if rest >= Fraction(1, 2):
        cents += 1
    return (int(text.strip().startswith("-")), tuple(int(digit) for digit in str(cents)), -2)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1050.00", "1050.00"),
        ("1.004", "1.00"),
        ("1.005", "1.01"),  # half a cent goes up
        ("-1.005", "-1.01"),  # ... away from zero
        ("0.125", "0.13"),
        ("999999999999.995", "1000000000000.00"),
        ("2.5", "2.50"),
        ("7", "7.00"),
        ("1e2", "100.00"),
        (" 3.00 ", "3.00"),
        ("1_000.00", "1000.00"),
        ("00.10", "0.10"),
        ("-0.00", "-0.00"),
        ("-0.004", "-0.00"),
    ],
)
def test_a_money_string_reads_as_the_amount_worked_out_by_hand(text: str, amount: str) -> None:
    for _ in range(2):  # the second time it may come from what was kept
        assert str(money(text)) == amount


@settings(max_examples=500, deadline=None)
@given(text=texts)
def test_a_money_string_reads_as_its_amount_quantised_every_time(text: str) -> None:
    expected = _to_the_cent(text)

    for _ in range(2):  # the second time it may come from what was kept
        read = money(text)
        assert read.as_tuple() == expected


def test_only_exact_cent_texts_are_kept_and_no_more_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_money, "_KEPT", {})
    money("12.345")
    money(" 12.00")
    assert "12.345" not in _money._KEPT
    assert " 12.00" not in _money._KEPT
    assert money("12.00") is money("12.00")
    for n in range(_money._KEPT_MAX + 10):
        money(f"{n}.01")
    assert len(_money._KEPT) <= _money._KEPT_MAX


def test_a_text_that_is_no_amount_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(InvalidOperation):
            money("12.3.4")
