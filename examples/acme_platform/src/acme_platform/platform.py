"""Acme's integration, wired: the bank client, the loans, the repayment outbox, the reminders and their jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from acme_platform.bank import DEFAULT_BANK_URL, BankClient
from acme_platform.loans import LoanBook
from acme_platform.reminders import Reminders
from acme_platform.repayments import Repayments
from acme_platform.signing import BankSigning, HmacAuth

__all__ = ["AcmePlatform"]


class AcmePlatform:
    def __init__(self, bank_url: str = DEFAULT_BANK_URL, *, signing: BankSigning | None = None) -> None:
        #: The bank's signature scheme, when the bank requires it: requests signed, callbacks checked.
        self.signing = signing
        auth = HmacAuth(signing, urlsplit(bank_url).path) if signing is not None else None
        self.bank = BankClient(bank_url, auth=auth)
        self.loans = LoanBook(self.bank)
        self.repayments = Repayments(self.bank, self.loans)
        self.reminders = Reminders(self.loans, self.repayments)
        self.notices: list[Any] = []  # the bank's notices (overdue, reported to the bureau), for the ops team
        self.receipts: dict[str, bool] = {}  # SMS BizId -> delivered

    def jobs(self) -> list[tuple[timedelta, Callable[[], None]]]:
        """What the scheduler runs, and how often."""
        return [(timedelta(minutes=10), self.repayments.run), (timedelta(hours=1), self.reminders.run)]

    def sms_receipts(self, batch: list[dict[str, Any]]) -> None:
        """The gateway's delivery receipts: pushed again until acknowledged, so the same one may come twice."""
        for receipt in batch:
            self.receipts.setdefault(str(receipt["biz_id"]), bool(receipt["success"]))
