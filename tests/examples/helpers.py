"""Drive a reference platform against a real ``Simulator`` in-process: the bank, bureau and SMS gateway answer the
platform's httpx clients through respx; the bank's callbacks, notices and SMS receipts are delivered to the
platform's receiver methods; virtual time moves in steps, each followed by the platform's tick.

The loan is the contract's example (3000.00 over 3 months, due on the 10th of March, April and May 2019), the
borrower the one of the incident walk (``tests/test_incident_2019.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lendsim_examples import Platform, snake
from simulator import Simulator
from simulator.core import DeliveryResult
from simulator.journal import Entry
from simulator.openapi import Operation
from simulator.partners.bank import BankConfig
from simulator.population import PhoneBook
from simulator.testing import base_url, mock_router
from tests.partners.bank.helpers import LOAN_NO, at, loan_body

__all__ = ["CARD", "ID_NUMBER", "LOAN_NO", "PHONE", "Run", "at", "incident", "run_platform"]

PHONE = "13912345678"
ID_NUMBER = "110105199003071239"
CARD = "6222020200112345679"
BORROWER = "B000123"


@dataclass
class Run:
    """A platform wired to a simulator for one test."""

    sim: Simulator
    platform: Platform
    deliveries: list[tuple[str, Any]] = field(default_factory=list)

    def deliver(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        self.deliveries.append((operation.operation_id, body))
        method = getattr(self.platform, snake(operation.operation_id))
        return DeliveryResult(200, body=method(body))

    def advance(self, to: datetime, *, every: timedelta = timedelta(minutes=30)) -> None:
        """Move time to ``to`` in steps of ``every``, ticking the platform after each step."""
        now = self.sim.clock.now()
        while now < to:
            now = min(now + every, to)
            self.sim.advance(to=now)
            self.platform.tick({"now": now.isoformat()})

    def repay(self, installment: int, amount: str, paid_at: datetime, repay_type: str = "NORMAL_REPAY") -> str:
        """The borrower pays in the app at ``paid_at`` (time is moved there first)."""
        self.advance(paid_at)
        answer = self.platform.borrower_repay(
            {
                "borrowerId": BORROWER,
                "loanOuterNo": LOAN_NO,
                "amount": amount,
                "installmentNo": installment,
                "repayType": repay_type,
                "paidAt": paid_at.isoformat(),
            }
        )
        return str(answer["platformRepayNo"])

    # -- what the partners say -------------------------------------------------------------------------------

    def schedule(self) -> list[dict[str, Any]]:
        loan: dict[str, Any] = self.sim.call("harness", "bank", "getLoan", params={"loanOuterNo": LOAN_NO}).json()
        return list(loan["schedule"])

    def _account(self) -> dict[str, Any]:
        report = self.sim.call(
            "harness", "bureau", "subjectReport", {"Name": "张伟", "IDType": "10", "IDNum": ID_NUMBER}
        ).json()
        (account,) = report["accounts"]
        return dict(account)

    def bureau_month(self, month: str) -> dict[str, Any]:
        """The month as the bureau holds it now."""
        (found,) = [item for item in self._account()["months"] if item["Month"] == month]
        return dict(found)

    def bureau_history(self, month: str) -> list[dict[str, Any]]:
        """Every record the bureau loaded for the month, oldest first."""
        return [entry for entry in self._account()["history"] if entry["Month"] == month]

    def platform_requests(self, partner: str, operation: str) -> list[Any]:
        """The bodies (or, for bodiless requests, the paths) the platform sent to ``partner``'s ``operation``."""
        return [
            entry.data.get("body", entry.data.get("path"))
            for entry in self.sim.journal.iter(kind="request", partner=partner, operation=operation)
            if "x-lendsim-source" not in entry.data.get("headers", {})
        ]

    def events(self, name: str, **filters: Any) -> list[Entry]:
        return list(self.sim.journal.iter(kind="event", operation=name, **filters))

    def bank_paid(self) -> list[tuple[str, str, str, str]]:
        """Per installment: principal, interest, fee and penalty the bank has posted as paid."""
        return [
            (
                row["paidPrincipal"],
                row["paidInterest"],
                row["paidCharge"],
                f"{float(row['paidFundPenalty']) + float(row['paidPlatformPenalty']):.2f}",
            )
            for row in self.schedule()
        ]

    def platform_paid(self) -> list[tuple[str, str, str, str]]:
        (loan,) = self.platform.platform_ledger()["loans"]
        return [
            (row["paidPrincipal"], row["paidInterest"], row["paidFee"], row["paidPenalty"])
            for row in loan["installments"]
        ]


@contextmanager
def run_platform(
    platform: Platform,
    *,
    start: datetime | None = None,
    disbursed: str = "2019-02-10",
    bank: BankConfig | None = None,
    seed: int = 20190514,
    faults: Sequence[Mapping[str, Any]] = (),
) -> Iterator[Run]:
    """A simulator with the example loan registered (disbursed on ``disbursed``), ``platform`` set up for it (with
    ``faults`` in place from then on), deliveries wired to it and its httpx clients routed to the simulator."""
    sim = Simulator(seed=seed, start=start or at(2, 10), strict=True, bank=bank)
    assert sim.sms is not None
    sim.sms.directory = PhoneBook({PHONE: [(BORROWER, at(1, 1).date(), None)]}).owner_at
    run = Run(sim, platform)
    sim.deliverer = run.deliver
    try:
        with mock_router(sim):
            sim.call("harness", "bank", "registerLoan", loan_body(disburseDate=disbursed))
            for fault in faults:
                sim.add_fault(dict(fault))
            platform.setup_run(
                {
                    "runId": f"examples-{seed}",
                    "start": sim.clock.now().isoformat(),
                    "timezone": "Asia/Shanghai",
                    "partners": {name: base_url(name) for name in ("bank", "bureau", "sms")},
                    "borrowers": [
                        {
                            "borrowerId": BORROWER,
                            "name": "张伟",
                            "certNo": ID_NUMBER,
                            "phone": PHONE,
                            "bankCardNo": CARD,
                        }
                    ],
                    "loans": [
                        {
                            "loanOuterNo": LOAN_NO,
                            "borrowerId": BORROWER,
                            "principal": "3000.00",
                            "term": 3,
                            "dueDay": 10,
                            "disburseDate": disbursed,
                            "annualRate": "0.0720",
                        }
                    ],
                }
            )
            yield run
    finally:
        platform.reset_run(None)
        sim.journal.close()


def incident(run: Run, *, sms_fault: Mapping[str, Any] | None = None) -> str:
    """The 2019 timeline: installments 1 and 2 paid on time; installment 3 paid in the app on its due date at
    20:15 while the link to the bank is down (10 May 20:00 – 14 May 18:00), across the overdue batch of 14 May;
    time then runs to 2 June (May's settlement is reported on the 1st). Returns the platform's number for the third
    payment."""
    run.repay(1, "1018.00", at(3, 10, 9))
    run.repay(2, "1012.00", at(4, 10, 9))
    run.advance(at(4, 11), every=timedelta(hours=6))
    run.advance(at(5, 10, 20), every=timedelta(days=1))
    run.sim.add_fault(
        {"at": "bank.repayApply", "outage": {"status": 503}, "from": at(5, 10, 20), "until": at(5, 14, 18)}
    )
    if sms_fault is not None:
        run.sim.add_fault(dict(sms_fault))
    third = run.repay(3, "1006.00", at(5, 10, 20, 15))
    run.advance(at(6, 2))
    return third
