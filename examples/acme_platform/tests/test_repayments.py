"""Forwarding repayments to the bank: the happy path, an outage, a lost answer, duplicate callbacks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from acme_platform import AcmePlatform, Loan
from simulator.testing import Lendsim

pytestmark = pytest.mark.lendsim(freeze_time=True)  # Acme's code reads datetime.now(): put it on the virtual clock

FIRST = Decimal("1018.00")  # installment 1: 1000.00 principal + 18.00 interest


def test_a_repayment_reaches_the_bank_and_the_callback_confirms_it(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    lendsim.advance(days=9, hours=10)  # 10 May, 10:00: the borrower pays on the due date

    payment = acme.repayments.collect(loan.loan_no, 1, FIRST)
    lendsim.advance(minutes=5)

    assert payment.history == ["PENDING", "SENT", "SUCCESS"]
    assert payment.paid_at == lendsim.now - timedelta(minutes=5)  # datetime.now() in Acme's code is virtual
    assert lendsim.requests("bank", "repayApply")[0]["actualRepayDate"] == "2019-05-10T10:00:00+08:00"
    lendsim.borrower_repaid(loan.loan_no, FIRST, installment=1, paid_at=payment.paid_at)
    lendsim.advance(days=30)
    lendsim.check()


def test_a_six_hour_outage_is_forwarded_with_the_same_key_once_the_bank_is_back(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    lendsim.fault("bank.repayApply", outage={"status": 503}, for_=timedelta(hours=6))

    payment = acme.repayments.collect(loan.loan_no, 1, FIRST)
    lendsim.advance(hours=5, minutes=59)
    assert payment.state == "PENDING"
    lendsim.advance(minutes=45)

    assert payment.state == "SUCCESS"
    sent = lendsim.requests("bank", "repayApply")
    assert len(sent) > 5  # retried all along, backing off
    assert {body["repayOuterNo"] for body in sent} == {payment.key}
    assert {body["actualRepayDate"] for body in sent} == {payment.paid_at.isoformat()}  # when the borrower paid


def test_a_timeout_after_the_bank_committed_is_looked_up_not_posted_twice(
    lendsim: Lendsim, acme: AcmePlatform, loan: Loan
) -> None:
    lendsim.fault("bank.repayApply", timeout_after_commit={}, for_=timedelta(minutes=1))
    lendsim.fault("bank.repayResultNotify", drop={})  # and the callback is lost too

    payment = acme.repayments.collect(loan.loan_no, 1, FIRST)
    assert payment.state == "UNKNOWN"
    lendsim.advance(minutes=20)

    assert payment.history == ["PENDING", "UNKNOWN", "SUCCESS"]
    assert len(lendsim.requests("bank", "repayApply")) == 1  # asked the bank first: it had it
    assert lendsim.requests("bank", "repayResultQuery")
    installment = acme.bank.schedule(loan.loan_no)[0]
    assert (installment["paidPrincipal"], installment["paidInterest"]) == ("1000.00", "18.00")  # posted once


def test_duplicate_and_late_callbacks_change_nothing(lendsim: Lendsim, acme: AcmePlatform, loan: Loan) -> None:
    lendsim.fault("bank.repayResultNotify", duplicate={"times": 3})
    payment = acme.repayments.collect(loan.loan_no, 1, FIRST)
    lendsim.advance(minutes=5)
    late = {
        "respCode": "0001",
        "respMsg": "processing",
        "loanOuterNo": loan.loan_no,
        "repayOuterNo": payment.key,
        "repayAmount": "1018.00",
        "repayStatus": "PROCESSING",
        "notifiedAt": lendsim.now.isoformat(),
    }

    lendsim.sim.deliver("bank.repayResultNotify", late, after=timedelta(minutes=1))  # an old state, arriving late
    lendsim.advance(minutes=5)

    assert lendsim.journal.count(kind="delivery", operation="repayResultNotify", status=200) == 6  # 3 × 2, all taken
    assert payment.history == ["PENDING", "SENT", "SUCCESS"]
