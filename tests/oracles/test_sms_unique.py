"""O2 sms_unique on hand-built journals."""

from __future__ import annotations

import pytest

from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import LOAN, OUT_ID, PHONE, Story, at, check

KEY = "sms_unique"


def test_one_overdue_sms_per_installment_holds() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 7))
    story.notice_sent(at(6, 14, 2), no=2, out_id=f"ovd-{LOAN}-2-SMS_153055065")
    story.sms(at(6, 14, 2, 0, 7), out_id=f"ovd-{LOAN}-2-SMS_153055065", params={"dueDate": "2019-04-10"}, biz="2^0")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 2


def test_a_retry_storm_of_seven_sends_is_one_violation_with_the_phone_masked() -> None:
    story = Story()
    story.loan()
    send = story.send(at(5, 14, 2))
    notice = story.notice_sent(at(5, 14, 2))
    copies = [story.sms(at(5, 14, 2, 0, 7), biz=f"{n}^0") for n in range(7)]

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O2", "B000123", LOAN)
    assert "installment 3" in violation.message and "delivered 7 times (7 sends)" in violation.message
    assert "139****5678" in violation.message and PHONE not in violation.message
    assert violation.chain == (send, notice, *copies[:3], *copies[-3:])


def test_copies_of_one_send_count_too() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    for copy in (1, 2, 3):
        story.sms(at(5, 14, 2, 0, 7), copy=copy)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "delivered 3 times (1 send)" in verdict.violations[0].message


def test_the_platforms_own_overdue_sms_for_the_same_installment_is_a_duplicate() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 7))
    story.sms(at(5, 14, 9), out_id=None, recipient="B000123", intended=None, to_intended=None, biz="9^0")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.loan == LOAN and "delivered 2 times" in violation.message


def test_repeated_sms_of_other_templates_are_not_overdue_sms() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    for n in range(3):
        code = f"12{n}4"
        story.sms(
            at(5, 14, 9, n),
            out_id=None,
            template="SMS_153055090",
            params={"code": code},
            content=f"【小米金融】您的验证码为{code}，该验证码5分钟内有效，请勿泄露于他人。",
            biz=f"{n}^0",
        )

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 3


def test_a_platforms_own_sms_repeated_under_one_out_id_is_a_violation() -> None:
    story = Story()
    story.loan()
    out_id = f"nv-{LOAN}-3-SMS_153055080"
    for n in range(7):
        story.sms(at(5, 14, 20, n), out_id=out_id, template="SMS_153055080", params={"bank": "民生银行"}, biz=f"{n}^0")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "SMS SMS_153055080 was delivered 7 times" in violation.message and out_id in violation.message


def test_an_sms_delivered_to_whoever_now_holds_the_number_is_a_violation() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    delivered = story.sms(at(5, 14, 2, 0, 7), recipient="B999999", to_intended=False)

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.borrower == "B000123" and violation.loan == LOAN
    assert "delivered to 139****5678, held by B999999" in violation.message and "non-borrower" in violation.message
    assert PHONE not in violation.message
    assert violation.chain == (delivered,)


def test_senders_platform_leaves_the_banks_notices_out_of_the_verdict() -> None:
    story = Story()
    story.loan()
    story.journal.append(
        "request",
        at(5, 14, 2),
        partner="sms",
        operation="sendSms",
        sms_out_id=OUT_ID,
        data={"body": {"OutId": OUT_ID}, "headers": {"x-lendsim-source": "bank"}},
    )
    story.sms(at(5, 14, 2, 0, 7), recipient="S000123", to_intended=False)  # the bank's notice, to a stranger
    ours = "pf-restore-1"
    story.send(at(5, 14, 9), out_id=ours)  # the platform's own (no source header)
    story.sms(
        at(5, 14, 9, 0, 7), out_id=ours, recipient="S000123", to_intended=False, template="SMS_153055080", biz="7^0"
    )

    everyone = check(story.journal, KEY, end=at(7, 1))
    platform_only = check(story.journal, KEY, end=at(7, 1), params={"senders": ["platform"]})

    assert len(everyone.violations) == 2
    (violation,) = platform_only.violations
    assert "SMS_153055080" in violation.message and "non-borrower" in violation.message


def test_senders_must_name_the_bank_or_the_platform() -> None:
    with pytest.raises(ConfigError, match=r"sms_unique\.senders: \['partner'\] is not a list of bank and platform"):
        check(Story().journal, KEY, end=at(7, 1), params={"senders": ["partner"]})


def told_overdue(story: Story, status: int = 200) -> None:
    """The bank's OVERDUE notice of installment 3, delivered to the platform (answered ``status``)."""
    story.journal.append(
        "delivery",
        at(5, 14, 2),
        partner="bank",
        operation="bankNotice",
        loan=LOAN,
        status=status,
        data={"body": {"noticeType": "OVERDUE", "loanOuterNo": LOAN, "installmentNo": 3}},
    )


def test_an_overdue_installment_the_platform_was_told_of_is_judged_even_if_it_rightly_sends_nothing() -> None:
    story = Story()
    story.loan()
    told_overdue(story)
    told_overdue(story)  # a duplicate delivery: still one installment

    platform = check(story.journal, KEY, end=at(7, 1), params={"senders": ["platform"]})
    bank = check(story.journal, KEY, end=at(7, 1), params={"senders": ["bank"]})

    assert platform.outcome is Outcome.HELD and platform.checked == 1
    assert bank.outcome is Outcome.NOT_EXERCISED  # the bank sent nothing, and the platform is not judged


def test_a_notice_the_platform_did_not_acknowledge_is_no_occasion_judged() -> None:
    story = Story()
    story.loan()
    told_overdue(story, status=500)

    verdict = check(story.journal, KEY, end=at(7, 1), params={"senders": ["platform"]})

    assert verdict.outcome is Outcome.NOT_EXERCISED


RESTORE = "SMS_153055080"


def test_the_same_text_sent_again_under_fresh_out_ids_is_one_violation_however_the_ids_differ() -> None:
    story = Story()
    story.loan()
    sends = [story.send(at(5, 14, 9, n), out_id=f"SM{n}") for n in range(3)]
    copies = [
        story.sms(at(5, 14, 9, n, 7), out_id=f"SM{n}", template=RESTORE, params={"bank": "民生银行"}, biz=f"{n}^0")
        for n in range(3)
    ]

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert violation.borrower == "B000123" and PHONE not in violation.message
    assert f"the same SMS {RESTORE} «【小米金融】SMS_153055080 ban…» reached 139****5678 3 times" in violation.message
    assert "(3 sends under 3 different OutIds (SM0, SM1, SM2))" in violation.message
    assert "each within 24 hours of the one before" in violation.message
    assert violation.chain == tuple(sorted([*sends, *copies]))


def test_the_same_text_a_month_later_is_a_new_message() -> None:
    story = Story()
    story.loan()
    for n, month in enumerate((5, 6)):
        story.sms(at(month, 14, 9), out_id=f"SM{n}", template=RESTORE, params={"bank": "民生银行"}, biz=f"{n}^0")

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 2


def test_a_repeat_an_out_id_already_tells_is_reported_once() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    for copy in (1, 2):
        story.sms(at(5, 14, 2, 0, 7), copy=copy)

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert "delivered 2 times (1 send)" in violation.message


def test_the_repeat_window_is_a_parameter() -> None:
    story = Story()
    story.loan()
    for n, hour in enumerate((9, 15)):
        story.sms(at(5, 14, hour), out_id=f"SM{n}", template=RESTORE, params={"bank": "民生银行"}, biz=f"{n}^0")

    day = check(story.journal, KEY, end=at(7, 1))
    hour = check(story.journal, KEY, end=at(7, 1), params={"repeat_window": "1 hour"})

    assert day.violated and hour.held
    with pytest.raises(ConfigError, match=r"sms_unique\.repeat_window must be a positive duration such as '24 hours'"):
        check(story.journal, KEY, end=at(7, 1), params={"repeat_window": 24})
