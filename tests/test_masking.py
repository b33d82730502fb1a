from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.masking import NAME_KEYS, mask_card, mask_id, mask_name, mask_phone, mask_text, mask_value
from simulator.population import Population

# --- single values --------------------------------------------------------------------------------


def test_each_format_keeps_exactly_its_ends() -> None:
    assert mask_id("110101199003071234") == "1101**********1234"
    assert mask_id("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_card("6214123412345563") == "6214********5563"
    assert mask_card("6217001234567890123") == "6217***********0123"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"


def test_values_too_short_to_keep_anything_are_starred_whole() -> None:
    assert mask_name("") == ""
    assert mask_name("张") == "*"
    assert mask_phone("1381234") == "*******"
    assert mask_card("12345678") == "********"
    assert mask_id("") == ""


def test_separators_stay_and_only_digits_are_starred() -> None:
    assert mask_phone("138-1234-1234") == "138-****-1234"
    assert mask_card("6214 1234 1234 5563") == "6214 **** **** 5563"


# --- free text ------------------------------------------------------------------------------------


def test_an_overdue_sms_body_with_a_phone_and_an_id() -> None:
    body = (
        "【民生银行】尊敬的张三丰，您在小米金融的贷款（证件号110101199003071234）于2019-05-10发生逾期，"
        "应还1050.00元。如有疑问请致电13812341234。"
    )

    masked = mask_text(body)

    assert masked == (
        "【民生银行】尊敬的张三丰，您在小米金融的贷款（证件号1101**********1234）于2019-05-10发生逾期，"
        "应还1050.00元。如有疑问请致电138****1234。"
    )


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 6214123412345563 debited", "card 6214********5563 debited"),
        ("card 6217001234567890123", "card 6217***********0123"),
        ("卡号:6214 1234 1234 5563。", "卡号:6214 **** **** 5563。"),
        ("6217-0012-3456-7890-123 ok", "6217-****-****-***0-123 ok"),
        ("phone=13812341234&x=1", "phone=138****1234&x=1"),
        ("tel +8613812341234", "tel +86138****1234"),
        ("tel +86 138 1234 1234", "tel +86 138 **** 1234"),
        ("tel 0086-13812341234", "tel 0086-138****1234"),
        ("tel 8613812341234", "tel 86138****1234"),
        ("call 13812341234.", "call 138****1234."),
        ("IDs 110101199003071234,11010519491231002X", "IDs 1101**********1234,1101**********002X"),
        ("certNo=11010519491231002x;", "certNo=1101**********002x;"),
        ("{'phone': '19912345678'}", "{'phone': '199****5678'}"),
    ],
)
def test_numbers_inside_text_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_a_card_is_masked_as_a_card_not_as_a_phone_inside_it() -> None:
    text = "6213812341234000"  # a phone-shaped run 13812341234 sits inside the card number

    assert mask_text(text) == "6213********4000"


@pytest.mark.parametrize(
    "text",
    [
        "repaid 1050.00 on 2019-05-10 23:59:59",
        "amount 13800000000.00 yuan",  # an 11-digit amount, not a phone
        "0.13812341234",
        "ts 20190514235959 and 1557849600000",  # 14 and 13 digits: neither card, ID nor phone
        "batch 123456789012345678901",  # 21 digits
        "loan LN201902100001, installment 3/12",
        "12812341234",  # 128 is not a mobile segment
        "短信已发送",
        "",
    ],
)
def test_amounts_dates_and_other_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_masking_masked_text_changes_nothing() -> None:
    text = "ID 110101199003071234 phone 13812341234 card 6214 1234 1234 5563 / 6217001234567890123"

    once = mask_text(text)

    assert once != text
    assert mask_text(once) == once


@given(st.text(alphabet="0123456789 -+.Xx张三,", max_size=80))
def test_masking_is_idempotent_and_keeps_the_length(text: str) -> None:
    once = mask_text(text)

    assert len(once) == len(text)
    assert mask_text(once) == once


def test_no_generated_number_survives_masking() -> None:
    population = Population(31, 300)

    for borrower in population:
        line = f"sent to {borrower.phone}; id {borrower.id_number}; card {borrower.card}."
        masked = mask_text(line)
        for number in (borrower.phone, borrower.id_number, borrower.card):
            assert number not in masked
        assert masked.count("*") == 4 + 10 + 11


# --- JSON-like data -------------------------------------------------------------------------------


def test_mask_value_walks_nested_data_and_returns_a_copy() -> None:
    payload = {
        "loanOuterNo": "LN201902100001",
        "name": "张伟",
        "certNo": "110105199003071239",
        "phone": "13912345678",
        "amount": 1050.0,
        "count": 7,
        "ok": True,
        "missing": None,
        "cardInfo": {"bankCardNo": "6214123412345563", "cardPhone": 13912345678},
        "receipts": [{"phone_number": "13912345678", "err_code": "DELIVERED"}, ("13912345678", 2)],
        "13912345678": "keyed by phone",
    }

    masked = mask_value(payload, name_keys=NAME_KEYS)

    assert masked == {
        "loanOuterNo": "LN201902100001",
        "name": "张*",
        "certNo": "1101**********1239",
        "phone": "139****5678",
        "amount": 1050.0,
        "count": 7,
        "ok": True,
        "missing": None,
        "cardInfo": {"bankCardNo": "6214********5563", "cardPhone": "139****5678"},
        "receipts": [{"phone_number": "139****5678", "err_code": "DELIVERED"}, ("139****5678", 2)],
        "139****5678": "keyed by phone",
    }
    assert payload["phone"] == "13912345678"
    assert payload["cardInfo"] == {"bankCardNo": "6214123412345563", "cardPhone": 13912345678}


def test_names_are_masked_only_under_the_keys_given() -> None:
    payload = {"Name": "张伟", "name": "xiaomi-minsheng-2019"}

    assert mask_value(payload) == payload
    assert mask_value({"Name": "张伟"}, name_keys=NAME_KEYS) == {"Name": "张*"}


def test_mask_value_of_a_string_is_mask_text() -> None:
    assert mask_value("call 13812341234") == "call 138****1234"
    assert mask_value(12345) == 12345
