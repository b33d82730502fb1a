"""The 2019 incident walked by hand through all three partners, asserting the journal at each step.

Repayment collected on the due date, link to the bank down, overdue batch, overdue SMS (in a burst of seven),
late posting that closes the account, negative bureau record (the closing record: May overdue at the bank), the
borrower's dispute, correction, convergence — with the real bank, SMS gateway and bureau wired together as
``lendsim serve`` runs them.
"""

from __future__ import annotations

from simulator import Simulator
from simulator.population import PhoneBook
from tests.partners.bank.helpers import LOAN_NO, at, attach_receiver, loan_body, repayment

PHONE = "13912345678"
ID_NUMBER = "110105199003071239"


def may_at_the_bureau(sim: Simulator) -> dict[str, object]:
    report = sim.call(
        "platform", "bureau", "subjectReport", {"Name": "张伟", "IDType": "10", "IDNum": ID_NUMBER}
    ).json()
    (account,) = report["accounts"]
    (may,) = [month for month in account["months"] if month["Month"] == "2019-05"]
    return dict(may)


def test_the_2019_incident_step_by_step() -> None:
    book = PhoneBook({PHONE: [("B000123", at(1, 1).date(), None)]})
    sim = Simulator(seed=20190514, start=at(2, 10), strict=True)
    assert sim.sms is not None
    sim.sms.directory = book.owner_at
    receiver = attach_receiver(sim)
    sim.call("platform", "bank", "registerLoan", loan_body())
    for key, number, principal, interest, collected in (
        ("RP1", 1, "1000.00", "18.00", "2019-03-10T09:00:00+08:00"),
        ("RP2", 2, "1000.00", "12.00", "2019-04-10T09:00:00+08:00"),
    ):
        sim.advance(to=at(int(collected[5:7]), 10, 9))
        sim.call("platform", "bank", "repayApply", repayment(key, number, principal, interest, collected=collected))
    sim.add_fault({"at": "bank.repayApply", "outage": {"status": 503}, "from": at(5, 10, 20), "until": at(5, 14, 18)})
    sim.add_fault({"at": "sms.sendSms", "duplicate": {"times": 7}})

    # 10 May 20:15 — the borrower repays in the app, on the due date; the platform forwards it; the link is down.
    sim.advance(to=at(5, 10, 20, 15))
    third = repayment("RP3", 3, "1000.00", "6.00", collected="2019-05-10T20:15:00+08:00")
    assert sim.call("platform", "bank", "repayApply", third).status == 503
    assert sim.journal.count(kind="event", operation="repayPosted", serial="RP3") == 0

    # 14 May 02:00 — the overdue batch (grace of three days over) finds installment 3 unpaid at the bank.
    sim.advance(to=at(5, 14, 3))
    (overdue,) = sim.journal.iter(kind="event", operation="installmentOverdue", loan=LOAN_NO)
    assert overdue.virtual_time == at(5, 14, 2)

    # ... and sends the overdue notice through the gateway, which (fault) sends it seven times: the borrower's
    # phone gets the same SMS citing the credit regulation seven times.
    delivered = list(sim.journal.iter(kind="event", partner="sms", operation="smsDelivered"))
    assert len(delivered) == 7
    assert {entry.borrower for entry in delivered} == {"B000123"}
    assert "征信业管理条例" in delivered[0].data["content"]
    assert "2019-05-10" in delivered[0].data["content"]

    # 14 May 04:00 — nothing goes to the bureau yet: an overdue is reported with the month's settlement (30) or
    # the account's next event (lending-domain.md §1.3: reporting is event-driven plus monthly).
    sim.advance(to=at(5, 14, 18))
    assert not [e for e in sim.journal.iter(kind="event", operation="furnished", loan=LOAN_NO) if e.data["negative"]]

    # 14 May 18:00 — the link is back. The platform replays the repayment with its key and collection time.
    sim.faults.clear()
    assert sim.call("platform", "bank", "repayApply", third).json()["repayStatus"] == "PROCESSING"
    sim.advance(to=at(5, 14, 19))
    (cleared,) = sim.journal.iter(kind="event", operation="overdueCleared", loan=LOAN_NO)
    assert cleared.data["collectedWithinGrace"] is True
    assert sim.call("platform", "bank", "getLoan", params={"loanOuterNo": LOAN_NO}).json()["status"] == "SETTLED"
    assert receiver.of("repayResultNotify")[-1]["repayStatus"] == "SUCCESS"

    # 15 May 04:00 — the account closed, an event: the bank furnishes May (20) as it stood at the bank, overdue
    # from the 14th — after the notice, as Art. 15 requires; the bureau loads it. The bureau says May was overdue.
    sim.advance(to=at(5, 16, 9))
    notice = sim.journal.last(kind="event", operation="overdueNoticeSent", loan=LOAN_NO)
    furnished = [e for e in sim.journal.iter(kind="event", operation="furnished", loan=LOAN_NO) if e.data["negative"]]
    assert notice is not None and furnished and notice.seq < furnished[0].seq
    assert (furnished[0].virtual_time, furnished[0].data["rptDateCode"]) == (at(5, 15, 4), "20")
    assert may_at_the_bureau(sim)["RpyStatus"] == "1"

    # 16 May 09:00 — the borrower disputes the record at the bureau: the month is flagged at once.
    dispute = sim.call(
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
    ).json()
    assert may_at_the_bureau(sim)["disputed"] is True

    # 16 May 10:00 — the platform asks the bank to correct; the bank checks its ledger and sends a 212.
    sim.advance(to=at(5, 16, 10))
    correction = {
        "correctionNo": "CR1",
        "loanOuterNo": LOAN_NO,
        "installmentNo": 3,
        "month": "2019-05",
        "reason": "REPAID_ON_TIME",
        "evidence": {"repayOuterNo": "RP3", "actualRepayDate": "2019-05-10T20:15:00+08:00"},
    }
    assert sim.call("platform", "bank", "correctionApply", correction).json()["status"] == "ACCEPTED"

    # Within days — the bureau converges: May corrected, the dispute answered in time, no flag left.
    sim.advance(to=at(5, 25))
    may = may_at_the_bureau(sim)
    assert may["RpyStatus"] not in {"1", "2", "3", "4", "5", "6", "7"}
    assert may["disputed"] is False
    answered = sim.call("platform", "bureau", "disputeStatus", params={"disputeId": dispute["disputeId"]}).json()
    assert answered["status"] in {"CORRECTED", "CONFIRMED"} and answered["late"] is False
    assert sim.journal.count(kind="event", operation="correctionCompleted", loan=LOAN_NO) == 1
    loaded_212 = [
        e
        for e in sim.journal.iter(kind="event", partner="bureau", operation="recordLoaded", loan=LOAN_NO)
        if e.data.get("InfRecType") == "212"
    ]
    assert loaded_212, "the correction reached the bureau as a 212 record"
