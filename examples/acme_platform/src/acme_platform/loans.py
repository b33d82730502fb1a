"""The loans Acme services: each one's borrower, phone and repayment plan, as the bank scheduled it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from acme_platform.bank import BankClient

__all__ = ["Installment", "Loan", "LoanBook"]


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


@dataclass(slots=True)
class Loan:
    loan_no: str
    borrower_id: str
    phone: str
    installments: dict[int, Installment] = field(default_factory=dict)


def _plan(rows: list[dict[str, Any]]) -> dict[int, Installment]:
    return {
        int(row["installmentNo"]): Installment(
            int(row["installmentNo"]),
            date.fromisoformat(row["dueDate"]),
            Decimal(row["duePrincipal"]),
            Decimal(row["dueInterest"]) + Decimal(row.get("dueCharge", "0")),
        )
        for row in rows
    }


class LoanBook(dict[str, Loan]):
    """Loans by number."""

    def __init__(self, bank: BankClient) -> None:
        super().__init__()
        self.bank = bank

    def originate(self, registration: dict[str, Any]) -> Loan:
        """Register (disburse) a loan at the bank and keep the plan it answers with."""
        answer = self.bank.register_loan(registration)
        loan = Loan(registration["loanOuterNo"], registration["borrowerId"], registration["phone"])
        loan.installments = _plan(answer["schedule"])
        self[loan.loan_no] = loan
        return loan

    def adopt(self, loan_no: str, borrower_id: str, phone: str) -> Loan:
        """Take on a loan the bank already has (a migration): read its plan from the bank."""
        loan = Loan(loan_no, borrower_id, phone, _plan(self.bank.schedule(loan_no)))
        self[loan_no] = loan
        return loan
