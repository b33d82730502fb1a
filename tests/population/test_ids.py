from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import ConfigError
from simulator.population import (
    AREA_CODES,
    AREAS,
    ID_WEIGHTS,
    MOBILE_PREFIXES,
    Sex,
    area_code,
    id_check_char,
    is_mobile,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_valid,
    mobile,
    resident_id,
    unionpay_card,
)

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


def reference_check_char(first17: str) -> str:
    """The check character by the textbook formula, not the module's int(…, 13) shortcut."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def reference_luhn(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


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
    ric = pytest.importorskip("stdnum.cn.ric")
    rejected = []

    for code in AREA_CODES:
        for year in (1950, 1953, 1980, 2001, 2010):
            first17 = f"{code}{year}0101001"
            number = first17 + id_check_char(first17)
            if not ric.is_valid(number):
                rejected.append(number)

    assert rejected == []


def test_generated_ids_pass_stdnum() -> None:
    ric = pytest.importorskip("stdnum.cn.ric")
    rng = random.Random(11643)

    numbers = [
        resident_id(rng, date(rng.randrange(1953, 2002), rng.randrange(1, 13), rng.randrange(1, 29)), area, sex)
        for area in AREA_CODES
        for sex in ("M", "F")
    ]

    assert [number for number in numbers if not ric.is_valid(number)] == []


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


# --- cards ----------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS, length=st.sampled_from([16, 17, 18, 19]))
def test_cards_are_luhn_valid_unionpay_numbers_of_the_asked_length(seed: int, length: int) -> None:
    rng = random.Random(seed)

    cards = [unionpay_card(rng, length) for _ in range(100)]

    for card in cards:
        assert len(card) == length and card.isdigit()
        assert card.startswith("62")
        assert reference_luhn(card)
        assert luhn_valid(card)


def test_cards_are_19_digits_by_default() -> None:
    assert len(unionpay_card(random.Random(1))) == 19


def test_cards_pass_stdnum_luhn() -> None:
    luhn = pytest.importorskip("stdnum.luhn")
    rng = random.Random(62)

    cards = [unionpay_card(rng, rng.choice([16, 19])) for _ in range(1000)]

    assert all(luhn.is_valid(card) for card in cards)


@pytest.mark.parametrize("length", [15, 20, 0])
def test_a_length_outside_16_to_19_is_refused_with_the_fix(length: int) -> None:
    with pytest.raises(ConfigError, match=rf"card length {length} is not a UnionPay length; use 19"):
        unionpay_card(random.Random(1), length)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("79927398713", True), ("79927398710", False), ("4111111111111111", True), ("6214123412345563", False)],
)
def test_luhn_valid_on_known_numbers(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize("number", ["", "7", "7992739871a", "６２14123412345563"])
def test_luhn_valid_is_false_for_non_numbers(number: str) -> None:
    assert not luhn_valid(number)


def test_luhn_check_digit_completes_a_payload() -> None:
    assert luhn_check_digit("7992739871") == "3"
    with pytest.raises(ConfigError, match=r"Luhn payload '12a' must be one or more ASCII digits"):
        luhn_check_digit("12a")
