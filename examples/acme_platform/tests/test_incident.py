"""The incident test: the May 2019 outage between a platform and its funding bank, replayed against Acme.

The scenario comes from lendsim's catalog: 20 borrowers with loans due on the 10th, the link to the bank down from
the evening of 10 May to 14 May, across the bank's overdue batch. Acme must forward every repayment, get the
credit records of those who paid on time corrected, and never text anyone twice.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from acme_platform import AcmePlatform, Repayments
from simulator.testing import InvariantFailure, Lendsim, Repayment

INCIDENT = pytest.mark.lendsim(scenario="xiaomi-minsheng-2019", borrowers=20, freeze_time=True)


def replay(lendsim: Lendsim, acme: AcmePlatform) -> None:
    phones = {borrower["borrowerId"]: borrower["phone"] for borrower in lendsim.borrowers}
    for loan in lendsim.loans:  # the scenario's loans, registered at the bank: Acme takes them on
        acme.loans.adopt(loan["loanOuterNo"], loan["borrowerId"], phones[loan["borrowerId"]])

    def pays(repayment: Repayment) -> None:  # a borrower pays in Acme's app
        body = repayment.body
        acme.repayments.collect(
            body["loanOuterNo"], body["installmentNo"], Decimal(body["amount"]), repay_type=body["repayType"]
        )

    lendsim.on_repay(pays)
    lendsim.run_until_end()


@INCIDENT
def test_the_2019_incident_leaves_no_borrower_who_paid_on_time_delinquent(lendsim: Lendsim, acme: AcmePlatform) -> None:
    replay(lendsim, acme)

    lendsim.check()
    assert acme.repayments.corrections  # the outage did put people in the overdue batch: Acme had them corrected


@INCIDENT
def test_the_incident_test_catches_a_platform_that_never_asks_for_corrections(
    lendsim: Lendsim, acme: AcmePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Repayments, "_after_posting", lambda self, payment: None)

    replay(lendsim, acme)

    with pytest.raises(InvariantFailure, match="O1 no_false_delinquency"):
        lendsim.check()
