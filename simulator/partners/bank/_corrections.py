"""Corrections of bureau records and answers to disputes (异议): the bank checks its ledger first.

A correction is justified when the installment is now paid in full at the bank *and* every repayment of it
was collected by the platform by the end of its grace period (``actualRepayDate``, checked against the
bank's own record of each posting): the money was on time, it only reached the books late. The bank then
treats the installment as paid when collected (it is *excused*: never reported overdue again) and sends the
bureau a **212** record (按段更正) replacing the month's segment — never a back-dated 210, which the bureau
refuses (``BBR002``). ``correctionApply`` moves ACCEPTED → SUBMITTED → COMPLETED (the bureau loaded it) or
REJECTED with a note; a month the bank never reported as negative needs no record and completes at once.

A dispute reaches the bank through :meth:`Corrections.receive_dispute` (the bureau's wiring); the bank
answers ``dispute_answer`` later (calendar or business days), CORRECTED (with a 212) or CONFIRMED, or
CANNOT_CONFIRM for an account it does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from simulator.core import Call, Engine, Reply, problem
from simulator.domain import money_str, parse_instant
from simulator.openapi import Violation
from simulator.partners.bank._account import BankState, Correction, LoanAccount
from simulator.partners.bank._bureau import Furnisher
from simulator.partners.bank._common import bounded_id, differences, key_conflict, last_day, month_of
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._furnishing import month_end

__all__ = ["CANNOT_CONFIRM", "CONFIRMED", "CORRECTED", "Corrections", "DisputeAnswer"]

CORRECTED: Final = "CORRECTED"
CONFIRMED: Final = "CONFIRMED"
CANNOT_CONFIRM: Final = "CANNOT_CONFIRM"
#: Hears the bank's answer to a dispute: ``(outcome, note)``.
DisputeAnswer = Callable[[str, str], None]
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class Corrections:
    """``correctionApply``/``correctionQuery`` and the dispute hook."""

    def __init__(self, engine: Engine, config: BankConfig, state: BankState, furnisher: Furnisher) -> None:
        self.engine = engine
        self.config = config
        self.state = state
        self.furnisher = furnisher

    # -- behaviours ---------------------------------------------------------------------------------

    def apply(self, call: Call) -> Reply:
        body: dict[str, Any] = call.body
        number = body["correctionNo"]
        known = self.state.corrections.get(number)
        if known is not None:
            account = self.state.accounts[known]
            existing = account.corrections[number]
            errors = (
                differences(existing.body, body)
                if existing.body is not None
                else [Violation("body.correctionNo", "idempotency", f"'{number}' is the bank's own dispute correction")]
            )
            if errors:
                return key_conflict(
                    "correctionNo",
                    number,
                    existing.created_at,
                    errors,
                    "correctionApply",
                    "nothing was changed",
                    "request",
                )
            return self._reply(account, existing)
        found = self.state.accounts.get(body["loanOuterNo"])
        if found is None:
            return problem(
                404,
                "Not Found",
                f"No loan {body['loanOuterNo']} is registered at the bank; there is nothing to correct.",
                operation="correctionApply",
            )
        account = found
        correction = self._open(account, number, int(body["installmentNo"]), body["month"], body)  # 3.0 is 3
        note = self.assess(account, correction.installment, correction.month, body.get("evidence"))
        if note is not None:
            self._reject(account, correction, note)
        else:
            self._accept(account, correction, submit_now=not self.config.processing_delay)
        return self._reply(account, correction)

    def query(self, call: Call) -> Reply:
        number = call.params["correctionNo"]
        loan_no = self.state.corrections.get(number)
        if loan_no is None:
            return problem(
                404,
                "Not Found",
                f"No correction {number} was asked for at the bank; send it with correctionApply.",
                operation="correctionQuery",
            )
        account = self.state.accounts[loan_no]
        return self._reply(account, account.corrections[number], 200)

    def _reply(self, account: LoanAccount, correction: Correction, status: int = 202) -> Reply:
        return Reply(
            status, correction.to_json(), borrower=account.borrower, loan=account.loan_no, serial=correction.number
        )

    # -- the ledger check ---------------------------------------------------------------------------

    def assess(
        self, account: LoanAccount, installment: int, month: str, evidence: dict[str, Any] | None = None
    ) -> str | None:
        """Why the record of ``installment`` in ``month`` must stand (a note), or ``None`` to correct it."""
        now = self.engine.clock.now()
        today = self.engine.clock.calendar.local_date(now)
        if installment > account.term:
            return f"Loan {account.loan_no} has no installment {installment}; it has {account.term}."
        opened, current = month_of(account.disburse_date), month_of(today)
        if not opened <= month <= current:
            return f"Month {month} is outside the loan's life so far ({opened} to {current}); nothing was reported."
        state = account.view(now)[installment]
        if not state.repaid:
            return (
                f"Installment {installment} still owes {money_str(state.owed.total)} at the bank; forward the "
                "repayment (repayApply) first, then ask again."
            )
        deadline = account.deadline(installment)
        lines = account.ledger.lines_of(installment)
        late = [posting for posting, _ in lines if posting.collected_at > deadline]
        if late:
            return (
                f"Installment {installment} was paid with money collected at {late[0].actual_repay_date}, after "
                f"its grace period ended at {deadline.isoformat()}; the overdue record is right."
            )
        if evidence is not None:
            key = evidence["repayOuterNo"]
            posting = next((p for p, _ in lines if p.repay_outer_no == key), None)
            if posting is None:
                return f"evidence.repayOuterNo {key} is not a repayment the bank posted to installment {installment}."
            claimed = parse_instant(evidence["actualRepayDate"])
            if claimed is None or claimed != parse_instant(posting.actual_repay_date):
                return (
                    f"evidence.actualRepayDate {evidence['actualRepayDate']} differs from the bank's record of "
                    f"{key}, {posting.actual_repay_date}."
                )
        return None

    # -- states -------------------------------------------------------------------------------------

    def _open(self, account: LoanAccount, number: str, installment: int, month: str, body: Any) -> Correction:
        now = self.engine.clock.now()
        correction = Correction(number, account.loan_no, installment, month, body, now, now)
        account.corrections[number] = correction
        self.state.corrections[number] = account.loan_no
        return correction

    def _reject(self, account: LoanAccount, correction: Correction, note: str) -> None:
        correction.status, correction.record_type, correction.note = "REJECTED", None, note[:500]
        self._event(account, correction, "correctionRejected", note=note)

    def _accept(self, account: LoanAccount, correction: Correction, *, submit_now: bool) -> None:
        account.excused.add(correction.installment)
        if correction.month not in account.negative_months:
            correction.status, correction.record_type = "COMPLETED", None
            correction.note = (
                f"Nothing negative was reported for {correction.month}; installment {correction.installment} is "
                "recorded as paid on time and will not be reported overdue."
            )
            self._event(account, correction, "correctionCompleted", note=correction.note)
            return
        self._event(account, correction, "correctionAccepted")
        if submit_now:
            self.furnisher.submit_correction(account, correction)
        else:
            self.engine.clock.schedule_in(
                self.config.processing_delay,
                lambda: self._submit_if_accepted(account, correction),
                name=f"bank submit correction {correction.number}",
                borrower=account.borrower,
            )

    def _submit_if_accepted(self, account: LoanAccount, correction: Correction) -> None:
        if correction.status == "ACCEPTED":
            self.furnisher.submit_correction(account, correction)

    def _event(self, account: LoanAccount, correction: Correction, name: str, **extra: Any) -> None:
        self.engine.event(
            "bank",
            name,
            borrower=account.borrower,
            loan=account.loan_no,
            serial=correction.number,
            data={
                "installmentNo": correction.installment,
                "month": correction.month,
                "status": correction.status,
                "bureauRecordType": correction.record_type,
                **extra,
            },
        )

    # -- disputes -----------------------------------------------------------------------------------

    def answer_dispute(self, acct_code: str, month: str) -> tuple[str, str]:
        """The bank's written answer to a dispute of ``acct_code`` in ``month``: ``(outcome, note)``.

        CORRECTED (a 212 record goes to the bureau now) when every installment that made the month negative
        was collected by the end of its grace period; CONFIRMED when the record is right; CANNOT_CONFIRM
        when the bank holds no such account or month.
        """
        loan_no = self.state.acct_codes.get(acct_code)
        if loan_no is None:
            note = f"{acct_code} is not an account of this bank."
            return self._answered(None, acct_code, month, CANNOT_CONFIRM, note)
        account = self.state.accounts[loan_no]
        now = self.engine.clock.now()
        today = self.engine.clock.calendar.local_date(now)
        if not _MONTH.match(month) or not month_of(account.disburse_date) <= month <= month_of(today):
            note = f"{acct_code} has no month {month} at this bank (open since {account.disburse_date.isoformat()})."
            return self._answered(account, acct_code, month, CANNOT_CONFIRM, note)
        seg = self.furnisher.segment(
            account, month, min(now, month_end(month, self.engine.clock.calendar)), min(today, last_day(month))
        )
        if not seg.negative:
            note = f"The bank's ledger shows no delinquency on {acct_code} in {month}; the record stands."
            return self._answered(account, acct_code, month, CONFIRMED, note)
        for no in seg.installments:
            reason = self.assess(account, no, month)
            if reason is not None:
                return self._answered(account, acct_code, month, CONFIRMED, f"{reason} The record stands.")
        number = bounded_id("DSP", acct_code, month)
        suffix = 1
        while number in self.state.corrections:
            suffix += 1
            number = bounded_id("DSP", acct_code, month, suffix)
        correction = self._open(account, number, seg.installments[0], month, None)
        account.excused.update(seg.installments)
        self._accept(account, correction, submit_now=True)
        dates = ", ".join(f"installment {no} collected {_collected(account, no)}" for no in seg.installments)
        done = (
            f"{month} corrected by a 212 record ({number})"
            if correction.record_type
            else f"nothing negative had been reported for {month}, and none will be"
        )
        note = f"Repaid within the grace period ({dates}); {done}."
        return self._answered(account, acct_code, month, CORRECTED, note)

    def receive_dispute(
        self, dispute_id: str, acct_code: str, month: str, respond: DisputeAnswer | None = None
    ) -> datetime:
        """A dispute reached the bank: answer it ``dispute_answer`` from now. Returns when.

        The answer goes to ``respond(outcome, note)`` if given, else to the bureau's ``answerDispute``
        (``engine.call("bank", "bureau", "answerDispute", ...)``), journaled like any request.
        """
        loan_no = self.state.acct_codes.get(acct_code)
        account = self.state.accounts.get(loan_no) if loan_no else None
        delay = self.answer_delay()
        when = self.engine.clock.now() + delay
        self.engine.event(
            "bank",
            "disputeReceived",
            borrower=account.borrower if account else None,
            loan=account.loan_no if account else None,
            data={"disputeId": dispute_id, "acctCode": acct_code, "month": month, "answerAt": when.isoformat()},
        )

        def answer() -> None:
            outcome, note = self.answer_dispute(acct_code, month)
            if respond is not None:
                respond(outcome, note)
            else:
                self.engine.call(
                    "bank",
                    "bureau",
                    "answerDispute",
                    {"outcome": outcome, "note": note},
                    params={"disputeId": dispute_id},
                    loan=acct_code,
                )

        self.engine.clock.schedule_in(
            delay, answer, name=f"bank answer dispute {dispute_id}", borrower=account.borrower if account else None
        )
        return when

    def answer_delay(self) -> timedelta:
        """From now to the bank's answer: ``dispute_answer`` later — in calendar days, or business days of the
        engine's calendar (the same time of day on the business day it counts to)."""
        span = self.config.dispute_answer
        if not span.business:
            return timedelta(days=span.days)
        clock = self.engine.clock
        now = clock.now()
        day = clock.calendar.local_date(now)
        answer = clock.calendar.at(clock.calendar.deadline(day, span), now.astimezone(clock.calendar.tz).time())
        return answer - now

    def _answered(
        self, account: LoanAccount | None, acct_code: str, month: str, outcome: str, note: str
    ) -> tuple[str, str]:
        note = note[:500]
        self.engine.event(
            "bank",
            "disputeAnswered",
            borrower=account.borrower if account else None,
            loan=account.loan_no if account else None,
            data={"acctCode": acct_code, "month": month, "outcome": outcome, "note": note},
        )
        return outcome, note


def _collected(account: LoanAccount, no: int) -> str:
    lines = account.ledger.lines_of(no)
    return lines[-1][0].actual_repay_date if lines else "(nothing was due)"
