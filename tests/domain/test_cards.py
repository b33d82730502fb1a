"""Bank cards: the Luhn check digit against the textbook formula and python-stdnum, UnionPay numbers."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from simulator.domain import luhn_check_digit, luhn_valid, unionpay_card
from simulator.errors import ConfigError

SEEDS = st.integers(min_value=-(2**64), max_value=2**64)


def reference_luhn(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


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


def test_a_card_may_start_with_an_issuer_number() -> None:
    rng = random.Random(6217)

    cards = [unionpay_card(rng, length, prefix="621700") for length in (16, 17, 18, 19) for _ in range(50)]

    assert all(card.startswith("621700") and luhn.is_valid(card) for card in cards)
    assert {len(card) for card in cards} == {16, 17, 18, 19}


@pytest.mark.parametrize("prefix", ["4111", "62a", "62" + "0" * 17])
def test_a_prefix_that_is_no_unionpay_prefix_is_refused_with_the_fix(prefix: str) -> None:
    with pytest.raises(ConfigError, match=rf"card prefix '{prefix}' is not a UnionPay prefix; use '62'") as error:
        unionpay_card(random.Random(1), 19, prefix=prefix)

    assert error.value.field == "prefix"
