"""Mainland mobile numbers: exactly the MIIT segments of lending-domain.md §3, written out here independently."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.domain import MOBILE_PREFIXES, is_mobile, mobile

SEEDS = st.integers(min_value=-(2**64), max_value=2**64)

# lending-domain.md §3, written out independently of the module's table.
SEGMENTS = {
    "telecom": "133 149 153 162 1700 1701 1702 173 177 180 181 189 190 191 193 199",
    "mobile": "1340 1341 1342 1343 1344 1345 1346 1347 1348 135 136 137 138 139 147 148 150 151 152 157 158 159 "
    "165 1703 1705 1706 172 178 182 183 184 187 188 195 197 198",
    "unicom": "130 131 132 145 146 155 156 166 167 1704 1707 1708 1709 171 175 176 185 186 196",
    "broadnet": "192",
}
ALLOWED = [segment for segments in SEGMENTS.values() for segment in segments.split()]


# --- mobile numbers -------------------------------------------------------------------------------


def test_prefixes_are_exactly_the_allocated_segments() -> None:
    expected = {
        prefix
        for segment in ALLOWED
        for prefix in ([segment] if len(segment) == 4 else [f"{segment}{h0}" for h0 in range(10)])
    }

    assert set(MOBILE_PREFIXES) == expected
    assert len(MOBILE_PREFIXES) == len(expected) == 549


def test_no_iot_or_satellite_prefix_is_allowed() -> None:
    forbidden = ("140", "141", "142", "143", "144", "1349", "174", "1619")

    assert [prefix for prefix in MOBILE_PREFIXES if prefix.startswith(forbidden)] == []


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_mobiles_have_11_digits_from_allowed_segments(seed: int) -> None:
    rng = random.Random(seed)

    numbers = [mobile(rng) for _ in range(200)]

    for number in numbers:
        assert len(number) == 11 and number.isdigit()
        assert number.startswith(tuple(ALLOWED)), number
        assert is_mobile(number)


def test_mobiles_cover_the_new_16x_17x_and_19x_segments() -> None:
    rng = random.Random(3)

    segments = {mobile(rng)[:2] for _ in range(2000)}

    assert {"13", "14", "15", "16", "17", "18", "19"} <= segments


@pytest.mark.parametrize("number", ["1381234123", "138123412345", "14012341234", "13491234123", "1381234123a"])
def test_is_mobile_rejects_wrong_lengths_and_segments(number: str) -> None:
    assert not is_mobile(number)
