"""O10 contact_hours on hand-built journals."""

from __future__ import annotations

import pytest

from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, PHONE, Story, at, check

KEY = "contact_hours"
RESTORE = "SMS_153055080"
OURS = {"template": RESTORE, "params": {"bank": "民生银行"}, "source": "platform"}


def test_the_platforms_sms_within_the_day_hold() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 8), out_id="rst-1", biz="1^0", **OURS)
    story.sms(at(5, 15, 20, 59), out_id="rst-2", biz="2^0", **OURS)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 2


def test_an_sms_sent_at_night_is_a_violation_naming_the_borrower_and_the_hour() -> None:
    story = Story()
    story.loan()
    late = story.sms(at(5, 14, 23), out_id="rst-1", biz="1^0", **OURS)
    early = story.sms(at(5, 15, 7, 59), out_id="rst-2", biz="2^0", **OURS)

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O10", BORROWER, LOAN)
    assert violation.message == (
        "2 SMS to 139****5678 were sent outside the permitted contact hours 08:00–21:00 local time: "
        f"{RESTORE} at 2019-05-14 23:00, {RESTORE} at 2019-05-15 07:59"
    )
    assert PHONE not in violation.message and violation.chain == (late, early)


def test_the_banks_notices_at_its_night_batch_are_judged_only_when_asked() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 7), source="bank")

    platform = check(story.journal, KEY, end=at(7, 1))
    bank = check(story.journal, KEY, end=at(7, 1), params={"senders": ["bank"]})

    assert platform.outcome is Outcome.NOT_EXERCISED
    assert bank.violated and "SMS_153055065 at 2019-05-14 02:00" in bank.violations[0].message


def test_the_hour_is_when_the_sender_sent_it_not_when_the_handset_got_it() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 21, 30), sent=at(5, 14, 20, 59, 58), out_id="rst-1", **OURS)  # held up at the operator

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held


def test_a_one_time_code_the_borrower_asked_for_is_not_contact() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 23, 30), out_id=None, template="SMS_153055090", params={"code": "1234"}, source="platform")

    default = check(story.journal, KEY, end=at(7, 1))
    counted = check(story.journal, KEY, end=at(7, 1), params={"exempt": []})

    assert default.outcome is Outcome.NOT_EXERCISED
    assert counted.violated


def test_the_permitted_hours_are_a_parameter_in_local_time() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 20, 30), out_id="rst-1", **OURS)

    verdict = check(story.journal, KEY, end=at(7, 1), params={"from": "09:00", "until": "20:00"})

    assert "outside the permitted contact hours 09:00–20:00" in verdict.violations[0].message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "8am"}, r"contact_hours\.from must be a local time of day such as '08:00'"),
        ({"from": "21:00", "until": "08:00"}, r"until 08:00 is not after from 21:00"),
        ({"senders": ["gateway"]}, r"contact_hours\.senders: \['gateway'\] is not a list of bank and platform"),
        ({"exempt": 5}, r"contact_hours\.exempt: 5 is not a list of template codes"),
    ],
)
def test_bad_parameters_are_refused_naming_the_fix(params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check(Story().journal, KEY, end=at(7, 1), params=params)
