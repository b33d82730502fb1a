"""The bank's books: the day-end at the cut-off and the daily reconciliation file (对账文件).

A posting belongs to the business day of its posting time; one after the cut-off belongs to the next day.
The file for day D lists every posting line of D and is available from ``reconciliation_time`` on D+1;
before that the answer is 404 with ``availableAt``. The day-end and the file's generation are journaled
(``dayEnd``, ``reconciliationFileReady``).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from simulator.core import Call, Engine, Fault, FaultAction, Reply, problem
from simulator.domain import iso, money_str, total
from simulator.partners.bank._account import BankState, DayBooks
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._ledger import Posting

__all__ = ["FILE_POINT", "Books"]

#: The reconciliation file operation, where file faults (rows missing or listed twice) apply.
FILE_POINT = "bank.reconciliationFile"


class Books:
    """Day-end, reconciliation files and the ``reconciliationFile`` behaviour."""

    def __init__(self, engine: Engine, config: BankConfig, state: BankState) -> None:
        self.engine = engine
        self.config = config
        self.state = state
        self._served: dict[date, tuple[int, str]] = {}  # per file: (version, fingerprint of its rows)

    def clear(self) -> None:
        self._served.clear()

    def _faulted(self, day: date, records: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """The file as a ``missing_rows`` or ``duplicate_rows`` fault serves it: rows drawn from the seed, the
        same rows on every fetch while the fault lasts."""
        plan = self.engine.faults.plan(FILE_POINT, now, only=(FaultAction.MISSING_ROWS, FaultAction.DUPLICATE_ROWS))
        if not plan.faults:
            return records
        seed = self.engine.seed

        def draw(fault: Fault, index: int, record: dict[str, Any]) -> float:
            return random.Random(f"{seed}:{fault.id}:{day}:{record['repayOuterNo']}:{index}").random()

        return plan.rows(records, draw)

    def _version(self, day: date, records: list[dict[str, Any]]) -> int:
        """1 for the first file served for ``day``; one more each time its rows change (re-delivered)."""
        fingerprint = json.dumps(records, sort_keys=True)
        version, served = self._served.get(day, (0, ""))
        if fingerprint != served:
            version += 1
            self._served[day] = (version, fingerprint)
        return version

    def postings_of(self, day: date) -> list[tuple[str, Posting]]:
        """The postings of business day ``day``, in posting order, with their loan."""
        books = self.state.by_day.get(day)
        if books is None:
            return []
        return list(zip(books.loans, books.postings, strict=True))

    def records(self, day: date) -> list[dict[str, Any]]:
        records = []
        for loan, posting in self.postings_of(day):
            for line in posting.lines:
                parts = line.parts
                records.append(
                    {
                        "repayOuterNo": posting.repay_outer_no,
                        "loanOuterNo": loan,
                        "installmentNo": line.installment,
                        "repayAmount": money_str(parts.total),
                        "paidPrincipal": money_str(parts.principal),
                        "paidInterest": money_str(parts.interest),
                        "paidFee": money_str(parts.fee),
                        "paidPenalty": money_str(parts.penalty),
                        "actualRepayDate": posting.actual_repay_date,
                        "postedAt": iso(posting.posted_at),
                        "repayType": posting.repay_type,
                        "repayMode": posting.repay_mode,
                    }
                )
        return records

    def available_at(self, day: date) -> datetime | None:
        """When the file for ``day`` is generated (``None``: never, the day after does not exist)."""
        if day == date.max:
            return None
        return self.engine.clock.calendar.at(day + timedelta(days=1), self.config.reconciliation_time)

    # -- jobs ---------------------------------------------------------------------------------------

    def day_end(self, day: date) -> None:
        books = self.state.by_day.get(day) or DayBooks()  # its totals kept as it was posted: no walk over the day
        self.engine.event(
            "bank",
            "dayEnd",
            data={
                "businessDate": day.isoformat(),
                "postings": len(books.postings),
                "amount": money_str(books.amount),
                "cutoff": self.engine.clock.now().isoformat(),
            },
        )

    def file_ready(self, day: date) -> None:
        file_date = day - timedelta(days=1)
        books = self.state.by_day.get(file_date) or DayBooks()  # what records(file_date) would list, summed
        self.engine.event(
            "bank",
            "reconciliationFileReady",
            data={
                "fileDate": file_date.isoformat(),
                "recordCount": books.lines,
                "totalAmount": money_str(books.file_amount),
                "generatedAt": self.engine.clock.now().isoformat(),
            },
        )

    # -- behaviour ----------------------------------------------------------------------------------

    def file(self, call: Call) -> Reply:
        day = date.fromisoformat(call.params["date"])
        available = self.available_at(day)
        if available is None or call.now < available:
            when = iso(available) if available else "never"
            reply = problem(
                404,
                "Reconciliation file not available yet",
                f"The file for {day.isoformat()} is generated at {when}; ask again after that."
                if available
                else f"There is no file for {day.isoformat()}: the day after it does not exist.",
                operation="reconciliationFile",
                type="urn:lendsim:problem:not-available-yet",
            )
            if available:
                reply.body["availableAt"] = when
            return reply
        records = self._faulted(day, self.records(day), call.now)
        return Reply(
            200,
            {
                "fileDate": day.isoformat(),
                "generatedAt": iso(available),
                "version": self._version(day, records),
                "recordCount": len(records),
                "totalAmount": money_str(total(Decimal(r["repayAmount"]) for r in records)),
                "records": records,
            },
        )
