"""O7 pii_minimized on hand-built journals."""

from __future__ import annotations

from simulator.oracles import Outcome
from simulator.oracles._pii import find_cards, find_ids, valid_card, valid_id
from tests.oracles.story import CARD, CONTENT, ID_NUMBER, LOAN, NAME, PHONE, Story, at, check

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


def send_sms(story: Story, out_id: str, *, phone: str = PHONE, params: str = '{"bank":"民生银行"}') -> int:
    """The platform's own sendSms request (no x-lendsim-source: the platform under test)."""
    body = {
        "PhoneNumbers": phone,
        "SignName": "小米金融",
        "TemplateCode": "SMS_153055080",
        "TemplateParam": params,
        "OutId": out_id,
    }
    return story.request(at(5, 14, 9), "sms", "sendSms", body, path="/sms/send")


def test_the_number_in_the_field_meant_for_it_and_plain_ids_hold() -> None:
    story = Story()
    story.loan()
    send_sms(story, f"rst-{LOAN}-3-SMS_153055080")
    story.request(
        at(5, 14, 9), "sms", "querySendDetails", path="/sms/messages", query=f"PhoneNumber={PHONE}&SendDate=20190514"
    )

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 2


def test_the_borrowers_id_number_inside_an_out_id_is_a_violation_once_per_field_with_how_often() -> None:
    story = Story()
    story.loan()
    first = send_sms(story, f"rst-{ID_NUMBER}-3")
    send_sms(story, f"rst-{ID_NUMBER}-2")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.message == (
        "the platform's sendSms request to the sms at 2019-05-14 09:00 (and 1 more request) carries a full resident "
        "ID number (1101**********1239) in body.OutId: «rst-1101**********1239-3»"
    )
    assert violation.chain == (first,)


def test_a_borrowers_number_outside_a_phone_field_is_a_violation() -> None:
    story = Story()
    story.loan()
    send_sms(story, "rst-1", params=f'{{"bank":"民生银行","contact":"{PHONE}"}}')
    story.request(at(5, 14, 10), "bank", "repayApply", {"repayOuterNo": f"RP{PHONE}"}, path="/bank/repayments")
    story.request(at(5, 14, 11), "bank", "repayResultQuery", path="/bank/repayments/RP3", headers={"user-agent": PHONE})

    verdict = check(story.journal, KEY, end=at(7, 1))

    places = [violation.message.split(" in ")[1].split(":")[0] for violation in verdict.violations]
    assert places == ["body.TemplateParam", "body.repayOuterNo", "header user-agent"]
    assert all("a borrower's mobile number (139****5678)" in v.message for v in verdict.violations)
    assert all(PHONE not in v.message for v in verdict.violations)


def test_card_info_belongs_to_a_card_debit_only() -> None:
    card_info = {"bankCardNo": CARD, "certNo": ID_NUMBER, "cardPhone": PHONE}
    story = Story()
    story.loan()
    story.request(at(5, 14, 9), "bank", "repayApply", {"repayMode": "REPAY_BY_USER", "cardInfo": card_info})
    debit = check(story.journal, KEY, end=at(7, 1))
    story.request(at(5, 14, 9), "bank", "repayApply", {"repayMode": "PARTNER_COLLECT", "cardInfo": card_info})

    collect = check(story.journal, KEY, end=at(7, 1))

    assert debit.held
    assert [v.message.split(" carries ")[1].split(":")[0] for v in collect.violations] == [
        "a full card number (6214********5672) in body.cardInfo.bankCardNo",
        "a full resident ID number (1101**********1239) in body.cardInfo.certNo",
        "a borrower's mobile number (139****5678) in body.cardInfo.cardPhone",
    ]


def test_what_partners_and_the_harness_send_is_not_the_platforms_doing() -> None:
    story = Story()
    story.loan()  # the harness registers the borrower's ID, name and phone at the bank
    story.request(at(5, 14, 2), "sms", "sendSms", {"PhoneNumbers": PHONE, "OutId": ID_NUMBER}, source="bank")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.NOT_EXERCISED


def test_a_name_with_an_amount_in_a_request_and_an_id_in_the_ledger_are_violations() -> None:
    story = Story()
    story.loan()
    story.request(at(5, 14, 9), "bank", "correctionApply", {"reason": f"{NAME} paid 1006.00 on time"})
    story.event("platform", "platformLedger", at(7, 1), data={"loans": [{"loanOuterNo": LOAN, "holder": ID_NUMBER}]})

    verdict = check(story.journal, KEY, end=at(7, 1))

    first, second = verdict.violations
    assert "a name (张*) together with an amount (1006.00) in its body: «张* paid 1006.00 on time»" in first.message
    assert first.message.startswith("the platform's correctionApply request to the bank")
    assert second.message.startswith("the platform's ledger at 2019-07-01 00:00 carries a full resident ID number")


def test_a_borrowers_number_in_a_log_line_is_a_violation() -> None:
    story = Story()
    story.loan()
    story.log(at(5, 14, 9), f"SMS rst-1 sent to {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "carries a borrower's mobile number (139****5678)" in violation.message and PHONE not in violation.message
