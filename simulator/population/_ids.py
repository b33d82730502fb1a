"""Synthetic identifiers: resident IDs (GB 11643), mainland mobile numbers, UnionPay card numbers.

Every function here draws from the ``random.Random`` it is given, so a seeded generator gives the same
numbers on every machine and every day. Nothing is real: the numbers only have the right shape and check
characters (``shared/reference/lending-domain.md`` §3).

Resident ID, 18 characters: area code (6, from :data:`~simulator.population.AREA_CODES`, valid for any
birth year) + birth date ``YYYYMMDD`` + sequence (3; odd for men, even for women) + check character. With
``a_i`` the digits and ``w_i = 2^(17-i) mod 11`` the weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), the
check character is ``"10X98765432"[Σ a_i·w_i mod 11]``.

Mobile number, 11 digits: a 4-digit prefix from :data:`MOBILE_PREFIXES` — the public mobile network numbers
allocated by MIIT (March 2023), including the 16x, 17x and 19x segments and the MVNO (170x/171/162/165/167)
ones; without the 13-digit IoT segments 140–144 and the satellite ones (1349, 174x, 1619) — then a
7-digit subscriber part.

UnionPay card: ``62`` + random digits + a Luhn check digit, 16 to 19 digits (debit cards are usually 19).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Final, Literal

from simulator.errors import ConfigError
from simulator.population._areas import AREA_CODES, AREAS

__all__ = [
    "ID_WEIGHTS",
    "MOBILE_PREFIXES",
    "Sex",
    "id_check_char",
    "is_mobile",
    "is_valid_resident_id",
    "luhn_check_digit",
    "luhn_valid",
    "mobile",
    "resident_id",
    "unionpay_card",
]

Sex = Literal["M", "F"]

ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
"""The GB 11643 weights of the first 17 characters: 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2."""
_ID_CHECK: Final = "10X98765432"
# Province-level prefixes of the mainland: 11–15 (北京 … 内蒙古), 21–23, 31–37, 41–46, 50–54, 61–65 (… 新疆);
# 71/81/82/83 are residence-permit prefixes.
_PROVINCES: Final = frozenset(
    str(p) for low, high in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65)) for p in range(low, high + 1)
)

# MIIT allocation of public mobile network numbers (我国公众移动通信网网号及H0分配情况, end of March 2023).
# A 3-digit entry is a whole segment (all ten H0 digits), a 4-digit one a single H0 within a shared segment.
_SEGMENTS: Final = {
    "China Telecom": "133 149 153 162 1700 1701 1702 173 177 180 181 189 190 191 193 199",
    "China Mobile": (
        "1340 1341 1342 1343 1344 1345 1346 1347 1348 135 136 137 138 139 147 148 150 151 152 157 158 159 "
        "165 1703 1705 1706 172 178 182 183 184 187 188 195 197 198"
    ),
    "China Unicom": "130 131 132 145 146 155 156 166 167 1704 1707 1708 1709 171 175 176 185 186 196",
    "China Broadnet": "192",
}


def _prefixes() -> tuple[str, ...]:
    prefixes: list[str] = []
    for segments in _SEGMENTS.values():
        for segment in segments.split():
            prefixes.extend([segment] if len(segment) == 4 else [f"{segment}{h0}" for h0 in range(10)])
    return tuple(sorted(prefixes))


MOBILE_PREFIXES: Final = _prefixes()
"""Every allowed 4-digit mobile prefix (network number + H0), sorted; :func:`mobile` draws uniformly from them."""
_MOBILE_PREFIX_SET: Final = frozenset(MOBILE_PREFIXES)

_DIGITS: Final = frozenset("0123456789")
_LUHN_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit d doubled, digits of the product added


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID.

    ``Σ a_i·2^(17-i)`` is ``2·int(first17, 13)`` modulo 11 (13 ≡ 2), which lets ``int`` do the sum in C.
    """
    return _ID_CHECK[2 * int(first17, 13) % 11]


def resident_id(rng: random.Random, birth: date, area: str, sex: Sex) -> str:
    """A resident ID for someone born on ``birth``, registered in county ``area``, of ``sex`` ("M" or "F").

    The 3-digit sequence is drawn from ``rng`` (001–997 odd for men, 002–998 even for women).
    """
    if area not in AREAS:
        raise ConfigError(
            f"area {area!r} is not in the curated county table; use area_code(rng) or one of "
            f"simulator.population.AREA_CODES (e.g. {AREA_CODES[0]!r}), which are valid for any birth year",
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
    that the county existed in the birth year; every code this package generates does (see
    :mod:`simulator.population._areas`).
    """
    if len(number) != 18 or not _DIGITS.issuperset(number[:17]) or number[17] not in _ID_CHECK:
        return False
    if number[:2] not in _PROVINCES or number[4:6] == "00":
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17] == id_check_char(number[:17])


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number from a currently allocated segment (see :data:`MOBILE_PREFIXES`)."""
    return f"{MOBILE_PREFIXES[rng.randrange(len(MOBILE_PREFIXES))]}{rng.randrange(10_000_000):07d}"


def is_mobile(number: str) -> bool:
    """Whether ``number`` is 11 ASCII digits starting with an allowed prefix of :data:`MOBILE_PREFIXES`."""
    return len(number) == 11 and _DIGITS.issuperset(number) and number[:4] in _MOBILE_PREFIX_SET


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


def unionpay_card(rng: random.Random, length: int = 19) -> str:
    """A Luhn-valid UnionPay card number: ``62``, random digits, check digit; ``length`` from 16 to 19."""
    if isinstance(length, bool) or not isinstance(length, int) or not 16 <= length <= 19:
        raise ConfigError(
            f"card length {length!r} is not a UnionPay length; use 19 (usual for debit cards) or 16 to 18",
            field="length",
        )
    payload = f"62{rng.randrange(10 ** (length - 3)):0{length - 3}d}"
    return payload + luhn_check_digit(payload)
