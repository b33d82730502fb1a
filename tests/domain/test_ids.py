"""Resident IDs (GB 11643): the check character against the textbook formula and python-stdnum, the area table."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from simulator.domain import (
    AREA_CODES,
    AREAS,
    ID_WEIGHTS,
    area_code,
    id_check_char,
    is_valid_resident_id,
    resident_id,
)
from simulator.errors import ConfigError
from simulator.types import Sex

SEEDS = st.integers(min_value=-(2**64), max_value=2**64)


def reference_check_char(first17: str) -> str:
    """The check character by the textbook formula, not the module's int(…, 13) shortcut."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


# --- resident IDs ---------------------------------------------------------------------------------


def test_weights_are_two_to_the_power_17_minus_i_mod_11() -> None:
    assert ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("36042619910101007", "1")],
)
def test_check_character_of_published_examples(first17: str, check: str) -> None:
    assert id_check_char(first17) == check
    assert reference_check_char(first17) == check


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS)
def test_generated_ids_carry_a_valid_check_character_area_birth_date_and_sex(seed: int) -> None:
    rng = random.Random(seed)

    for _ in range(100):
        birth = date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
        area = area_code(rng)
        sex: Sex = "M" if rng.random() < 0.5 else "F"
        number = resident_id(rng, birth, area, sex)

        assert len(number) == 18 and number[:17].isdigit()
        assert number[17] == reference_check_char(number[:17])
        assert is_valid_resident_id(number)
        assert number[:6] == area and area in AREAS
        assert number[6:14] == f"{birth:%Y%m%d}"
        assert int(number[14:17]) % 2 == (1 if sex == "M" else 0)
        assert 1 <= int(number[14:17]) <= 998


def test_the_same_seed_gives_the_same_id() -> None:
    birth = date(1990, 3, 7)

    first = resident_id(random.Random(5), birth, "110101", "F")
    again = resident_id(random.Random(5), birth, "110101", "F")

    assert first == again


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002",  # 17 characters
        "11010519491231002x",  # lower-case x
        "110105194912310021",  # wrong check character
        "11010519491331002X",  # month 13
        "110100199001010011",  # a prefecture code, not a county
        "710105194912310025",  # 71: Taiwan residence permit prefix, not a mainland province
        "1101051949123１002X",  # a full-width digit
    ],
)
def test_malformed_ids_are_not_valid(number: str) -> None:
    assert not is_valid_resident_id(number)


def test_an_unknown_area_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"area '440300' is not in the curated county table; use area_code") as e:
        resident_id(random.Random(1), date(1990, 1, 1), "440300", "M")

    assert e.value.field == "area"


def test_a_sex_other_than_m_or_f_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"sex 'male' is not 'M' or 'F'"):
        resident_id(random.Random(1), date(1990, 1, 1), "110101", "male")  # type: ignore[arg-type]


def test_the_area_table_holds_only_county_level_codes() -> None:
    assert 200 <= len(AREA_CODES) <= 400
    assert list(AREA_CODES) == sorted(set(AREA_CODES))
    for code in AREA_CODES:
        assert len(code) == 6 and code.isdigit()
        assert not code.endswith("00"), code
        assert code[:2] not in {"71", "81", "82", "83"}, code


def test_every_area_code_is_valid_for_every_birth_year_according_to_stdnum() -> None:
    rejected = []

    for code in AREA_CODES:
        for year in (1950, 1953, 1980, 2001, 2010):
            first17 = f"{code}{year}0101001"
            number = first17 + id_check_char(first17)
            if not ric.is_valid(number):
                rejected.append(number)

    assert rejected == []


def test_generated_ids_pass_stdnum() -> None:
    rng = random.Random(11643)

    numbers = [
        resident_id(rng, date(rng.randrange(1953, 2002), rng.randrange(1, 13), rng.randrange(1, 29)), area, sex)
        for area in AREA_CODES
        for sex in ("M", "F")
    ]

    assert [number for number in numbers if not ric.is_valid(number)] == []
