"""Acme's platform wired to lendsim's simulated bank and SMS gateway, in-process: the same code as in production,
with the partners' addresses, the callbacks and the scheduler's jobs pointed at lendsim."""

from __future__ import annotations

from typing import Any

import pytest

from acme_platform import AcmePlatform, BankSigning, Loan, create_app
from simulator.testing import Lendsim

#: A loan of three monthly installments (1000.00 principal each, due on the 10th), for a synthetic borrower.
REGISTRATION: dict[str, Any] = {
    "loanOuterNo": "LN-ACME-0001",
    "borrowerId": "B-ACME-0001",
    "creditContractNo": "CC-ACME-0001",
    "principal": "3000.00",
    "annualRate": "0.0720",
    "term": 3,
    "dueDay": 10,
    "disburseDate": "2019-04-10",
    "repayMethod": "EQUAL_PRINCIPAL",
    "name": "张伟",
    "certType": "ID_CARD",
    "certNo": "110105199003071239",
    "phone": "13912345678",
}


@pytest.fixture
def acme(lendsim: Lendsim, monkeypatch: pytest.MonkeyPatch) -> AcmePlatform:
    monkeypatch.setenv("ACME_SMS_URL", lendsim.base_url("sms"))  # read by the module-level SMS client at each send
    platform = AcmePlatform(bank_url=lendsim.base_url("bank"))
    lendsim.platform(create_app(platform))  # the bank's callbacks and the gateway's receipts reach our receivers
    for interval, job in platform.jobs():
        lendsim.every(interval, job)  # what the scheduler does in production, on the virtual clock
    return platform


@pytest.fixture
def loan(acme: AcmePlatform) -> Loan:
    return acme.loans.originate(REGISTRATION)


@pytest.fixture
def signed_acme(lendsim: Lendsim, monkeypatch: pytest.MonkeyPatch) -> AcmePlatform:
    """Acme against a bank that signs (lendsim's signing on), with the keys the bank's onboarding hands over."""
    keys = lendsim.signing()
    monkeypatch.setenv("ACME_SMS_URL", lendsim.base_url("sms"))
    platform = AcmePlatform(bank_url=lendsim.base_url("bank"), signing=BankSigning.from_setup(keys))
    lendsim.platform(create_app(platform))
    for interval, job in platform.jobs():
        lendsim.every(interval, job)
    return platform


@pytest.fixture
def signed_loan(signed_acme: AcmePlatform) -> Loan:
    return signed_acme.loans.originate(REGISTRATION)
