"""Repayment reminders by SMS, a few days before each due date, between 09:00 and 21:00.

A reminder is sent at most once: its OutId is recorded *before* the send, and a send that times out is not tried
again — the gateway may well have sent it, and a borrower who gets the same text seven times calls the bank."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx

from acme_platform import sms
from acme_platform._clock import now
from acme_platform.loans import LoanBook
from acme_platform.repayments import Repayments

__all__ = ["Reminders"]

log = logging.getLogger("acme.reminders")


class Reminders:
    def __init__(self, loans: LoanBook, repayments: Repayments, *, days_before: int = 3) -> None:
        self.loans = loans
        self.repayments = repayments
        self.days_before = timedelta(days=days_before)
        self.sent: dict[str, str | None] = {}  # OutId -> BizId (None: the send failed or its answer was lost)

    def run(self) -> None:
        moment = now()
        if not 9 <= moment.hour < 21:
            return
        today = moment.date()
        for loan in self.loans.values():
            for due in loan.installments.values():
                out_id = f"acme-{loan.loan_no}-{due.number}-remind"
                if out_id in self.sent or not today <= due.due_date <= today + self.days_before:
                    continue
                if self.repayments.paid(loan.loan_no, due.number) >= due.amount:
                    continue
                self.sent[out_id] = None
                params = {"platform": "Acme", "amount": f"{due.amount:.2f}", "dueDate": due.due_date.isoformat()}
                try:
                    self.sent[out_id] = sms.send_sms(loan.phone, sms.REMINDER_TEMPLATE, params, out_id)
                except (httpx.HTTPError, sms.SmsRefused) as exc:
                    log.warning("reminder %s not confirmed (%s); not sent again", out_id, type(exc).__name__)
