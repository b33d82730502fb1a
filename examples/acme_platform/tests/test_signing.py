"""The bank signs: Acme signs what it sends (a refused signature would stop every repayment) and acts on no callback
the bank did not sign — a forged "repayment failed" arriving before the real "succeeded" changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from acme_platform import AcmePlatform, BankError, Loan
from simulator.testing import Lendsim

pytestmark = pytest.mark.lendsim(freeze_time=True)

FIRST = Decimal("1018.00")
REGISTRATION_FOR_THE_REFUSAL = {"loanOuterNo": "LN-ACME-0002", "borrowerId": "B-ACME-0002"}


def test_signed_requests_pass_and_forged_or_unsigned_callbacks_are_refused(
    lendsim: Lendsim, signed_acme: AcmePlatform, signed_loan: Loan
) -> None:
    loan = signed_loan
    lendsim.fault("bank.repayResultNotify", forged_callback={})
    lendsim.fault("bank.bankNotice", unsigned_callback={})
    lendsim.fault("bank.signing", key_rotation={})  # the bank signs with its next key: Acme knows it
    lendsim.advance(days=9, hours=10)

    payment = signed_acme.repayments.collect(loan.loan_no, 1, FIRST)
    lendsim.advance(minutes=5)

    assert payment.history == ["PENDING", "SENT", "SUCCESS"]
    statuses = [e.status for e in lendsim.journal.iter(kind="response", partner="bank")]
    assert 401 not in statuses
    forged = [e for e in lendsim.journal.iter(kind="delivery", operation="repayResultNotify")]
    assert [(e.data["signature"], e.status) for e in forged] == [("forged", 401), ("b2", 200)]
    lendsim.borrower_repaid(loan.loan_no, FIRST, installment=1, paid_at=payment.paid_at)
    lendsim.advance(days=30)
    lendsim.check({"signed_callbacks_only": {}, "no_false_delinquency": {}})
    assert payment.history == ["PENDING", "SENT", "SUCCESS"]  # the forged FAIL changed nothing


def test_without_its_key_acme_is_refused_by_a_bank_that_signs(lendsim: Lendsim, acme: AcmePlatform) -> None:
    lendsim.signing()

    with pytest.raises(BankError, match="answered 401") as refused:
        acme.loans.originate(dict(REGISTRATION_FOR_THE_REFUSAL))

    assert "signature_missing" in str(refused.value)
