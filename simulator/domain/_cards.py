"""Bank card numbers: the Luhn (mod 10) check digit and synthetic UnionPay cards.

A UnionPay card number is ``62`` (or a longer issuer prefix starting with it) + digits + a Luhn check digit,
16 to 19 digits in all (debit cards are usually 19) (``shared/reference/lending-domain.md`` §3).
"""

from __future__ import annotations

import random
from typing import Final

from simulator.errors import ConfigError

__all__ = ["luhn_check_digit", "luhn_valid", "unionpay_card"]

_DIGITS: Final = frozenset("0123456789")
_LUHN_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit d doubled, digits of the product added


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check."""
    if not payload or not _DIGITS.issuperset(payload):
        raise ConfigError(f"Luhn payload {payload!r} must be one or more ASCII digits", field="payload")
    total = sum(_LUHN_DOUBLED[int(d)] for d in payload[-1::-2]) + sum(int(d) for d in payload[-2::-2])
    return str(-total % 10)


def luhn_valid(number: str) -> bool:
    """Whether ``number`` (two or more ASCII digits) passes the Luhn (mod 10) check."""
    if len(number) < 2 or not _DIGITS.issuperset(number):
        return False
    total = sum(int(d) for d in number[-1::-2]) + sum(_LUHN_DOUBLED[int(d)] for d in number[-2::-2])
    return total % 10 == 0


def unionpay_card(rng: random.Random, length: int = 19, *, prefix: str = "62") -> str:
    """A Luhn-valid UnionPay card number of ``length`` (16 to 19) digits: ``prefix``, random digits, check digit.

    ``prefix`` is ``62`` or an issuer identification number starting with it (``"621700"``).
    """
    if isinstance(length, bool) or not isinstance(length, int) or not 16 <= length <= 19:
        raise ConfigError(
            f"card length {length!r} is not a UnionPay length; use 19 (usual for debit cards) or 16 to 18",
            field="length",
        )
    if not prefix.startswith("62") or not _DIGITS.issuperset(prefix) or len(prefix) > length - 2:
        raise ConfigError(
            f"card prefix {prefix!r} is not a UnionPay prefix; use '62' or an issuer number starting with 62 "
            f"that leaves room for a digit and the check digit in {length}",
            field="prefix",
        )
    n = length - len(prefix) - 1
    payload = f"{prefix}{rng.randrange(10**n):0{n}d}"
    return payload + luhn_check_digit(payload)
