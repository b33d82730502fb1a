"""``repayApply`` and ``repayResultQuery``: idempotent on ``repayOuterNo``, posted after the processing delay.

A repayment is checked when it arrives (``E1004`` loan settled, ``E1001`` the amount is not the sum of its
lines, ``E1002`` no such installment, ``E1003`` more than is due — business rejections, answered 200 with
``repayStatus: FAIL``) and otherwise accepted as PROCESSING. It is posted ``processing_delay`` later on the
clock — checked again, because another repayment may have paid the same installment meanwhile — and the
platform hears the result through ``repayResultNotify``.

The bank's overdue batch acts on what is *posted* when it runs: money the platform collected on time but
forwarded after the batch still clears the installment when it is posted, yet the batch has already marked
it overdue (and notified, and the furnishing may have reported it). ``actualRepayDate`` decides the penalty
(waived when collected within the grace period) and is the evidence a correction is judged on.

The other side of the edge: lateness is judged on ``actualRepayDate`` too. A repayment collected after its
installment's grace ended (due date + grace, at the cut-off, in the bank's time zone) that reaches the bank
before the overdue batch found the installment overdue is an overdue repayment all the same: when it arrives the
bank marks the installment overdue (``installmentOverdue`` with ``collectedAt``), books the penalty from the due
date to the collection's business day (at least one day), and the next batch sends its overdue notice — so the
month is reported overdue, like the bank's batch would have had it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from simulator.clock import Calendar
from simulator.core import Call, Engine, Reply, problem
from simulator.domain import ZERO, money, money_str, parse_instant
from simulator.partners.bank._account import (
    PROCESSING,
    BankState,
    DayBooks,
    LoanAccount,
    Repayment,
    Terms,
    shared,
)
from simulator.partners.bank._common import differences, key_conflict
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._ledger import (
    LedgerView,
    Plan,
    Posting,
    Refusal,
    plan_repayment,
    plan_settlement,
    shared_lines,
)
from simulator.partners.bank._notify import notify_result

__all__ = ["Repayments", "accounting_date", "not_found"]


def not_found(what: str, operation: str) -> Reply:
    return problem(404, "Not Found", what, operation=operation)


def accounting_date(calendar: Calendar, cutoff: time, at: datetime) -> date:
    """The business day whose books a posting at ``at`` belongs to: after the cut-off, the next day's."""
    day = calendar.local_date(at)
    return day if at <= calendar.at(day, cutoff) else day + timedelta(days=1)


class Repayments:
    """The repayment behaviours over the bank's state."""

    def __init__(self, engine: Engine, config: BankConfig, state: BankState) -> None:
        self.engine = engine
        self.config = config
        self.state = state
        self.order = config.order  # the config is frozen: its allocation order, made once
        self._day: date | None = None  # the accounting date of the last posting

    def _accounting_date(self, at: datetime) -> date:
        """:func:`accounting_date` of a posting at ``at``, the same object as the last posting's when equal: every
        posting keeps its date, and a day has thousands of them."""
        day = accounting_date(self.engine.clock.calendar, self.config.cutoff, at)
        last = self._day
        if last is not None and day == last:
            return last
        self._day = day
        return day

    # -- behaviours ---------------------------------------------------------------------------------

    def apply(self, call: Call) -> Reply:
        body: dict[str, Any] = call.body
        key = body["repayOuterNo"]
        request = dict(body)  # what a retry must match: the body without reqNo, which only traces the call
        request.pop("reqNo", None)
        first = self.state.repayments.get(key)
        if first is not None:
            account = self.state.accounts[first.loan_no]
            errors = differences(first.body, request)
            if errors:
                return key_conflict(
                    "repayOuterNo",
                    key,
                    first.accepted_at,
                    errors,
                    "repayApply",
                    "nothing was posted for this request",
                    "repayment",
                )
            return self._reply(account, first)
        account_or_none = self.state.accounts.get(body["loanOuterNo"])
        if account_or_none is None:
            return not_found(
                f"No loan {body['loanOuterNo']} is registered at the bank; nothing was received, so it is safe to "
                "send the repayment again once the loan is registered (registerLoan).",
                "repayApply",
            )
        account = account_or_none
        repayment = Repayment.received(key, account.loan_no, request, call.now)
        self.state.repayments[key] = repayment
        terms = _terms(request)
        if terms.claimed is not None and terms.claimed <= call.now:  # one collected this very instant too
            self._judge_lateness(account, terms.lines, terms.claimed)
        refusal = self._check(account, repayment, terms)
        if refusal is not None:
            self._fail(account, repayment, refusal, "repayRejected", notify=False)
        elif self.config.processing_delay:
            if self.config.notify_processing:
                notify_result(self.engine, self.config, account, repayment)
            self.engine.clock.schedule_in(
                self.config.processing_delay,
                partial(self.post, account, repayment),  # not a lambda: no closure cells for apply to keep
                name=f"bank post {key}",
                borrower=account.borrower,
            )
        else:
            self.post(account, repayment)
        return self._reply(account, repayment)

    def query(self, call: Call) -> Reply:
        key = call.params["repayOuterNo"]
        repayment = self.state.repayments.get(key)
        if repayment is None:
            return not_found(
                f"The bank never received a repayment {key}; it is safe to send it (again) with this repayOuterNo.",
                "repayResultQuery",
            )
        return self._reply(self.state.accounts[repayment.loan_no], repayment)

    def _judge_lateness(self, account: LoanAccount, lines: dict[int, Decimal], collected: datetime) -> None:
        """Mark overdue each installment ``lines`` pay that was collected after its grace period and that the
        overdue batch has not found yet, with the penalty to the collection's business day."""
        ledger = account.ledger
        for no in sorted(lines):
            if no in ledger.marks or not 1 <= no <= account.term or collected <= account.deadline(no):
                continue
            now = self.engine.clock.now()
            state = account.view(now)[no]
            if state.repaid:
                continue
            config = self.config
            day = accounting_date(self.engine.clock.calendar, config.cutoff, collected)
            penalty = ledger.accrue(
                no,
                now,
                day,
                config.penalty_rate,
                state.owed.principal,
                config.penalty_rounding,
                config.penalty_rounding_mode,
            )
            ledger.mark(no, now)
            account.late_collected.add(no)
            account.batch_done, account.batch_after = False, None  # the next batch sends its notice
            self.engine.event(
                "bank",
                "installmentOverdue",
                borrower=account.borrower,
                loan=account.loan_no,
                data={
                    "installmentNo": no,
                    "dueDate": state.due_date.isoformat(),
                    "graceEnd": account.deadline(no).isoformat(),
                    "overdueDays": (day - state.due_date).days,
                    "outstanding": money_str(account.view(now)[no].owed.total),
                    "penalty": money_str(penalty),
                    "collectedAt": collected.isoformat(),
                },
            )

    def _reply(self, account: LoanAccount, repayment: Repayment) -> Reply:
        return Reply(200, repayment.to_json(), borrower=account.borrower, loan=account.loan_no, serial=repayment.key)

    # -- checking and posting -----------------------------------------------------------------------

    def _check(self, account: LoanAccount, repayment: Repayment, terms: Terms) -> Refusal | None:
        view = account.view(repayment.accepted_at)
        if view.settled:
            return Refusal("E1004", f"loan {account.loan_no} is settled; nothing is due")
        if terms.summed != terms.amount:
            return Refusal(
                "E1001",
                f"repayAmount {money_str(terms.amount)} is not the sum of repayList, {money_str(terms.summed)}; "
                "send the total of every line",
            )
        term = account.term
        for no in terms.lines:  # a loop: the usual repayment names no missing installment to sort
            if no > term:
                missing = sorted([no for no in terms.lines if no > term])
                return Refusal(
                    "E1002",
                    f"loan {account.loan_no} has no installment {', '.join(map(str, missing))}; "
                    f"it has {term} (1–{term})",
                )
        if terms.amount == ZERO:
            return Refusal("E9999", "repayAmount is 0.00; there is nothing to post")
        if terms.claimed is None:
            return Refusal("E9999", f"actualRepayDate {terms.actual_repay_date!r} is not a usable date-time")
        # Planned on the loan as of now: the view just checked when the call's time is the clock's (as it is
        # whenever the engine runs the call), so not asked for again.
        checked = view if repayment.accepted_at is self.engine.clock.now() else None
        plan = self._plan(account, repayment, terms, checked)
        if isinstance(plan, Refusal):
            return plan
        # Posting reuses this plan unless the loan's books moved in between (the plan depends on nothing else),
        # and the terms: what the posting keeps of the body.
        repayment.planned = (account.ledger.version, plan, terms)
        return None

    def _plan(
        self, account: LoanAccount, repayment: Repayment, terms: Terms, checked: LedgerView | None = None
    ) -> Plan | Refusal:
        """Plan the repayment on the loan as of now; ``checked``: that view, already found not settled."""
        view = checked
        if view is None:
            view = account.view(self.engine.clock.now())
            if view.settled:
                return Refusal("E1004", f"loan {account.loan_no} is settled; nothing is due")
        if terms.repay_type == "EARLY_SETTLE":
            collected = _collected(terms.claimed, repayment.accepted_at)
            day = self.engine.clock.calendar.local_date(collected)
            plan = plan_settlement(
                view, day, account.annual_rate, account.disburse_date, lambda no: collected <= account.deadline(no)
            )
            if terms.amount != plan.amount:
                code = "E1003" if terms.amount > plan.amount else "E9999"
                return Refusal(
                    code,
                    f"settling loan {account.loan_no} on {day.isoformat()} takes exactly {money_str(plan.amount)} "
                    f"(everything due, interest to date); this repayment has {money_str(terms.amount)}",
                )
            return plan

        def on_time(no: int) -> bool:
            # Asked only of an installment with a penalty to waive, so when the money was collected is worked out
            # only then: comparing instants in two zones (actualRepayDate's offset, the clock's zone) is not cheap.
            return _collected(terms.claimed, repayment.accepted_at) <= account.deadline(no)

        return plan_repayment(view, terms.lines, self.order, on_time)

    def settlement_quote(self, account: LoanAccount, collected: datetime) -> Decimal | None:
        """The exact amount an ``EARLY_SETTLE`` collected at ``collected`` must carry; ``None`` once settled."""
        view = account.view(self.engine.clock.now())
        if view.settled:
            return None
        day = self.engine.clock.calendar.local_date(collected)
        plan = plan_settlement(
            view, day, account.annual_rate, account.disburse_date, lambda no: collected <= account.deadline(no)
        )
        return plan.amount

    def collected_at(self, repayment: Repayment) -> datetime:
        """When the platform collected it: ``actualRepayDate``, but never after the bank received it."""
        planned = repayment.planned
        terms = planned[2] if planned is not None else _terms(repayment.body)
        return _collected(terms.claimed, repayment.accepted_at)

    def post(self, account: LoanAccount, repayment: Repayment) -> None:
        """Post an accepted repayment (the clock event after the processing delay)."""
        if repayment.status != PROCESSING:
            return
        planned, repayment.planned = repayment.planned, None
        terms = planned[2] if planned is not None else _terms(repayment.body)
        if planned is not None and planned[0] == account.ledger.version:
            plan: Plan | Refusal = planned[1]
        else:
            plan = self._plan(account, repayment, terms)
        if isinstance(plan, Refusal):
            self._fail(account, repayment, plan, "repayFailed", notify=True)
            return
        now = self.engine.clock.now()
        before = account.view(now)
        posting = Posting(
            repayment.key,
            now,
            _collected(terms.claimed, repayment.accepted_at),
            self._accounting_date(now),
            terms.repay_type,
            terms.repay_mode,
            terms.actual_repay_date,
            shared_lines(plan.lines),
        )
        account.ledger.apply(plan, posting)
        books = self.state.by_day.get(posting.accounting_date)
        if books is None:
            books = self.state.by_day[posting.accounting_date] = DayBooks()
        books.add(account.loan_no, posting)
        repayment.status, repayment.code, repayment.message, repayment.posted_at = "SUCCESS", "0000", "posted", now
        self._journal_posting(account, posting, plan, before)
        notify_result(self.engine, self.config, account, repayment)

    def _journal_posting(self, account: LoanAccount, posting: Posting, plan: Plan, before: LedgerView) -> None:
        after = account.view(posting.posted_at)
        cleared = [state.no for state in before.overdue if after[state.no].repaid]
        ids = {"borrower": account.borrower, "loan": account.loan_no, "serial": posting.repay_outer_no}
        self.engine.event(
            "bank",
            "repayPosted",
            **ids,
            data={
                "repayAmount": money_str(posting.amount),
                "repayType": posting.repay_type,
                "repayMode": posting.repay_mode,
                "actualRepayDate": posting.actual_repay_date,
                "postedAt": posting.posted_at.isoformat(),
                "accountingDate": posting.accounting_date.isoformat(),
                "lines": [
                    {"installmentNo": line.installment, **{k: money_str(v) for k, v in line.parts.as_dict().items()}}
                    for line in posting.lines
                ],
                "penaltyWaived": {str(no): money_str(amount) for no, amount in plan.waived.items()},
                "clearedOverdue": cleared,
            },
        )
        for no in cleared:
            marked = before[no].marked_at
            self.engine.event(
                "bank",
                "overdueCleared",
                **ids,
                data={
                    "installmentNo": no,
                    "dueDate": before[no].due_date.isoformat(),
                    "markedAt": marked.isoformat() if marked else None,
                    "collectedAt": posting.collected_at.isoformat(),
                    "postedAt": posting.posted_at.isoformat(),
                    "collectedWithinGrace": posting.collected_at <= account.deadline(no),
                },
            )
        if after.settled and not before.settled:
            self.engine.event("bank", "loanSettled", **ids, data={"settledAt": posting.posted_at.isoformat()})

    def _fail(self, account: LoanAccount, repayment: Repayment, refusal: Refusal, event: str, *, notify: bool) -> None:
        repayment.status, repayment.code, repayment.message = "FAIL", refusal.code, refusal.message
        repayment.planned = None
        self.engine.event(
            "bank",
            event,
            borrower=account.borrower,
            loan=account.loan_no,
            serial=repayment.key,
            data={"respCode": refusal.code, "respMsg": refusal.message, "repayAmount": repayment.repay_amount},
        )
        if notify:
            notify_result(self.engine, self.config, account, repayment)


def _collected(claimed: datetime | None, accepted_at: datetime) -> datetime:
    """``claimed``, but never after ``accepted_at`` (what ``min`` gives, without the builtin's call)."""
    if claimed is None or accepted_at < claimed:
        return accepted_at
    return claimed


_LINE_PARTS = ("paidPrincipal", "paidInterest", "paidFee", "paidPenalty")


def _terms(body: dict[str, Any]) -> Terms:
    """What a repayment asks, read from its body once: checking and posting it both use this.

    Every amount here has two places (``money``) and none is -0.00 once added to ``ZERO``, so adding a zero
    part, or an installment's first amount to ``ZERO``, would give an equal Decimal of the same form back:
    those sums are left out (the usual line is one amount and 0.00s), and the line keeps ``money``'s own
    Decimal for its amount (shared by every repayment of that amount, and kept by the posting)."""
    lines: dict[int, Decimal] = {}
    summed = ZERO
    for line in body["repayList"]:
        amount = ZERO
        for name in _LINE_PARTS:
            if name in line:
                part = money(line[name])
                if part:
                    amount = part if amount is ZERO else amount + part
        no = int(line["installmentNo"])  # JSON Schema's integer admits 3.0
        lines[no] = lines[no] + amount if no in lines else amount
        summed = amount if summed is ZERO else summed + amount
    claimed = body["actualRepayDate"]
    return Terms(
        money(body["repayAmount"]),
        lines,
        summed,
        parse_instant(claimed),
        shared(body["repayType"]),
        shared(body["repayMode"]),
        shared(claimed),
    )
