"""Forwarding borrowers' repayments to the bank: an outbox that never loses one and never posts one twice.

A repayment collected in the app is written to the outbox with its key (``repayOuterNo``) before anything is sent;
the key never changes, so the bank posts it at most once however often it is sent. A refused connection or a 5xx
is tried again later (backing off); a timeout means the bank may have it: ask (``repayResultQuery``) before
sending again. The bank's result callbacks are idempotent and monotonic: once SUCCESS or FAIL, a repayment stays
so, whatever arrives late or twice. When a repayment collected in time reaches the bank after the installment's
grace period (an outage), the bank has reported it overdue meanwhile: ask it to correct the credit record.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx

from acme_platform._clock import local_date, now
from acme_platform.bank import BankClient, BankError, RepayResult
from acme_platform.loans import LoanBook

__all__ = ["Correction", "Payment", "Repayments"]

log = logging.getLogger("acme.repayments")

PENDING, SENT, UNKNOWN, SUCCESS, FAIL = "PENDING", "SENT", "UNKNOWN", "SUCCESS", "FAIL"
TERMINAL = frozenset({SUCCESS, FAIL})
#: How long to wait for the result callback before asking the bank.
CALLBACK_WAIT = timedelta(minutes=15)


@dataclass(slots=True)
class Payment:
    """One repayment a borrower made in the app: an outbox row."""

    key: str
    loan_no: str
    installment: int
    amount: Decimal
    paid_at: datetime
    repay_type: str
    state: str = PENDING
    history: list[str] = field(default_factory=lambda: [PENDING])
    failures: int = 0
    next_try: datetime | None = None
    posted_at: datetime | None = None


@dataclass(slots=True)
class Correction:
    """A credit-record correction asked of the bank, followed until the bureau has it."""

    number: str
    loan_no: str
    installment: int
    month: str
    evidence: Payment
    status: str = "NEW"  # then the bank's: ACCEPTED, SUBMITTED, COMPLETED, REJECTED
    next_try: datetime | None = None


class Repayments:
    def __init__(self, bank: BankClient, loans: LoanBook, *, grace_days: int = 3) -> None:
        self.bank = bank
        self.loans = loans
        self.grace = timedelta(days=grace_days)
        self.outbox: dict[str, Payment] = {}
        self.corrections: dict[tuple[str, int, str], Correction] = {}
        self._serials = itertools.count(1)

    # -- the app ---------------------------------------------------------------------------------------------

    def collect(self, loan_no: str, installment: int, amount: Decimal, *, repay_type: str = "NORMAL_REPAY") -> Payment:
        """The borrower paid ``amount`` for an installment: record it, then forward it at once if the bank is up."""
        paid_at = now()
        key = f"ACME{paid_at:%Y%m%d}{next(self._serials):06d}"
        payment = Payment(key, loan_no, installment, amount, paid_at, repay_type)
        self.outbox[key] = payment
        self._forward(payment)
        return payment

    def paid(self, loan_no: str, installment: int) -> Decimal:
        return sum(
            (p.amount for p in self.outbox.values() if (p.loan_no, p.installment) == (loan_no, installment)), Decimal(0)
        )

    # -- the outbox job ----------------------------------------------------------------------------------------

    def run(self) -> None:
        """Due work: send what the bank did not take, ask about what it did not answer, follow corrections.
        The first failure to reach the bank ends the round: the rest waits for the next one."""
        moment = now()
        for payment in list(self.outbox.values()):
            if payment.state in TERMINAL or (payment.next_try is not None and payment.next_try > moment):
                continue
            # PENDING: send it; UNKNOWN (no answer) or SENT without a callback yet: ask before anything else
            reached = self._forward(payment) if payment.state == PENDING else self._look_up(payment)
            if not reached:
                return
        for correction in list(self.corrections.values()):
            if correction.status not in ("COMPLETED", "REJECTED") and (
                correction.next_try is None or correction.next_try <= moment
            ):
                self._follow(correction)

    def _request(self, payment: Payment) -> dict[str, object]:
        due = self.loans[payment.loan_no].installments[payment.installment]
        interest = min(payment.amount, due.interest)
        return {
            "reqNo": f"Q{payment.key}{payment.failures:02d}",
            "repayOuterNo": payment.key,
            "loanOuterNo": payment.loan_no,
            "repayAmount": f"{payment.amount:.2f}",
            "repayMode": "PARTNER_COLLECT",
            "repayType": payment.repay_type,
            "actualRepayDate": payment.paid_at.isoformat(),
            "repayList": [
                {
                    "installmentNo": payment.installment,
                    "paidPrincipal": f"{payment.amount - interest:.2f}",
                    "paidInterest": f"{interest:.2f}",
                    "paidFee": "0.00",
                }
            ],
        }

    def _forward(self, payment: Payment) -> bool:
        """Send a repayment; False when the bank could not be reached (or failed)."""
        try:
            result = self.bank.repay_apply(self._request(payment))
        except httpx.TimeoutException:
            self._move(payment, UNKNOWN)  # the bank may have it: ask before sending again
            self._later(payment)
            return False
        except (httpx.TransportError, BankError) as exc:
            if isinstance(exc, BankError) and not exc.retry:
                log.error("repayment %s refused: %s", payment.key, exc)
                self._move(payment, FAIL)
                return True
            self._later(payment)
            return False
        self._result(payment, result)
        return True

    def _look_up(self, payment: Payment) -> bool:
        try:
            result = self.bank.repay_result(payment.key)
        except (httpx.TransportError, BankError):
            self._later(payment)
            return False
        if result is None:  # the bank never got it: send it again, with the same key
            self._move(payment, PENDING)
            return self._forward(payment)
        self._result(payment, result)
        return True

    def _later(self, payment: Payment) -> None:
        payment.failures += 1
        payment.next_try = now() + timedelta(minutes=min(2 ** min(payment.failures, 5), 30))  # 2, 4 … 30 min

    # -- the bank's word -------------------------------------------------------------------------------------

    def on_result(self, body: dict[str, object]) -> None:
        """The bank's repayResultNotify callback: may come late, twice, or out of order."""
        payment = self.outbox.get(str(body["repayOuterNo"]))
        if payment is None:
            log.warning("result for a repayment we never sent: %s", body["repayOuterNo"])
            return
        self._result(payment, RepayResult.from_json(dict(body)))

    def _result(self, payment: Payment, result: RepayResult) -> None:
        if payment.state in TERMINAL:
            return  # terminal states are final: a duplicate or late callback changes nothing
        if result.status == "PROCESSING":
            self._move(payment, SENT)
            payment.next_try = now() + CALLBACK_WAIT
        elif result.status == "SUCCESS":
            payment.posted_at = result.posted_at or now()
            self._move(payment, SUCCESS)
            self._after_posting(payment)
        else:
            log.error("repayment %s failed at the bank (%s)", payment.key, result.code)
            self._move(payment, FAIL)

    def _move(self, payment: Payment, state: str) -> None:
        if payment.state != state:
            payment.state = state
            payment.history.append(state)

    # -- credit-record corrections --------------------------------------------------------------------------------

    def _after_posting(self, payment: Payment) -> None:
        """Collected in time but posted after the grace period: the bank's overdue batch has run on it."""
        due = self.loans[payment.loan_no].installments[payment.installment].due_date
        assert payment.posted_at is not None
        if local_date(payment.paid_at) > due + self.grace or local_date(payment.posted_at) <= due + self.grace:
            return
        for month in _months(due, local_date(payment.posted_at)):
            key = (payment.loan_no, payment.installment, month)
            if key not in self.corrections:
                number = f"CR{payment.key[4:]}{month.replace('-', '')}"
                self.corrections[key] = Correction(number, payment.loan_no, payment.installment, month, payment)

    def _follow(self, correction: Correction) -> None:
        try:
            if correction.status == "NEW":
                answer = self.bank.correction_apply(
                    {
                        "correctionNo": correction.number,
                        "loanOuterNo": correction.loan_no,
                        "installmentNo": correction.installment,
                        "month": correction.month,
                        "reason": "REPAID_ON_TIME",
                        "evidence": {
                            "repayOuterNo": correction.evidence.key,
                            "actualRepayDate": correction.evidence.paid_at.isoformat(),
                        },
                    }
                )
            else:
                answer = self.bank.correction(correction.number)
        except (httpx.TransportError, BankError) as exc:
            if isinstance(exc, BankError) and not exc.retry:
                log.error("correction %s refused: %s", correction.number, exc)
                correction.status = "REJECTED"
            else:
                correction.next_try = now() + timedelta(minutes=30)
            return
        correction.status = str(answer["status"])
        correction.next_try = now() + timedelta(hours=1)  # the bureau loads corrections the next morning
        if correction.status == "REJECTED":
            log.error("correction %s rejected: %s", correction.number, answer.get("note"))


def _months(first: date, last: date) -> list[str]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
