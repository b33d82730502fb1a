"""Resident ID numbers (GB 11643): the check character, synthetic numbers, validation.

18 characters: area code (6, a county of :data:`~simulator.domain.AREA_CODES`, valid for any birth year) + birth
date ``YYYYMMDD`` + sequence (3; odd for men, even for women) + check character. With ``a_i`` the digits and
``w_i = 2^(17-i) mod 11`` the weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), the check character is
``"10X98765432"[Σ a_i·w_i mod 11]`` (``shared/reference/lending-domain.md`` §3).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Final

from simulator.domain._areas import AREA_CODES, AREAS
from simulator.errors import ConfigError
from simulator.types import Sex

__all__ = ["ID_CHECK_CHARS", "ID_WEIGHTS", "id_check_char", "is_valid_resident_id", "resident_id"]

ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
"""The GB 11643 weights of the first 17 characters: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2."""
ID_CHECK_CHARS: Final = "10X98765432"
"""The check character by ``Σ a_i·w_i mod 11``."""
# Province-level prefixes of the mainland: 11–15 (北京 … 内蒙古), 21–23, 31–37, 41–46, 50–54, 61–65 (… 新疆);
# 71/81/82/83 are residence-permit prefixes.
_PROVINCES: Final = frozenset(
    str(p) for low, high in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65)) for p in range(low, high + 1)
)
_DIGITS: Final = frozenset("0123456789")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID.

    ``Σ a_i·2^(17-i)`` is ``2·int(first17, 13)`` modulo 11 (13 ≡ 2), which lets ``int`` do the sum in C.
    """
    return ID_CHECK_CHARS[2 * int(first17, 13) % 11]


def resident_id(rng: random.Random, birth: date, area: str, sex: Sex) -> str:
    """A resident ID for someone born on ``birth``, registered in county ``area``, of ``sex`` ("M" or "F").

    The 3-digit sequence is drawn from ``rng`` (001–997 odd for men, 002–998 even for women).
    """
    if area not in AREAS:
        raise ConfigError(
            f"area {area!r} is not in the curated county table; use area_code(rng) or one of "
            f"simulator.domain.AREA_CODES (e.g. {AREA_CODES[0]!r}), which are valid for any birth year",
            field="area",
        )
    if sex not in ("M", "F"):
        raise ConfigError(f"sex {sex!r} is not 'M' or 'F'; pass 'M' (odd sequence) or 'F' (even)", field="sex")
    sequence = 2 * rng.randrange(499) + (1 if sex == "M" else 2)
    first17 = f"{area}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + id_check_char(first17)


def is_valid_resident_id(number: str) -> bool:
    """Whether ``number`` is a well-formed 18-character resident ID.

    Checks the form (17 ASCII digits and a digit or upper-case ``X``), a mainland province prefix, an area
    below prefecture level (not ``xxxx00``), a real birth date and the check character. It does not check
    that the county existed in the birth year; every code :func:`resident_id` takes does (see
    :mod:`simulator.domain._areas`).
    """
    if len(number) != 18 or not _DIGITS.issuperset(number[:17]) or number[17] not in ID_CHECK_CHARS:
        return False
    if number[:2] not in _PROVINCES or number[4:6] == "00":
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17] == id_check_char(number[:17])
