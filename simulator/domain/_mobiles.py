"""Mainland mobile numbers: the allocated segments, synthetic numbers, the check that a number is one.

11 digits: a 4-digit prefix from :data:`MOBILE_PREFIXES` — the public mobile network numbers allocated by MIIT
(March 2023), including the 16x, 17x and 19x segments and the MVNO (170x/171/162/165/167) ones; without the
13-digit IoT segments 140–144 and the satellite ones (1349, 174x, 1619) — then a 7-digit subscriber part
(``shared/reference/lending-domain.md`` §3). Number portability means the prefix no longer tells the carrier.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["MOBILE_PREFIXES", "is_mobile", "mobile"]

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


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number from a currently allocated segment (see :data:`MOBILE_PREFIXES`)."""
    return f"{MOBILE_PREFIXES[rng.randrange(len(MOBILE_PREFIXES))]}{rng.randrange(10_000_000):07d}"


def is_mobile(number: str) -> bool:
    """Whether ``number`` is 11 ASCII digits starting with an allowed prefix of :data:`MOBILE_PREFIXES`."""
    return len(number) == 11 and _DIGITS.issuperset(number) and number[:4] in _MOBILE_PREFIX_SET
