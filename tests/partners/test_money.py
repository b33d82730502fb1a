"""Money parsed from contract strings: the same Decimal, exponent and sign included, the first time and after."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import CENT, _money, money

texts = st.one_of(
    st.integers(min_value=0, max_value=10**12 - 1).flatmap(
        lambda whole: st.integers(min_value=0, max_value=99).map(lambda cent: f"{whole}.{cent:02d}")
    ),
    st.sampled_from(["0.00", "-0.00", "-1.50", "1.005", "2.5", "7", "1e2", " 3.00 ", "1_000.00", "0.10", "00.10"]),
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=3).map(str),
)


def _quantised(text: str) -> Decimal:
    return Decimal(text).quantize(CENT, ROUND_HALF_UP)


@settings(max_examples=500, deadline=None)
@given(text=texts)
def test_a_money_string_reads_as_its_amount_quantised_every_time(text: str) -> None:
    expected = _quantised(text)

    for _ in range(2):  # the second time it may come from what was kept
        read = money(text)
        assert read.as_tuple() == expected.as_tuple()


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
