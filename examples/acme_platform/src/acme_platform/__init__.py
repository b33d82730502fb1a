"""Acme's lending platform: its integration with the funding bank and the SMS gateway (a lendsim example)."""

from acme_platform.bank import AsyncBankClient, BankClient, BankError, RepayResult
from acme_platform.loans import Installment, Loan, LoanBook
from acme_platform.platform import AcmePlatform
from acme_platform.reconcile import bank_states
from acme_platform.repayments import Correction, Payment, Repayments
from acme_platform.signing import BankSigning, HmacAuth
from acme_platform.web import create_app

__all__ = [
    "AcmePlatform",
    "AsyncBankClient",
    "BankClient",
    "BankError",
    "BankSigning",
    "Correction",
    "HmacAuth",
    "Installment",
    "Loan",
    "LoanBook",
    "Payment",
    "RepayResult",
    "Repayments",
    "bank_states",
    "create_app",
]
