"""The 2019 incident walked through the real bank, SMS gateway and bureau (as tests/test_incident_2019.py does),
then judged by the oracles: O1 holds once the correction is in, and not before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator import Simulator
from simulator.oracles import evaluate
from simulator.population import PhoneBook
from tests.oracles.story import CALENDAR
from tests.partners.bank.helpers import LOAN_NO, at, attach_receiver, loan_body, repayment

PHONE = "13912345678"
ID_NUMBER = "110105199003071239"
BORROWER = "B000123"


def repaid(sim: Simulator, number: int, amount: str, due: str) -> None:
    """What the runner journals when the borrower pays in the app (now, on the clock)."""
    sim.event(
        "platform",
        "borrowerRepaid",
        borrower=BORROWER,
        loan=LOAN_NO,
        data={"installmentNo": number, "amount": amount, "paidAt": sim.clock.now().isoformat(), "dueDate": due},
    )


@pytest.fixture(scope="module")
def incident() -> Iterator[Simulator]:
    book = PhoneBook({PHONE: [(BORROWER, at(1, 1).date(), None)]})
    sim = Simulator(seed=20190514, start=at(2, 10), strict=True)
    assert sim.sms is not None
    sim.sms.directory = book.owner_at
    attach_receiver(sim)
    sim.call("platform", "bank", "registerLoan", loan_body())
    for key, number, principal, interest, collected in (
        ("RP1", 1, "1000.00", "18.00", "2019-03-10T09:00:00+08:00"),
        ("RP2", 2, "1000.00", "12.00", "2019-04-10T09:00:00+08:00"),
    ):
        sim.advance(to=at(int(collected[5:7]), 10, 9))
        repaid(sim, number, f"{1000 + float(interest):.2f}", collected[:10])
        sim.call("platform", "bank", "repayApply", repayment(key, number, principal, interest, collected=collected))
    sim.add_fault({"at": "bank.repayApply", "outage": {"status": 503}, "from": at(5, 10, 20), "until": at(5, 14, 18)})
    sim.add_fault({"at": "sms.sendSms", "duplicate": {"times": 7}})

    sim.advance(to=at(5, 10, 20, 15))  # the borrower pays on the due date; the link to the bank is down
    repaid(sim, 3, "1006.00", "2019-05-10")
    third = repayment("RP3", 3, "1000.00", "6.00", collected="2019-05-10T20:15:00+08:00")
    assert sim.call("platform", "bank", "repayApply", third).status == 503
    sim.advance(to=at(5, 14, 18))  # overdue batch, seven SMS, the negative report
    sim.faults.clear()
    sim.call("platform", "bank", "repayApply", third)  # replayed with its key and collection time
    sim.advance(to=at(5, 16, 9))
    sim.call(
        "platform",
        "bureau",
        "fileDispute",
        {
            "IDType": "10",
            "IDNum": ID_NUMBER,
            "Name": "张伟",
            "AcctCode": LOAN_NO,
            "Month": "2019-05",
            "reason": "我已按时还款",
            "channel": "BUREAU",
        },
    )
    sim.advance(to=at(5, 16, 10))
    correction = {
        "correctionNo": "CR1",
        "loanOuterNo": LOAN_NO,
        "installmentNo": 3,
        "month": "2019-05",
        "reason": "REPAID_ON_TIME",
        "evidence": {"repayOuterNo": "RP3", "actualRepayDate": "2019-05-10T20:15:00+08:00"},
    }
    sim.call("platform", "bank", "correctionApply", correction)
    sim.advance(to=at(7, 1))  # past the end of the 30-business-day window
    yield sim
    sim.journal.close()


def test_o1_holds_at_the_end_of_the_window_after_the_correction(incident: Simulator) -> None:
    (verdict,) = evaluate(
        incident.journal, {"no_false_delinquency": {"window": "30 business days"}}, calendar=CALENDAR, end=at(7, 1)
    )

    assert verdict.held and verdict.checked == 3


def test_o1_is_violated_when_judged_before_the_correction_reached_the_bureau(incident: Simulator) -> None:
    (verdict,) = evaluate(incident.journal, {"no_false_delinquency": {}}, calendar=CALENDAR, end=at(5, 16, 12))

    (violation,) = verdict.violations
    assert (violation.borrower, violation.loan) == (BORROWER, LOAN_NO)
    assert "installment 3" in violation.message
    assert "the bureau still reports 2019-05 as RpyStatus 1" in violation.message
    assert "dispute" in violation.message and "still flagged" in violation.message
    assert "the bank still shows" not in violation.message  # the replayed repayment cleared it at 18:00 on 14 May


def test_o1_is_violated_when_the_window_closes_before_the_correction(incident: Simulator) -> None:
    (verdict,) = evaluate(
        incident.journal, {"no_false_delinquency": {"window": "1 business day"}}, calendar=CALENDAR, end=at(7, 1)
    )

    assert not verdict.held
    assert "at the end of the 1 business day window counted from 2019-05-14" in verdict.violations[0].message


def test_the_chain_is_the_story_of_the_installment_in_the_real_journal(incident: Simulator) -> None:
    (verdict,) = evaluate(incident.journal, {"no_false_delinquency": {}}, calendar=CALENDAR, end=at(5, 16, 12))

    chain = verdict.violations[0].chain
    entries = {entry.seq: entry for entry in incident.journal.iter() if entry.seq in set(chain)}
    operations = [entries[seq].operation for seq in chain]
    assert list(chain) == sorted(chain) and set(entries) == set(chain)
    assert operations[0] == "borrowerRepaid"
    for step in ("repayApply", "installmentOverdue", "overdueNoticeSent", "smsDelivered", "furnished", "recordLoaded"):
        assert step in operations, step
    assert operations.index("repayApply") < operations.index("installmentOverdue") < operations.index("recordLoaded")
    assert "disputeFiled" in operations


def test_the_whole_incident_is_judged_in_one_pass(incident: Simulator) -> None:
    expect: dict[str, dict[str, object]] = {
        "no_false_delinquency": {},
        "sms_unique": {},
        "notice_before_negative_report": {},
        "bureau_converges": {},
        "terminal_states_absorb": {},
        "pii_minimized": {},
        "dispute_sla": {},
    }

    verdicts = {v.key: v for v in evaluate(incident.journal, expect, calendar=CALENDAR, end=at(7, 1))}

    assert not verdicts["sms_unique"].held  # seven copies of the overdue notice
    assert "delivered 7 times" in verdicts["sms_unique"].violations[0].message
    held = {key for key, verdict in verdicts.items() if verdict.held}
    assert held == set(expect) - {"sms_unique"}
