"""Exact money: decimal yuan with two places, parsed from and written to the contracts' strings."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "ZERO", "money", "money_str", "total"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# Contract amounts repeat (each line of a repayment carries its "0.00"s), so a text that already is the exact
# cent form of its amount is kept with its Decimal: quantising it again would give an equal Decimal with the
# same exponent, and a Decimal never changes. Only such texts are kept (rounding one would also set the
# context's flags), none longer than the contracts' 15 characters, and no more than _KEPT_MAX of them.
_KEPT: dict[str, Decimal] = {}
_KEPT_MAX = 4096


def money(value: str | Decimal | int) -> Decimal:
    """A contract money string ("1050.00") or a Decimal, quantised to the cent (half up)."""
    if type(value) is str:
        kept = _KEPT.get(value)
        if kept is not None:
            return kept
        amount = Decimal(value).quantize(CENT, ROUND_HALF_UP)
        if len(value) <= 15 and len(_KEPT) < _KEPT_MAX and str(amount) == value:
            _KEPT[value] = amount
        return amount
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)  # positional: a third faster than rounding=


def money_str(value: Decimal) -> str:
    """The contract form: two decimals, no exponent, never negative zero."""
    quantised = value.quantize(CENT, ROUND_HALF_UP)
    return f"{quantised + 0:.2f}"


def total(values: Iterable[Decimal]) -> Decimal:
    """The sum of ``values``; :data:`ZERO` when there are none."""
    return sum(values, ZERO)
