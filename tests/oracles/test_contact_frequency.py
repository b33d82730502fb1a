"""O11 contact_frequency on hand-built journals."""

from __future__ import annotations

import pytest

from simulator.errors import ConfigError
from simulator.oracles import Outcome
from tests.oracles.story import BORROWER, LOAN, PHONE, Story, at, check

KEY = "contact_frequency"
REMINDER = "SMS_153055070"


def remind(story: Story, when: tuple[int, ...], n: int, copy: int = 1) -> int:
    params = {"platform": "小米金融", "amount": "1006.00", "dueDate": "2019-05-10", "n": str(n)}
    return story.sms(
        at(*when), out_id=f"rm-{n}", template=REMINDER, params=params, biz=f"{n}^0", copy=copy, source="platform"
    )


def test_three_messages_a_day_hold_and_each_day_of_contact_is_judged() -> None:
    story = Story()
    story.loan()
    for n, hour in enumerate((9, 13, 19)):
        remind(story, (5, 10, hour), n)
    remind(story, (5, 11, 9), 3)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.outcome is Outcome.HELD and verdict.checked == 2


def test_a_fourth_message_on_one_local_day_is_a_violation() -> None:
    story = Story()
    story.loan()
    sent = [remind(story, (5, 10, hour), n) for n, hour in enumerate((9, 12, 15, 18))]
    remind(story, (5, 10, 23, 59), 9)  # a fifth, the same local day
    remind(story, (5, 11, 0, 1), 10)  # the next day

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O11", BORROWER, LOAN)
    assert violation.message.startswith("139****5678 received 5 SMS on 2019-05-10, more than the 3 a day allowed:")
    assert PHONE not in violation.message and violation.chain[:3] == tuple(sent[:3])


def test_copies_of_one_send_the_handset_got_twice_count_once() -> None:
    story = Story()
    story.loan()
    for n in range(3):
        remind(story, (5, 10, 9 + n), n)
    remind(story, (5, 10, 9), 0, copy=2)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held


def test_the_limit_and_the_senders_are_parameters() -> None:
    story = Story()
    story.loan()
    story.sms(at(5, 14, 2), source="bank")
    remind(story, (5, 14, 10), 1)

    strict = check(story.journal, KEY, end=at(7, 1), params={"per_day": 1})
    both = check(story.journal, KEY, end=at(7, 1), params={"per_day": 1, "senders": ["bank", "platform"]})

    assert strict.held
    assert both.violated and "received 2 SMS on 2019-05-14, more than the 1 a day" in both.violations[0].message


@pytest.mark.parametrize("per_day", [0, "3", True])
def test_a_limit_that_is_not_a_positive_whole_number_is_refused(per_day: object) -> None:
    with pytest.raises(ConfigError, match=r"contact_frequency\.per_day must be a whole number of messages"):
        check(Story().journal, KEY, end=at(7, 1), params={"per_day": per_day})
