"""Penalty interest (罚息): how the bank rounds it, as a bank option.

Source for every rule here: lending-domain.md §1.2 — amounts are 元 with two decimals [S5], and the repayment
plan carries one ``dueFundPenalty`` per installment (syncRealRepayPlan 2.13, BigDecimal(15,2)) — the accrued
penalty, not a list of daily amounts. The notes name no rounding rule, so the default (the accrued total,
rounded once, half up — 四舍五入) is inferred from that field; ``daily`` and ``half_even`` are the other
conventions banks use, as options.
"""

from __future__ import annotations

import pytest

from simulator.partners.bank import BankConfig
from tests.partners.bank.helpers import at, installment, new_engine, register

# 2982.00 over 3 months, equal principal: 994.00 a month, 0.497 of penalty a day at 0.0005.
ODD_PRINCIPAL = {"disburseDate": "2019-04-10", "principal": "2982.00"}
# 3030.00: 1010.00 a month, 0.505 a day — five days are 2.525, a half cent.
HALF_CENT = {"disburseDate": "2019-04-10", "principal": "3030.00"}


def penalty_after(config: BankConfig, loan: dict[str, str], day: int) -> str:
    engine, _ = new_engine(config)
    register(engine, **loan)
    engine.advance(to=at(5, day, 3))  # the batches of 14 May … ``day`` May, 02:00, have run
    fee: str = installment(engine, 1)["dueFundPenalty"]
    return fee


def test_by_default_the_accrued_penalty_is_rounded_once_principal_times_rate_times_days() -> None:
    """lending-domain.md §1.2: one two-decimal dueFundPenalty per installment [S5 2.13]. 16 days overdue on
    994.00 at 0.0005 a day is 7.952, booked 7.95 — not sixteen roundings of 0.497."""
    assert BankConfig().penalty_rounding == "total"

    assert penalty_after(BankConfig(), ODD_PRINCIPAL, 26) == "7.95"


def test_a_bank_that_rounds_each_day_books_the_sum_of_the_roundings() -> None:
    """The other convention (a daily accrual booked to the cent): 0.497 a day is 0.50 a day, 8.00 after 16 days."""
    config = BankConfig(penalty_rounding="daily")

    assert penalty_after(config, ODD_PRINCIPAL, 26) == "8.00"


@pytest.mark.parametrize(("mode", "booked"), [("half_up", "2.53"), ("half_even", "2.52")])
def test_a_half_cent_is_rounded_up_or_to_the_even_cent_as_the_bank_says(mode: str, booked: str) -> None:
    """Five days on 1010.00 at 0.0005 is 2.525: 四舍五入 (half up, the default) books 2.53, banker's rounding
    (half even) 2.52."""
    config = BankConfig(penalty_rounding_mode=mode)

    assert penalty_after(config, HALF_CENT, 15) == booked


def test_a_rounding_rule_the_bank_does_not_know_is_refused_with_the_closest_one() -> None:
    with pytest.raises(ValueError, match=r"penalty_rounding_mode must be one of half_up, half_even, got 'half-up'"):
        BankConfig.from_mapping({"penalty_rounding_mode": "half-up"})
