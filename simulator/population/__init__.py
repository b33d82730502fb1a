"""Synthetic people: resident IDs, mobile numbers, bank cards, borrowers and who owns which number when.

Everything is made up, seeded and independent of the wall clock: a ``Population(seed, size)`` gives the same
borrowers on every machine and every day, and any slice of it can be built on its own (sharding). No real
personal data, ever; logs and reports show these numbers only through :mod:`simulator.masking`.
"""

from __future__ import annotations

from simulator.population._areas import AREA_CODES, AREAS, area_code
from simulator.population._ids import (
    ID_WEIGHTS,
    MOBILE_PREFIXES,
    Sex,
    id_check_char,
    is_mobile,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_valid,
    mobile,
    resident_id,
    unionpay_card,
)
from simulator.population._people import DEFAULT_AS_OF, Borrower, PhoneBook, Population, Tenure

__all__ = [
    "AREAS",
    "AREA_CODES",
    "DEFAULT_AS_OF",
    "ID_WEIGHTS",
    "MOBILE_PREFIXES",
    "Borrower",
    "PhoneBook",
    "Population",
    "Sex",
    "Tenure",
    "area_code",
    "id_check_char",
    "is_mobile",
    "is_valid_resident_id",
    "luhn_check_digit",
    "luhn_valid",
    "mobile",
    "resident_id",
    "unionpay_card",
]
