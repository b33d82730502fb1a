"""What a platform put in the journal cannot break out of the page: text that closes a script or opens a tag is
escaped in the list, the timeline and a mark's details; personal data in it is masked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.clock import Calendar
from simulator.journal import Journal
from simulator.oracles import InvariantViolation, Verdict
from simulator.partners.bank import BankConfig
from simulator.report import RunView, render_html

HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
PHONE = "13812345678"


def test_hostile_text_in_the_journal_is_escaped_everywhere_and_phones_are_masked() -> None:
    start = datetime(2019, 5, 1, tzinfo=UTC)
    journal = Journal()
    registered = journal.append("event", start, partner="bank", operation="loanRegistered", borrower="B1", loan="L1")
    sent = journal.append(
        "request", start + timedelta(hours=2), partner="sms", operation="sendSms", borrower="B1",
        data={"body": {"phone": PHONE, "content": HOSTILE}},
    )  # fmt: skip
    message = f"the SMS {HOSTILE} went to {PHONE} twice"
    violation = InvariantViolation("O2", "sms_unique", "B1", "L1", message, (registered.seq, sent.seq))
    view = RunView(
        scenario="hostile", file="hostile.yaml", platform="naive", seed=1, borrowers=1, start=start,
        end=start + timedelta(days=3), status="failed", events=2, wall_seconds=0.1, replay="lendsim run hostile.yaml",
        error=None, expected=["sms_unique"], verdicts=[Verdict.of("O2", "sms_unique", 1, [violation])],
        journal=journal, calendar=Calendar("UTC"), bank=BankConfig(),
    )  # fmt: skip

    page = render_html([view])

    assert HOSTILE not in page and "<img" not in page and page.count("</script>") == page.count("<script")
    assert PHONE not in page and "138****5678" in page
    assert 'data-chain="1,2"' in page and 'data-seq="2"' in page
