"""Repayment schedules (还款计划): monthly installments, exact to the cent.

``EQUAL_INSTALLMENT`` (等额本息): the same payment every month, interest on the remaining balance, the rest
principal. ``EQUAL_PRINCIPAL`` (等额本金): the same principal every month plus interest on the balance. Interest
is the monthly rate (annual / 12) on the balance, whatever the length of the month. The last installment
takes whatever rounding left over, so the principals always add up to the loan to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Final

from simulator.domain import CENT, ZERO, money

__all__ = ["EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "METHODS", "ScheduledInstallment", "build_schedule", "due_date"]

EQUAL_INSTALLMENT: Final = "EQUAL_INSTALLMENT"
EQUAL_PRINCIPAL: Final = "EQUAL_PRINCIPAL"
METHODS: Final = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL)


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One installment as the loan contract sets it: when, how much principal and how much interest."""

    no: int
    due_date: date
    principal: Decimal
    interest: Decimal


def due_date(disburse: date, number: int, due_day: int) -> date:
    """The due date of installment ``number``: ``due_day`` of the ``number``-th month after disbursement."""
    months = disburse.year * 12 + disburse.month - 1 + number
    return date(months // 12, months % 12 + 1, due_day)


def build_schedule(
    principal: Decimal, annual_rate: Decimal, term: int, due_day: int, disburse: date, method: str
) -> list[ScheduledInstallment]:
    """The installments of a loan. Raises ``ValueError`` for a method it does not know or a bad term."""
    if term < 1:
        raise ValueError(f"term must be at least 1 month, got {term}")
    rate = annual_rate / 12
    if method == EQUAL_PRINCIPAL:
        share = (principal / term).quantize(CENT, rounding=ROUND_DOWN)  # the last one takes the remainder
        principals = [share] * (term - 1) + [principal - share * (term - 1)]
        balance = principal
        rows = []
        for number, part in enumerate(principals, start=1):
            rows.append(ScheduledInstallment(number, due_date(disburse, number, due_day), part, money(balance * rate)))
            balance -= part
        return rows
    if method == EQUAL_INSTALLMENT:
        payment = _annuity(principal, rate, term)
        balance = principal
        rows = []
        for number in range(1, term + 1):
            interest = money(balance * rate)
            part = balance if number == term else min(max(payment - interest, ZERO), balance)
            rows.append(ScheduledInstallment(number, due_date(disburse, number, due_day), part, interest))
            balance -= part
        return rows
    raise ValueError(f"unknown repayMethod {method!r}; use {' or '.join(METHODS)}")


def _annuity(principal: Decimal, rate: Decimal, term: int) -> Decimal:
    """The equal monthly payment, rounded to the cent."""
    if rate == 0:
        return money(principal / term)
    with localcontext() as context:
        context.prec = 34
        return money(principal * rate / (1 - (1 + rate) ** -term))
