"""The aggregate views count what a small hand-built journal holds, exactly: SMS per person per day (copies, distinct
texts, the most copies of one text), negative bureau records and corrections per day, repayments collected and
posted per day — on the run's calendar days, personal data masked — and the page shows those numbers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from simulator.clock import Calendar
from simulator.journal import Journal
from simulator.partners.bank import BankConfig
from simulator.report import RunView, render_html
from simulator.report._aggregates import aggregate

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2019, 5, 10, tzinfo=SHANGHAI)
STRANGER = "13812345678"  # a number no borrower holds


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return START + timedelta(days=day, hours=hour, minutes=minute)


def delivered(journal: Journal, when: datetime, borrower: str | None, content: str, phone: str = STRANGER) -> None:
    data = {"phone": phone, "content": content, "templateCode": "SMS_1", "params": {}}
    journal.append("event", when, partner="sms", operation="smsDelivered", borrower=borrower, data=data)


def loaded(journal: Journal, when: datetime, kind: str, rpy_status: str | None) -> None:
    segment = None if rpy_status is None else {"Month": "2019-05", "RpyStatus": rpy_status, "AcctStatus": "1"}
    data = {"InfRecType": kind, "segment": segment}
    journal.append("event", when, partner="bureau", operation="recordLoaded", loan="L1", data=data)


def small_journal() -> Journal:
    journal = Journal()
    # B1: the same overdue text seven times on 05-14 (one of them at 23:30 UTC+8, still the 14th there) and another
    # text once; once more on the 15th. B2: one text on the 14th. A stranger's phone: one, masked.
    for minute in range(6):
        delivered(journal, at(4, 2, minute), "B1", "overdue")
    delivered(journal, at(4, 23, 30), "B1", "overdue")
    delivered(journal, at(4, 9), "B1", "we are sorry")
    delivered(journal, at(5, 9), "B1", "overdue")
    delivered(journal, at(4, 3), "B2", "overdue")
    delivered(journal, at(4, 4), None, "overdue", phone=STRANGER)
    # bureau: two negative records on 06-01 (a 210 and a 212 still negative), a 212 that clears and a 213 deletion
    # on 06-03, a record that is neither (210, N) which counts as nothing.
    loaded(journal, at(22, 12), "210", "1")
    loaded(journal, at(22, 12), "212", "2")
    loaded(journal, at(22, 12), "210", "N")
    loaded(journal, at(24, 12), "212", "N")
    loaded(journal, at(24, 12), "213", None)
    # repayments: two collected on 05-10 (20:00), posted on 05-15 (one of them), one collected and posted on 05-16
    for borrower, amount in (("B1", "100.10"), ("B2", "250.00")):
        journal.append(
            "event", at(0, 20), partner="platform", operation="borrowerRepaid", borrower=borrower,
            data={"amount": amount},
        )  # fmt: skip
    journal.append("event", at(5, 9), partner="bank", operation="repayPosted", data={"repayAmount": "100.10"})
    journal.append("event", at(6, 20), partner="platform", operation="borrowerRepaid", data={"amount": "9.90"})
    journal.append("event", at(6, 20, 1), partner="bank", operation="repayPosted", data={"repayAmount": "9.90"})
    # noise the views must not count: a sendSms request, an SMS accepted, another partner's recordLoaded
    journal.append("request", at(4, 2), partner="sms", operation="sendSms", borrower="B1", data={"content": "x"})
    journal.append("event", at(4, 2), partner="sms", operation="smsAccepted", borrower="B1", data={"content": "x"})
    return journal


def test_sms_are_counted_per_person_and_calendar_day_with_the_copies_of_one_text() -> None:
    found = aggregate(small_journal(), SHANGHAI, date(2019, 5, 10), date(2019, 5, 20))

    by_key = {(d.borrower, d.day.isoformat()): (d.count, d.texts, d.most, d.repeats) for d in found.sms}
    assert by_key == {
        ("B1", "2019-05-14"): (8, 2, 7, 6),
        ("B1", "2019-05-15"): (1, 1, 1, 0),
        ("B2", "2019-05-14"): (1, 1, 1, 0),
        ("138****5678", "2019-05-14"): (1, 1, 1, 0),
    }
    top = found.top_sms(2)
    assert [(d.borrower, d.day.isoformat(), d.count) for d in top] == [
        ("B1", "2019-05-14", 8),
        ("138****5678", "2019-05-14", 1),
    ]
    assert found.sms_histogram() == {1: 3, 8: 1}


def test_bureau_records_count_negative_loads_and_corrections_that_leave_nothing_negative() -> None:
    found = aggregate(small_journal(), SHANGHAI, date(2019, 5, 10), date(2019, 5, 20))

    assert {day.isoformat(): (t.negative, t.corrected) for day, t in found.bureau.items()} == {
        "2019-06-01": (2, 0),
        "2019-06-03": (0, 2),
    }
    assert found.days[0] == date(2019, 5, 10) and found.days[-1] == date(2019, 6, 3)  # widened to the last entry
    assert len(found.days) == 25


def test_repayments_collected_and_posted_are_counted_and_summed_per_day() -> None:
    found = aggregate(small_journal(), SHANGHAI, date(2019, 5, 10), date(2019, 5, 20))

    assert {
        day.isoformat(): (t.collected, t.collected_amount, t.posted, t.posted_amount)
        for day, t in found.repayments.items()
    } == {
        "2019-05-10": (2, Decimal("350.10"), 0, Decimal(0)),
        "2019-05-15": (0, Decimal(0), 1, Decimal("100.10")),
        "2019-05-16": (1, Decimal("9.90"), 1, Decimal("9.90")),
    }


def test_the_page_draws_and_lists_those_numbers_the_repeats_in_red() -> None:
    journal = small_journal()
    view = RunView(
        scenario="small", file="small.yaml", platform="naive", seed=1, borrowers=2, start=START,
        end=START + timedelta(days=10), status="failed", events=1, wall_seconds=0.1, replay="lendsim run small.yaml",
        error=None, expected=[], verdicts=[], journal=journal, calendar=Calendar("Asia/Shanghai"), bank=BankConfig(),
    )  # fmt: skip

    page = render_html([view])

    assert STRANGER not in page and "138****5678" in page
    assert "11 SMS reached 3 people; on 1 person-days a phone got the same text again" in page
    assert "up to 7 copies of one text: B1 on 2019-05-14" in page
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>"
                      r"<td class=\"n\">(\d+)</td></tr>", page)  # fmt: skip
    assert rows[0] == ("B1", "2019-05-14", "8", "2", "7")
    repeat = re.findall(r'<rect class="repeat" [^>]*data-key="B1"><title>([^<]*)</title>', page)
    assert repeat == ["B1 on 2019-05-14: 8 SMS, 2 distinct texts, one of them 7 times"]
    assert "2 negative records loaded by the bureau, 2 corrections" in page
    assert "collected 360.00, posted by the bank 110.00; at most 350.10 collected and not yet posted" in page
    assert page.count('class="negative"') == 1 and page.count('class="corrected"') == 1
    assert page.count('<rect class="collected"') == 2 and page.count('<rect class="posted"') == 2
