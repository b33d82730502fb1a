"""O13 ``nothing_stays_processing``: a repayment the bank has decided does not stay PROCESSING at the platform.

A borrower who paid sees the platform's state of the payment in its app. When the bank's callback is late or lost
(failure mode 7), a platform that waits for it shows "processing" for days, or for good; one that asks
(``repayResultQuery``) learns the outcome within hours. The platform's own state is what the run's ledger reading
reports (``platformRepayStatus`` events: ``serial`` or ``data.repayOuterNo``, ``data.repayStatus``); the bank's
decision is its first ``repayPosted`` (SUCCESS), ``repayFailed`` or ``repayRejected`` (FAIL) for that
``repayOuterNo``. A repayment the platform still reports PROCESSING when the ledger is read, ``longer_than``
(default 24 hours) after the bank decided it, is a violation. Judged: each repayment the platform reports that the
bank had decided at least ``longer_than`` before the reading. A repayment the bank never received is not judged here
(no one can tell the platform its outcome: O1 and O4 see what becomes of its money).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_text, bounded, stamp
from simulator.oracles._facts import Facts

__all__ = ["NothingStaysProcessing"]

#: How long after the bank's decision the platform may still show a repayment as PROCESSING.
LONGER_THAN: Final = timedelta(hours=24)
_DECISIONS: Final = {"repayPosted": "SUCCESS", "repayFailed": "FAIL", "repayRejected": "FAIL"}
_PROCESSING: Final = "PROCESSING"


class NothingStaysProcessing(Oracle):
    invariant = "O13"
    key = "nothing_stays_processing"
    judges = "repayments the bank decided"
    params: ClassVar[Mapping[str, Any]] = {"longer_than": LONGER_THAN}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.longer_than: timedelta = params["longer_than"]
        self.decided: dict[str, tuple[int, datetime, str, str | None]] = {}  # serial -> (seq, at, outcome, loan)
        self.notified: dict[str, list[int]] = {}  # serial -> the bank's callbacks about it
        self.reported: dict[str, tuple[int, datetime, str, str | None]] = {}  # serial -> the platform's last word
        self.read_at: datetime | None = None

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        for operation in _DECISIONS:
            yield ("event", "bank", operation), self._decided
        yield ("delivery", "bank", "repayResultNotify"), self._notified
        yield ("event", "platform", "platformRepayStatus"), self._reported

    def _decided(self, entry: Entry) -> None:
        serial = entry.serial or as_text(entry.data.get("repayOuterNo"))
        if serial is not None and serial not in self.decided:
            outcome = _DECISIONS[entry.operation or ""]
            self.decided[serial] = (entry.seq, entry.virtual_time, outcome, entry.loan)

    def _notified(self, entry: Entry) -> None:
        if entry.serial is not None:
            self.notified.setdefault(entry.serial, []).append(entry.seq)

    def _reported(self, entry: Entry) -> None:
        serial = entry.serial or as_text(entry.data.get("repayOuterNo"))
        state = as_text(entry.data.get("repayStatus"))
        if serial is None or state is None:
            return
        if self.read_at != entry.virtual_time:
            self.read_at = entry.virtual_time
            self.reported.clear()  # read again later: only the last reading counts
        self.reported[serial] = (entry.seq, entry.virtual_time, state, entry.loan)

    def judge(self) -> None:
        calendar = self.context.calendar
        for serial, (seq, read, state, loan) in sorted(self.reported.items(), key=lambda item: item[1][0]):
            decision = self.decided.get(serial)
            if decision is None or read - decision[1] < self.longer_than:
                continue  # never reached the bank, or decided too lately to expect the platform to know yet
            self.checked += 1
            if state != _PROCESSING:
                continue
            decided_seq, decided_at, outcome, bank_loan = decision
            loan = loan or bank_loan
            self.violate(
                self.facts.borrower_of(loan),
                loan,
                f"repayment {serial}: the bank decided it {outcome} at {stamp(calendar, decided_at)}, but the "
                f"platform still showed it PROCESSING when its ledger was read at {stamp(calendar, read)}, "
                f"{_age(read - decided_at)} later (allowed: {_age(self.longer_than)}); ask the bank "
                "(repayResultQuery) when its callback does not come",
                (decided_seq, *bounded(self.notified.get(serial, []), 2), seq),
            )


def _age(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    return f"{hours:.0f} hours" if hours == int(hours) else f"{hours:.1f} hours"
