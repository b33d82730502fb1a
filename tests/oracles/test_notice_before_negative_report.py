"""O3 notice_before_negative_report on hand-built journals."""

from __future__ import annotations

from tests.oracles.story import LOAN, Story, at, check, record

KEY = "notice_before_negative_report"


def report_may(story: Story, when_hour: int = 4) -> dict[str, int]:
    seqs: dict[str, int] = {}
    seqs["request"], seqs["answer"] = story.submit(at(5, 14, when_hour), "SUB1", [record("2019-05", "1")])
    seqs["furnished"] = story.furnished(at(5, 14, when_hour), "SUB1")
    seqs["loaded"] = story.loaded(at(5, 14, 12), "SUB1")
    return seqs


def test_a_negative_record_after_the_borrower_got_the_notice_holds() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 7))
    report_may(story)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert verdict.held and verdict.checked == 1


def test_a_negative_record_after_a_failed_notice_is_a_violation_with_its_chain() -> None:
    story = Story()
    story.loan()
    failed = story.notice_failed(at(5, 14, 2))
    seqs = report_may(story)

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert (violation.invariant, violation.borrower, violation.loan) == ("O3", "B000123", LOAN)
    assert "2019-05 of loan" in violation.message and "RpyStatus 1" in violation.message
    assert "for installment 3" in violation.message and "no overdue SMS ever reached the borrower" in violation.message
    assert violation.chain == tuple(sorted([failed, *seqs.values()]))


def test_a_notice_that_arrives_after_the_submission_is_too_late() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    report_may(story, when_hour=1)
    story.sms(at(5, 14, 2, 0, 7))

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "reached the borrower only at 2019-05-14 02:00:07" in verdict.violations[0].message


def test_a_notice_to_a_recycled_number_does_not_count() -> None:
    story = Story()
    story.loan()
    story.notice_sent(at(5, 14, 2))
    story.sms(at(5, 14, 2, 0, 7), recipient="B999999", to_intended=False)
    report_may(story)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "an overdue SMS went to a non-borrower" in verdict.violations[0].message


def test_each_installment_that_makes_the_record_negative_needs_its_own_notice() -> None:
    story = Story()
    story.loan()
    april = f"ovd-{LOAN}-2-SMS_153055065"
    story.notice_sent(at(4, 14, 2), no=2, out_id=april)
    story.sms(at(4, 14, 2, 0, 7), out_id=april, params={"dueDate": "2019-04-10"})
    report_may(story)

    verdict = check(story.journal, KEY, end=at(7, 1))

    assert "for installment 3" in verdict.violations[0].message


def test_records_that_are_not_negative_need_no_notice_and_repeats_are_reported_once() -> None:
    story = Story()
    story.loan()
    story.loaded(at(5, 1, 12), "SUB0", rpy="N")
    report_may(story)
    story.submit(at(5, 15, 4), "SUB2", [record("2019-05", "1")])
    story.furnished(at(5, 15, 4), "SUB2")
    story.loaded(at(5, 15, 12), "SUB2")

    verdict = check(story.journal, KEY, end=at(7, 1))

    (violation,) = verdict.violations
    assert verdict.checked == 2 and "1 later negative record of the month likewise" in violation.message
