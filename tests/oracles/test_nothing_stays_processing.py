"""O13 nothing_stays_processing on hand-built journals."""

from __future__ import annotations

from datetime import datetime

import pytest

from simulator.errors import ConfigError
from tests.oracles.story import LOAN, Story, at, check

KEY = "nothing_stays_processing"


def believes(story: Story, serial: str, state: str, when: datetime | None = None) -> int:
    """The platform's own state of ``serial`` as its ledger reading reports it (``platformRepayStatus``)."""
    return story.event(
        "platform",
        "platformRepayStatus",
        when or at(6, 15),
        loan=LOAN,
        serial=serial,
        data={"repayOuterNo": serial, "repayStatus": state},
    )


def test_repayments_the_platform_learned_the_outcome_of_hold() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9), serial="RP1")
    story.event("bank", "repayFailed", at(5, 11, 9), loan=LOAN, serial="RP2", data={"repayOuterNo": "RP2"})
    believes(story, "RP1", "SUCCESS")
    believes(story, "RP2", "FAIL")

    verdict = check(story.journal, KEY, end=at(6, 15))

    assert verdict.held and verdict.checked == 2


def test_a_repayment_the_bank_posted_days_ago_still_processing_at_the_platform_is_a_violation() -> None:
    story = Story()
    story.loan()
    posted = story.posted(at(5, 10, 9), serial="RP1")
    lost = story.notify(at(5, 10, 9, 0, 2), "RP1", "SUCCESS", status=None, error="dropped")
    held = believes(story, "RP1", "PROCESSING")

    verdict = check(story.journal, KEY, end=at(6, 15))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.loan, violation.borrower) == ("O13", LOAN, "B000123")
    assert "repayment RP1: the bank decided it SUCCESS at 2019-05-10 09:00" in violation.message
    assert "still showed it PROCESSING" in violation.message
    assert "35.6 days later (allowed: 24 hours)" in violation.message
    assert violation.chain == (posted, lost, held)


def test_a_repayment_decided_less_than_longer_than_before_the_reading_is_not_judged_yet() -> None:
    story = Story()
    story.loan()
    story.posted(at(6, 14, 20), serial="RP1")
    believes(story, "RP1", "PROCESSING")

    verdict = check(story.journal, KEY, end=at(6, 15))
    longer = check(story.journal, KEY, end=at(6, 15), params={"longer_than": "2 hours"})

    assert verdict.checked == 0 and not verdict.exercised  # nothing judged is never a pass
    assert longer.violated


def test_a_repayment_the_bank_never_received_is_not_judged() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9), serial="RP1")
    believes(story, "RP1", "SUCCESS")
    believes(story, "RP9", "PROCESSING")  # never reached the bank: no one can tell the platform

    verdict = check(story.journal, KEY, end=at(6, 15))

    assert verdict.held and verdict.checked == 1


def test_only_the_last_reading_of_the_platforms_states_counts() -> None:
    story = Story()
    story.loan()
    story.posted(at(5, 10, 9), serial="RP1")
    believes(story, "RP1", "PROCESSING", at(5, 20))
    believes(story, "RP1", "SUCCESS", at(6, 15))

    verdict = check(story.journal, KEY, end=at(6, 15))

    assert verdict.held and verdict.checked == 1


def test_longer_than_must_be_a_duration() -> None:
    with pytest.raises(ConfigError, match="longer_than"):
        check(Story().journal, KEY, end=at(6, 15), params={"longer_than": "soon"})
