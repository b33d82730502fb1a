"""The lending domain's values, defined once: resident IDs, mobile numbers, bank cards, money and instants.

================  =====================================================================================
value             what is here
================  =====================================================================================
resident ID       :func:`id_check_char` (GB 11643), :func:`resident_id`, :func:`is_valid_resident_id`;
                  :data:`AREAS` / :data:`AREA_CODES`, the counties valid for any birth year
mobile number     :data:`MOBILE_PREFIXES` (the MIIT segments of March 2023), :func:`mobile`, :func:`is_mobile`
bank card         :func:`luhn_check_digit`, :func:`luhn_valid`, :func:`unionpay_card`
money             :data:`ZERO`, :data:`CENT`, :func:`money` (to the cent, half up), :func:`money_str`, :func:`total`
instant           :func:`parse_instant` (RFC 3339, aware), :func:`iso`
================  =====================================================================================

Synthetic people (:mod:`simulator.population`), generated mock data (:mod:`simulator.openapi`), the partners
and the oracles all take these from here. Every generator draws from the ``random.Random`` it is given, so a
seeded one gives the same values on every machine and every day; nothing is real, the values only have the
right shape and check characters (``shared/reference/lending-domain.md`` §3). This package imports nothing of
ours but :mod:`simulator.errors` and :mod:`simulator.types`.
"""

from simulator.domain._areas import AREA_CODES, AREAS, area_code
from simulator.domain._cards import luhn_check_digit, luhn_valid, unionpay_card
from simulator.domain._ids import ID_CHECK_CHARS, ID_WEIGHTS, id_check_char, is_valid_resident_id, resident_id
from simulator.domain._instants import iso, parse_instant
from simulator.domain._mobiles import MOBILE_PREFIXES, is_mobile, mobile
from simulator.domain._money import CENT, ZERO, money, money_str, total

__all__ = [
    "AREAS",
    "AREA_CODES",
    "CENT",
    "ID_CHECK_CHARS",
    "ID_WEIGHTS",
    "MOBILE_PREFIXES",
    "ZERO",
    "area_code",
    "id_check_char",
    "is_mobile",
    "is_valid_resident_id",
    "iso",
    "luhn_check_digit",
    "luhn_valid",
    "mobile",
    "money",
    "money_str",
    "parse_instant",
    "resident_id",
    "total",
    "unionpay_card",
]
