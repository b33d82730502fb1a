"""The repayment schedule as the platform works it out from the loan's terms, for when the bank's cannot be read.

The platform registered each loan at the bank with its product's terms — principal, annual rate, term, due day,
disbursement date and repayment method — and the loan contract the borrower signed says how those make the
installments. This is the platform's own reading of that contract, written here rather than asked of anyone:

- ``EQUAL_INSTALLMENT`` (等额本息): one payment every month, ``P·r / (1 − (1 + r)^−n)`` at the monthly rate
  ``r`` = annual rate / 12, rounded to the cent; each month's interest is ``r`` on the balance still owed, the
  rest of the payment is principal.
- ``EQUAL_PRINCIPAL`` (等额本金): the principal divided by the term, cut (not rounded) to the cent, every month,
  plus ``r`` on the balance.

Interest is rounded half up to the cent (四舍五入) and does not depend on how long the month is; the last
installment takes whatever principal is left, so the principals add up to the loan exactly. The bank's schedule,
when it can be read, is the one of record (``ResilientPlatform`` takes it over this one as soon as it answers).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Final

from lendsim_examples._base import CENT, ZERO, Parts, PlanRow

__all__ = ["EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "REPAY_METHODS", "contract_schedule"]

EQUAL_INSTALLMENT: Final = "EQUAL_INSTALLMENT"
EQUAL_PRINCIPAL: Final = "EQUAL_PRINCIPAL"
REPAY_METHODS: Final = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL)


def contract_schedule(
    principal: Decimal, annual_rate: Decimal, term: int, due_day: int, disbursed: date, method: str
) -> dict[int, PlanRow]:
    """Installment number → its due date and what it is due (principal and interest), nothing paid yet."""
    if method not in REPAY_METHODS:
        raise ValueError(f"unknown repayment method {method!r}; the platform knows {', '.join(REPAY_METHODS)}")
    if term < 1:
        raise ValueError(f"a loan's term is at least one month, not {term}")
    monthly = annual_rate / 12
    if method == EQUAL_PRINCIPAL:
        share = (principal / term).quantize(CENT, rounding=ROUND_DOWN)
        principals = [share] * (term - 1)
    else:
        payment = _level_payment(principal, monthly, term)
    rows: dict[int, PlanRow] = {}
    balance = principal
    for no in range(1, term + 1):
        interest = _cents(balance * monthly)
        if no == term:
            part = balance
        elif method == EQUAL_PRINCIPAL:
            part = principals[no - 1]
        else:
            part = min(max(payment - interest, ZERO), balance)
        rows[no] = PlanRow(no, _due(disbursed, no, due_day), Parts(principal=part, interest=interest), Parts())
        balance -= part
    return rows


def _level_payment(principal: Decimal, monthly: Decimal, term: int) -> Decimal:
    """The equal monthly payment of an annuity, to the cent (worked out at 34 digits: no rounding on the way)."""
    if monthly == ZERO:
        return _cents(principal / term)
    with localcontext() as context:
        context.prec = 34
        growth = (1 + monthly) ** term
        return _cents(principal * monthly * growth / (growth - 1))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _due(disbursed: date, no: int, due_day: int) -> date:
    """Installment ``no`` falls due on ``due_day`` of the ``no``-th month after the disbursement."""
    month = disbursed.month - 1 + no
    return date(disbursed.year + month // 12, month % 12 + 1, due_day)
