"""O7 pii_minimized on hand-built journals."""

from __future__ import annotations

from simulator.oracles._pii import find_cards, find_ids, valid_card, valid_id
from tests.oracles.story import CARD, CONTENT, ID_NUMBER, NAME, PHONE, Story, at, check

KEY = "pii_minimized"


def receipt(story: Story) -> int:
    """An SMS receipt pushed to the platform: a full phone number and an 18-digit BizId, both allowed."""
    return story.journal.append(
        "delivery",
        at(5, 14, 2, 0, 7),
        partner="sms",
        operation="smsReport",
        status=200,
        data={"body": [{"phone_number": PHONE, "biz_id": "237206580413571492^0", "success": True}], "error": None},
    ).seq


def test_ordinary_sms_callbacks_and_logs_hold() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 2, 0, 7))
    receipt(story)
    story.notify(at(5, 14, 18), "RP3", "SUCCESS")
    story.log(at(5, 14, 18), "repayment RP3 of loan LN201902100001: 1006.00 forwarded")
    story.log(at(5, 14, 18), f"borrower {NAME} opened the app")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 5


def test_a_full_id_number_in_an_sms_is_a_violation_reported_masked() -> None:
    story = Story()
    story.loan()
    leaked = story.sms(at(5, 14, 2, 0, 7), content=CONTENT + f"身份证{ID_NUMBER}")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.invariant == "O7" and violation.borrower == "B000123"
    assert "a full resident ID number (1101**********1239)" in violation.message
    assert ID_NUMBER not in violation.message and PHONE not in violation.message
    assert violation.chain == (leaked,)


def test_the_excerpt_of_a_leak_masks_the_borrowers_name_too() -> None:
    story = Story()
    story.loan()
    story.log(at(4, 20), f"borrower B000123: {NAME}, ID {ID_NUMBER}, phone {PHONE}")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.borrower == "B000123"
    assert "«borrower B000123: 张*, ID 1101**********1239, phone 139****5678»" in violation.message
    assert NAME not in violation.message and ID_NUMBER not in violation.message and PHONE not in violation.message


def test_a_card_number_in_a_log_line_is_a_violation_once_however_often_it_recurs() -> None:
    story = Story()
    for _ in range(3):
        story.log(at(5, 14, 18), f"debit card {CARD} for RP3")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "a full card number (6214********5672)" in violation.message and CARD not in violation.message
    assert "(and 2 more times)" in violation.message


def test_a_name_together_with_an_amount_is_a_violation_with_the_name_masked() -> None:
    story = Story()
    story.loan()
    story.log(at(5, 14, 18), f"{NAME} repaid 1006.00 on loan LN201902100001")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.borrower == "B000123"
    assert "a name (张*) together with an amount (1006.00)" in violation.message and NAME not in violation.message


def test_a_callback_body_with_a_name_field_and_an_amount_is_a_violation() -> None:
    story = Story()
    story.journal.append(
        "delivery",
        at(5, 14, 4),
        partner="bank",
        operation="bankNotice",
        status=200,
        data={"body": {"noticeType": "OVERDUE", "name": "李四", "amountDue": "1008.00"}, "error": None},
    )

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "the bankNotice delivery to the platform" in verdict.violations[0].message
    assert "a name (李*) together with an amount (1008.00)" in verdict.violations[0].message


def test_only_valid_ids_and_cards_count() -> None:
    assert valid_id(ID_NUMBER) and not valid_id("110105199003071230") and not valid_id("237206580413571492")
    assert valid_card(CARD) and not valid_card("6214830112345678") and not valid_card("1234567890123452")
    assert find_ids(f"ID {ID_NUMBER}.") == [ID_NUMBER] and find_ids(f"{ID_NUMBER}1") == []
    assert find_cards("card 6214 8301 1234 5672 ok") == ["6214 8301 1234 5672"]
    assert find_cards(f"amount 1{CARD}.00") == []
