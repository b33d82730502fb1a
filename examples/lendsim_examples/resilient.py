"""The resilient integration: every safeguard the failure catalog asks for, each one switchable for mutants.

===================  ==========================================================================  =============
safeguard            what it does                                                                protects
===================  ==========================================================================  =============
outbox               a collected repayment stays in the outbox until the bank answers it; every  O1, O4 (#1,
                     tick replays what is due (backoff 1→30 min) with the **same** repayOuterNo  #11, #13)
                     and body — the original actualRepayDate included
query_on_timeout     an answer that never came (timeout, reset) is looked up with               O1, O4 (#2,
                     repayResultQuery before anything else (404: the bank never got it, send    #7)
                     again); a PROCESSING repayment with no callback is polled until final
monotonic_callbacks  SUCCESS and FAIL are terminal: a duplicate callback, a late PROCESSING or   O4, O6 (#5,
                     FAIL after SUCCESS changes nothing; a write-off happens once               #6)
reconciliation       each day after the bank's file time, the file of yesterday: the bank's     O4, O1 (#8–
                     split of each of our repayments is taken where the amounts agree, breaks   #12, #17,
                     are reported (a missing row is not "unpaid"), and what was collected       #18)
                     yesterday but is not at the bank and not in the outbox is forwarded again
corrections          for every installment collected by due date + grace that the bank          O1, O5 (#1,
                     notified as overdue or reported, or posted after its due day:              #13, #28)
                     correctionApply with the evidence, month by month, followed up, a
                     rejected one asked again
sms_dedupe           its own SMS (the "we will restore your credit" reassurance) goes through a  O2 (#22,
                     ledger keyed on OutId = (loan, installment, template); after a timeout,    #23)
                     querySendDetails decides, never a blind resend; receipts idempotent
masked_logs          logs name borrowers by id, mask phones, and every line goes through        O7 (#30)
                     ``simulator.masking.mask_text``
===================  ==========================================================================  =============

Whatever the safeguards, the platform books by the bank's schedule (``repayPlanQuery``); when that cannot be read,
by the one the loan's terms give (``_schedule.py``: the product's ``repay_method``, 等额本息 by default), asking the
bank again after 1, 2, 4 … hours and then daily, and once the bank's answers it is the one of record — where it
differs (a penalty the bank added), the payments no reconciliation file has split yet are split again by it. A day
whose file never comes (given up after three days) has its postings split as the bank's schedules show them paid.

``create(disable={"outbox"})`` makes a mutant without one of them: the harness proves its power by showing a
catalog scenario that catches each mutant on the invariant the safeguard protects. Without a safeguard the
platform falls back to the obvious simple behaviour: no outbox — one attempt, dropped on error; no query — a
lost answer is taken as a refusal (the borrower is refunded, though the bank may have posted it), nothing polls
a repayment whose callback never came; no monotonic states — every callback is applied as it comes
(a duplicate SUCCESS is written off again); no reconciliation — the platform's own split stays, nothing is
re-forwarded; no corrections — none asked; no SMS dedupe — every notice sends, a timeout is resent blindly;
no masked logs — names, IDs and phone numbers in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Final

import httpx

from lendsim_examples._base import (
    FAIL,
    NEW,
    PROCESSING,
    SUCCESS,
    TERMINAL,
    UNKNOWN,
    ZERO,
    BasePlatform,
    Collection,
    LoanFile,
    Parts,
    allocate,
    bounded,
    money,
    money_str,
    parse_instant,
)
from lendsim_examples._schedule import EQUAL_INSTALLMENT, REPAY_METHODS, contract_schedule
from simulator.masking import mask_phone

__all__ = ["SAFEGUARDS", "ResilientPlatform", "create"]

#: The safeguards a mutant can go without (``create(disable={...})``).
SAFEGUARDS: Final = (
    "outbox",
    "query_on_timeout",
    "monotonic_callbacks",
    "reconciliation",
    "corrections",
    "sms_dedupe",
    "masked_logs",
)
CREDIT_RESTORE_TEMPLATE: Final = "SMS_153055080"
_CALLBACK_SLA: Final = timedelta(minutes=10)  # poll a PROCESSING repayment with no callback after this
_MAX_BACKOFF: Final = timedelta(minutes=30)
_CORRECTION_ATTEMPTS: Final = 4
_CORRECTION_POLL: Final = timedelta(hours=6)
_FILE_PATIENCE: Final = timedelta(days=3)  # how long to keep asking for a day's reconciliation file
_REFETCH_EVERY: Final = timedelta(hours=12)  # an incomplete file is asked for again this often ...
_REDELIVERY_PATIENCE: Final = timedelta(days=30)  # ... for this long
_CATCH_UP: Final = timedelta(days=40)  # files older than this are not fetched when the clock leaps ahead
_SMS_BLIND_RETRIES: Final = 3  # without sms_dedupe
_SCHEDULE_PATIENCE: Final = timedelta(days=1)  # the longest wait between two asks for the bank's schedules


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16, then 30 minutes."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 5)), _MAX_BACKOFF)


def _months(first: date, last: date) -> Iterator[str]:
    """Every month from ``first``'s to ``last``'s, as YYYY-MM."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(slots=True)
class CorrectionTask:
    """A correction asked of the bank for one installment and month, followed until the bureau loaded it."""

    loan_no: str
    installment: int
    month: str
    number: str
    evidence_key: str
    evidence_date: str
    status: str = "NEW"  # NEW (to send) → ACCEPTED / SUBMITTED → COMPLETED; REJECTED → NEW again; GAVE_UP
    attempts: int = 0
    failures: int = 0
    next_at: datetime | None = None


@dataclass(slots=True)
class SmsTask:
    """One SMS the platform means to send once (keyed by its OutId in the SMS ledger)."""

    out_id: str
    borrower_id: str
    phone: str
    template: str
    params: dict[str, str]
    state: str = "PENDING"  # PENDING → SENT → DELIVERED / UNDELIVERED; UNKNOWN after a lost answer; FAILED
    biz_id: str | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    next_at: datetime | None = None


class ResilientPlatform(BasePlatform):
    """A platform that keeps every repayment until the bank has it and puts right what the bank got wrong."""

    kind: ClassVar[str] = "resilient"
    bank_timeout: ClassVar[float] = 5.0  # above any latency a scenario means as "slow", below one meant as "lost"
    sms_timeout: ClassVar[float] = 5.0

    def __init__(
        self,
        *,
        disable: Iterable[str] = (),
        grace_days: int = 3,
        reconciliation_time: time = time(3, 30),
        sms_hours: tuple[time, time] = (time(8, 0), time(21, 0)),
        sign_name: str = "小米金融",
        bank_name: str = "民生银行",
        repay_method: str = EQUAL_INSTALLMENT,
    ) -> None:
        off = frozenset(disable)
        unknown = sorted(off - set(SAFEGUARDS))
        if unknown:
            raise ValueError(f"unknown safeguard(s) {', '.join(unknown)}; the safeguards are {', '.join(SAFEGUARDS)}")
        self.safeguards = frozenset(SAFEGUARDS) - off
        if repay_method not in REPAY_METHODS:
            raise ValueError(f"unknown repay_method {repay_method!r}; use {' or '.join(REPAY_METHODS)}")
        self.repay_method = repay_method  # the product's: how the loans it registers at the bank are repaid
        self.grace_days = grace_days
        self.reconciliation_time = reconciliation_time
        self.sms_hours = sms_hours
        self.sign_name = sign_name
        self.bank_name = bank_name
        super().__init__(masked_logs="masked_logs" in self.safeguards)

    def on(self, safeguard: str) -> bool:
        return safeguard in self.safeguards

    def on_reset(self) -> None:
        self._open: set[str] = set()  # repayOuterNos the outbox still works on
        self._to_correct: set[tuple[str, int]] = set()
        self._corrections: dict[tuple[str, int, str], CorrectionTask] = {}
        self._open_corrections: set[tuple[str, int, str]] = set()  # not COMPLETED, not given up
        self._sms: dict[str, SmsTask] = {}
        self._open_sms: set[str] = set()  # PENDING or UNKNOWN
        self._receipts: set[str] = set()
        self._files_due: dict[date, datetime] = {}
        self._confirmed: set[str] = set()  # postings missing from a file that the bank was asked about
        self._next_file: date | None = None
        self._own_plans: set[str] = set()  # loans booked on the platform's own schedule: the bank's not read yet
        self._plan_asks = 0  # asks in a row that found the bank's schedules unreadable
        self._plan_again: datetime | None = None  # ... and when to ask again
        self.breaks: list[str] = []

    def on_setup(self) -> None:
        assert self.now is not None
        self._next_file = self.local_date(self.now)
        if not self.on("masked_logs"):
            for borrower in self.borrowers.values():
                self.log.info("borrower %s", self._who(borrower.borrower_id))

    # -- how it talks about people ------------------------------------------------------------------------

    def _who(self, borrower_id: str) -> str:
        borrower = self.borrowers.get(borrower_id)
        if self.on("masked_logs") or borrower is None:
            return borrower_id
        return f"{borrower_id} {borrower.name} (ID {borrower.cert_no}, phone {borrower.phone})"

    def _phone(self, phone: str) -> str:
        return mask_phone(phone) if self.on("masked_logs") else phone

    # -- the app ---------------------------------------------------------------------------------------------

    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]:
        """borrowerRepay: book the money, put the repayment in the outbox and try it at once."""
        collection = self.new_collection(body, self.serial("RP"))
        self.log.info(
            "collected %s for loan %s installment(s) %s from borrower %s at %s as %s",
            money_str(collection.amount),
            collection.loan_no,
            ",".join(map(str, sorted(collection.lines))),
            self._who(collection.borrower_id),
            collection.paid_at_text,
            collection.key,
        )
        self._send(collection)
        return {"accepted": True, "platformRepayNo": collection.key}

    # -- the schedule -----------------------------------------------------------------------------------------

    def _read_plan(self, loan: LoanFile, *, opening: bool = False) -> bool:
        """The bank's schedule of ``loan``; when it cannot be read and none is known yet, the platform books on
        the schedule the loan's own terms give (``_schedule.py``) and asks the bank again later: payments are
        split by it meanwhile, and split again by the bank's once it answers."""
        if loan.loan_no in self._own_plans:
            return self._bank_plan(loan)
        if super()._read_plan(loan, opening=opening):
            return True
        self._plan_unreadable()
        if not loan.plan:
            self._own_plan(loan)
        return False

    def _own_plan(self, loan: LoanFile) -> None:
        if loan.principal is None or loan.annual_rate is None:
            self.log.warning("loan %s: no schedule from the bank and no terms to work one out", loan.loan_no)
            return
        loan.plan = contract_schedule(
            loan.principal, loan.annual_rate, loan.term, loan.due_day, loan.disburse_date, self.repay_method
        )
        self._own_plans.add(loan.loan_no)
        self.log.info(
            "loan %s: booking on the schedule its terms give (%s, %s at %s over %d months) until the bank's is read",
            loan.loan_no,
            self.repay_method,
            money_str(loan.principal),
            loan.annual_rate,
            loan.term,
        )

    def _bank_plan(self, loan: LoanFile) -> bool:
        """Ask for the bank's schedule of a loan booked on the platform's own (not before the next ask is due);
        once it answers it is the one of record, and where it differs, the payments not yet in a reconciliation
        file are split again by it."""
        now = self._now()
        if self._plan_again is not None and now < self._plan_again:
            return False
        own = loan.plan
        loan.plan = {}
        if not super()._read_plan(loan, opening=not self.by_loan.get(loan.loan_no)):
            loan.plan = own
            self._plan_unreadable()
            return False
        self._plan_asks, self._plan_again = 0, None
        self._own_plans.discard(loan.loan_no)
        differ = [
            no
            for no in sorted(set(own) | set(loan.plan))
            if no not in own
            or no not in loan.plan
            or (own[no].due_date, own[no].due) != (loan.plan[no].due_date, loan.plan[no].due)
        ]
        if not differ:
            self.log.info("loan %s: the bank's schedule, read at last, is the one the platform booked on", loan.loan_no)
            return True
        self._break(
            f"loan {loan.loan_no}: the bank's schedule differs from the one its terms gave at installment(s) "
            f"{', '.join(map(str, differ))}; the payments not yet in a file are split again by the bank's"
        )
        self._split_again(loan)
        return True

    def _plan_unreadable(self) -> None:
        """The bank's schedule query failed: the next ask waits 1, 2, 4 … hours, at most a day (asks failing at
        one instant — every loan's at set-up — count once)."""
        now = self._now()
        if self._plan_again is None or now >= self._plan_again:
            self._plan_asks += 1
            self._plan_again = now + min(timedelta(hours=2 ** min(self._plan_asks - 1, 5)), _SCHEDULE_PATIENCE)

    def _schedule_jobs(self, now: datetime) -> None:
        """Ask for the bank's schedules of the loans booked on the platform's own, one loan while it fails."""
        if not self._own_plans or (self._plan_again is not None and now < self._plan_again):
            return
        for loan_no in sorted(self._own_plans):
            if not self._bank_plan(self.loans[loan_no]):
                return

    def _split_again(self, loan: LoanFile) -> None:
        """Split each payment of ``loan`` that no reconciliation file split for us by the schedule now known, in
        the order they were paid: each against what its installments still owed when it came. An installment's
        line keeps its amount (that is what the bank was sent and allocates in its order); an early settlement
        is split afresh."""
        payments = self.by_loan.get(loan.loan_no, [])
        earlier: list[Collection] = []
        self.by_loan[loan.loan_no] = earlier  # what owed() counts: the payments before the one split
        try:
            for collection in sorted(payments, key=lambda c: (c.paid_at, c.key)):
                if not collection.reconciled and collection.state != FAIL:
                    if collection.repay_type == "EARLY_SETTLE":
                        lines = self.split(loan, collection.amount, collection.repay_type, None, collection.paid_at)
                    else:
                        lines = {}
                        for no, parts in sorted(collection.lines.items()):
                            taken, rest = allocate(parts.total, self.owed(loan, no))
                            lines[no] = taken + Parts(principal=rest)
                    collection.lines = lines
                earlier.append(collection)
        finally:
            self.by_loan[loan.loan_no] = payments

    # -- the outbox --------------------------------------------------------------------------------------------

    def _track(self, collection: Collection) -> None:
        working = not collection.dropped and (
            collection.state in (NEW, UNKNOWN) or (collection.state == PROCESSING and self.on("query_on_timeout"))
        )
        if working:
            self._open.add(collection.key)
        else:
            self._open.discard(collection.key)

    def _send(self, collection: Collection) -> str:
        """One repayApply attempt: "ok" (the bank answered), "down" (it did not take it) or "unknown"."""
        now = self._now()
        collection.attempts += 1
        body = {**collection.body, "reqNo": self.serial("RQ")}
        try:
            response = self.call("bank", "POST", "/repayments", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return self._not_taken(collection, type(exc).__name__)
        except httpx.HTTPError as exc:
            return self._answer_lost(collection, type(exc).__name__)
        status = response.status_code
        if status == 200:
            self._adopt(collection, response.json(), "repayApply")
            return "ok"
        if status == 404 or status == 429 or status >= 500:
            return self._not_taken(collection, f"HTTP {status}")
        if status == 409:  # cannot happen with a frozen body; find out what the bank holds
            self.log.error("repayment %s: the bank holds a different body under this key", collection.key)
            return self._answer_lost(collection, "HTTP 409")
        self.log.error("repayment %s refused with HTTP %d: %s", collection.key, status, response.text[:300])
        collection.dropped = True
        self._track(collection)
        collection.next_at = now
        return "ok"

    def _not_taken(self, collection: Collection, reason: str) -> str:
        now = self._now()
        collection.state = NEW
        if self.on("outbox"):
            collection.next_at = now + _backoff(collection.attempts)
            self.log.info(
                "repayment %s not taken by the bank (%s); retry %d at %s",
                collection.key,
                reason,
                collection.attempts,
                collection.next_at.isoformat(),
            )
        else:
            collection.dropped = True
            self.log.error("repayment %s not taken by the bank (%s); dropped", collection.key, reason)
        self._track(collection)
        return "down"

    def _answer_lost(self, collection: Collection, reason: str) -> str:
        if self.on("query_on_timeout"):
            collection.state = UNKNOWN
            self.log.info("repayment %s: no answer (%s); asking the bank before anything else", collection.key, reason)
            self._track(collection)
            self._query(collection)
        else:  # the obvious shortcut: no answer, no repayment — but the bank may well have posted it
            self.log.info("repayment %s: no answer (%s); taken as failed", collection.key, reason)
            self.transition(collection, FAIL, "timeout", code="TIMEOUT")
        return "unknown"

    def _query(self, collection: Collection) -> None:
        now = self._now()
        collection.polls += 1
        try:
            response = self.call("bank", "GET", f"/repayments/{collection.key}")
        except httpx.HTTPError as exc:
            collection.next_at = now + _backoff(collection.polls)
            self.log.info("repayment %s: query failed (%s)", collection.key, type(exc).__name__)
            return
        if response.status_code == 200:
            self._adopt(collection, response.json(), "repayResultQuery")
        elif response.status_code == 404:
            self.log.info("repayment %s: the bank never received it; sending it again", collection.key)
            collection.state = NEW
            collection.next_at = now
            if not self.on("outbox"):
                collection.dropped = True
            self._track(collection)
        else:
            collection.next_at = now + _backoff(collection.polls)

    def _adopt(self, collection: Collection, result: dict[str, Any], via: str) -> None:
        self.transition(
            collection, str(result["repayStatus"]), via, posted=result.get("postedAt"), code=result.get("respCode")
        )

    def transition(
        self, collection: Collection, status: str, via: str, *, posted: str | None = None, code: str | None = None
    ) -> None:
        """Take the bank's word on a repayment: from repayApply, a query, a callback or the file."""
        now = self._now()
        previous = collection.state
        if self.on("monotonic_callbacks"):
            if previous in TERMINAL:
                if status != previous:
                    self.log.warning("repayment %s: %s via %s ignored, it is %s", collection.key, status, via, previous)
                else:
                    self.log.info("repayment %s: %s again via %s, already applied", collection.key, status, via)
                return
            if status == PROCESSING:
                collection.state = PROCESSING
                collection.accepted_at = collection.accepted_at or now
                collection.next_at = now + max(_CALLBACK_SLA, _backoff(collection.polls))
                self._track(collection)
                return
        collection.state = status
        collection.resp_code = code
        if status == PROCESSING:
            collection.next_at = now + _CALLBACK_SLA
        elif status == SUCCESS:
            collection.write_offs += 1
            collection.posted_at = parse_instant(posted, self.tz) if posted else now
            self.log.info("repayment %s posted at the bank (%s, via %s)", collection.key, posted or "-", via)
            self._posted(collection)
        elif status == FAIL:
            self.log.warning(
                "repayment %s refused by the bank (%s, via %s): refunding %s to borrower %s",
                collection.key,
                code,
                via,
                money_str(collection.amount),
                collection.borrower_id,
            )
        self._track(collection)

    def _outbox(self, now: datetime) -> None:
        due = sorted(
            (c for key in self._open if (c := self.collections[key]).next_at is None or c.next_at <= now),
            key=lambda c: (c.next_at or now, c.key),
        )
        probe: Collection | None = None  # the one that found the bank not taking anything
        for collection in due:
            if collection.state == NEW:
                if probe is not None:  # one probe at a time while the bank takes nothing; the rest wait for it
                    collection.next_at = probe.next_at
                    continue
                if self._send(collection) == "down":
                    probe = collection
            elif collection.state in (UNKNOWN, PROCESSING):
                self._query(collection)

    def weight(self, collection: Collection) -> int:
        """A payment counts once until the bank refuses it (refunded); a mutant without monotonic states counts
        each write-off it made."""
        return 0 if collection.state == FAIL else max(1, collection.write_offs)

    # -- receivers ----------------------------------------------------------------------------------------

    def repay_result_notify(
        self, body: dict[str, Any], headers: Mapping[str, str] | None = None, raw: bytes | None = None
    ) -> dict[str, Any]:
        """repayResultNotify: idempotent; terminal states never regress."""
        self.check_delivery("repayResultNotify", headers, raw)
        self.observe(body.get("notifiedAt"))
        collection = self.collections.get(str(body["repayOuterNo"]))
        if collection is None:
            self.log.warning("callback for a repayment we never sent: %s", body["repayOuterNo"])
        else:
            if money(body["repayAmount"]) != collection.amount:
                self._break(f"callback for {collection.key} says {body['repayAmount']}, we sent {collection.amount}")
            self.transition(collection, str(body["repayStatus"]), "callback", code=str(body.get("respCode")))
        return {"respCode": "0000", "respMsg": "success"}

    def bank_notice(
        self, body: dict[str, Any], headers: Mapping[str, str] | None = None, raw: bytes | None = None
    ) -> dict[str, Any]:
        """bankNotice: an overdue notice or a bureau report about an installment we collected in time starts a
        correction, and (overdue) one reassurance SMS; the work is done at the next tick."""
        self.check_delivery("bankNotice", headers, raw)
        self.observe(body.get("sentAt"))
        loan = self.loans.get(str(body["loanOuterNo"]))
        if loan is None:
            return {"respCode": "0000", "respMsg": "success"}
        no = int(body["installmentNo"])
        kind = str(body["noticeType"])
        on_time = self._collected_on_time(loan, no)
        self.log.info(
            "bank notice %s %s: loan %s installment %d (we collected it in time: %s)",
            body["noticeId"],
            kind,
            loan.loan_no,
            no,
            "yes" if on_time else "no",
        )
        if kind == "OVERDUE":
            loan.overdue_notices.add(no)
        if kind in ("OVERDUE", "BUREAU_REPORTED") and self.on("corrections"):
            self._to_correct.add((loan.loan_no, no))
        if kind == "BUREAU_CORRECTED":  # look at our corrections of it now rather than at the next poll
            for month in _months(loan.due_date(no), self.local_date(self._now())):
                task = self._corrections.get((loan.loan_no, no, month))
                if task is not None and task.status not in ("NEW", "COMPLETED", "GAVE_UP"):
                    task.next_at = self.now
        if kind == "OVERDUE" and on_time:
            self._reassure(loan, no)
        return {"respCode": "0000", "respMsg": "success"}

    def sms_report(self, body: list[dict[str, Any]]) -> dict[str, Any]:
        """smsReport: idempotent on biz_id; a failed delivery is noted, never resent blindly."""
        for report in body:
            self.observe(report.get("report_time"))
            biz = str(report["biz_id"])
            if biz in self._receipts:
                continue
            self._receipts.add(biz)
            task = self._sms.get(str(report.get("out_id"))) if report.get("out_id") else None
            if task is not None:
                task.state = "DELIVERED" if report["success"] else "UNDELIVERED"
                task.biz_id = biz
            self.log.info(
                "SMS receipt %s to %s: %s",
                report.get("out_id"),
                self._phone(str(report["phone_number"])),
                report["err_code"],
            )
        return {"code": 0, "msg": "成功"}

    # -- due jobs -------------------------------------------------------------------------------------------

    def run_jobs(self, now: datetime) -> None:
        if self._client is None:
            return
        self._schedule_jobs(now)
        self._outbox(now)
        if self.on("reconciliation"):
            self._reconciliation(now)
        if self.on("corrections"):
            self._correction_jobs(now)
        self._sms_jobs(now)

    # -- what it knows about an installment ----------------------------------------------------------------

    def _payments(self, loan: LoanFile, no: int) -> list[Collection]:
        return [c for c in self.by_loan.get(loan.loan_no, []) if c.state != FAIL and no in c.lines]

    def _collected_on_time(
        self, loan: LoanFile, no: int, payments: list[Collection] | None = None, deadline: datetime | None = None
    ) -> bool:
        """Whether the platform holds all of installment ``no``, every part of it by due date + grace (``payments``
        and ``deadline`` when the caller has them already)."""
        payments = self._payments(loan, no) if payments is None else payments
        deadline = self.deadline(loan, no, self.grace_days) if deadline is None else deadline
        if not payments or any(c.paid_at > deadline for c in payments):
            return False  # decided without summing what is owed
        owed = self.owed(loan, no)
        return owed.principal + owed.interest + owed.fee == ZERO

    # -- reconciliation --------------------------------------------------------------------------------------

    def _reconciliation(self, now: datetime) -> None:
        today = self.local_date(now)
        if self._next_file is not None and (today - self._next_file) > _CATCH_UP:
            skipped = self._next_file
            self._next_file = today - _CATCH_UP  # a clock that leapt ahead: older files are past chasing
            self._break(f"files from {skipped} to {self._next_file - timedelta(days=1)} not read: the clock leapt")
        while self._next_file is not None and self._next_file < today:
            ready = self.local(self._next_file + timedelta(days=1), self.reconciliation_time)
            if now < ready:
                break
            self._files_due[self._next_file] = ready
            self._next_file += timedelta(days=1)
        for day in sorted(self._files_due):
            if self._files_due[day] <= now and not self._reconcile(day, now):
                break  # the bank did not answer: the other files wait for a later tick, not for its timeout each

    def _reconcile(self, day: date, now: datetime) -> bool:
        """Fetch and check ``day``'s file; False when the bank did not answer at all (timeout, no connection)."""
        try:
            response = self.call("bank", "GET", f"/reconciliation-files/{day.isoformat()}")
        except httpx.HTTPError as exc:
            self._file_later(day, now, type(exc).__name__)
            return False
        if response.status_code != 200:
            self._file_later(day, now, f"HTTP {response.status_code}")
            return True
        del self._files_due[day]
        file = response.json()
        records: list[dict[str, Any]] = file["records"]
        unique = list({json.dumps(r, sort_keys=True): r for r in records}.values())
        if len(unique) != len(records):
            self._break(f"file {day}: {len(records) - len(unique)} duplicated row(s), counted once")
        total = sum((money(r["repayAmount"]) for r in unique), ZERO)
        if file["recordCount"] != len(records) or money(file["totalAmount"]) != sum(
            (money(r["repayAmount"]) for r in records), ZERO
        ):
            self._break(f"file {day}: header says {file['recordCount']} rows / {file['totalAmount']}")
        by_key: dict[str, list[dict[str, Any]]] = {}
        for record in unique:
            by_key.setdefault(str(record["repayOuterNo"]), []).append(record)
        for key, rows in by_key.items():
            collection = self.collections.get(key)
            if collection is None:
                self._posted_elsewhere(day, key, rows)
                continue
            posted = sum((money(r["repayAmount"]) for r in rows), ZERO)
            if posted != collection.amount:
                self._break(
                    f"file {day}: {key} posted {money_str(posted)}, we collected {money_str(collection.amount)}"
                )
                continue
            collection.lines = {
                int(r["installmentNo"]): Parts(
                    money(r["paidPrincipal"]), money(r["paidInterest"]), money(r["paidFee"]), money(r["paidPenalty"])
                )
                for r in rows
            }
            collection.reconciled = True
            if collection.state == FAIL:
                self._break(f"file {day}: the bank posted {key}, which we took as refused and refunded")
            elif collection.state != SUCCESS:
                self.transition(collection, SUCCESS, "reconciliation", posted=str(rows[0]["postedAt"]))
        self.log.info(
            "reconciliation of %s: %d rows, %s, version %s", day, len(records), money_str(total), file["version"]
        )
        if self._missing(day):
            self._file_again(day, now)
        return True

    def _posted_elsewhere(self, day: date, key: str, rows: list[dict[str, Any]]) -> None:
        """A posting we never sent: on one of our loans (a card debit, a compensation), it goes into the books as
        the bank made it; on a loan we do not hold, it is reported."""
        loan = self.loans.get(str(rows[0]["loanOuterNo"]))
        if loan is None:
            self._break(f"file {day}: row for {key} on a loan we do not hold")
            return
        lines = {
            int(r["installmentNo"]): Parts(
                money(r["paidPrincipal"]), money(r["paidInterest"]), money(r["paidFee"]), money(r["paidPenalty"])
            )
            for r in rows
        }
        collection = Collection(
            key,
            loan.loan_no,
            loan.borrower_id,
            sum((parts.total for parts in lines.values()), ZERO),
            str(rows[0]["repayType"]),
            parse_instant(str(rows[0]["actualRepayDate"]), self.tz),
            str(rows[0]["actualRepayDate"]),
            lines,
            {},
            state=SUCCESS,
            posted_at=parse_instant(str(rows[0]["postedAt"]), self.tz),
            write_offs=1,
            reconciled=True,
        )
        self.collections[key] = collection
        self.by_loan.setdefault(loan.loan_no, []).append(collection)
        self._break(
            f"file {day}: {key} ({rows[0]['repayMode']}, {money_str(collection.amount)}) was posted on loan "
            f"{loan.loan_no} without us; taken into the books"
        )

    def _file_later(self, day: date, now: datetime, reason: str) -> None:
        if now - self.local(day + timedelta(days=1), self.reconciliation_time) > _FILE_PATIENCE:
            del self._files_due[day]
            self._break(f"no reconciliation file for {day} ({reason}); its payments stay unconfirmed, not unpaid")
            self._split_from_schedules(day)
            return
        self._files_due[day] = now + _MAX_BACKOFF
        self.log.info("reconciliation file for %s not available (%s); asking again later", day, reason)

    def _split_from_schedules(self, day: date) -> None:
        """No file for ``day``: what the bank posted that day is still in its schedules, paid per installment. Where
        that differs from the books (a penalty the bank charged as it posted, which no schedule showed before) and
        one posted payment no file split accounts for the installment, it takes the bank's split."""
        posted = {
            c.loan_no
            for c in self.collections.values()
            if c.state == SUCCESS and not c.reconciled and c.posted_at is not None
            if self.local_date(c.posted_at) == day
        }
        for loan_no in sorted(posted):
            loan = self.loans[loan_no]
            try:
                response = self.call("bank", "GET", f"/loans/{loan_no}/schedule")
            except httpx.HTTPError as exc:
                self.log.info("schedule of loan %s not read for its split (%s)", loan_no, type(exc).__name__)
                continue
            if response.status_code != 200:
                continue
            for item in response.json()["installments"]:
                self._take_paid_split(loan, int(item["installmentNo"]), item)

    def _take_paid_split(self, loan: LoanFile, no: int, item: Mapping[str, Any]) -> None:
        bank = Parts(
            money(item["paidPrincipal"]),
            money(item["paidInterest"]),
            money(item["paidCharge"]),
            money(item["paidFundPenalty"]) + money(item["paidPlatformPenalty"]),
        )
        ours = self.collected(loan, no)
        if bank == ours or bank.total != ours.total:
            return  # the same, or not the same money: nothing a split can put right
        touching = [c for c in self.by_loan.get(loan.loan_no, []) if c.state != FAIL and no in c.lines]
        unsplit = [c for c in touching if not c.reconciled]
        if len(unsplit) != 1 or unsplit[0].state != SUCCESS:
            return  # which payment the difference belongs to is not known
        collection = unsplit[0]
        line = collection.lines[no]
        taken = Parts(
            line.principal + bank.principal - ours.principal,
            line.interest + bank.interest - ours.interest,
            line.fee + bank.fee - ours.fee,
            line.penalty + bank.penalty - ours.penalty,
        )
        if min(taken.principal, taken.interest, taken.fee, taken.penalty) < ZERO:
            return
        collection.lines = {**collection.lines, no: taken}
        self._break(
            f"{collection.key}: installment {no} split as the bank's schedule shows it paid (no file): "
            f"principal {money_str(taken.principal)}, interest {money_str(taken.interest)}, "
            f"penalty {money_str(taken.penalty)}"
        )

    def _file_again(self, day: date, now: datetime) -> None:
        """A file that lacks postings the bank confirmed: ask for it again (a corrected version may come)."""
        if now - self.local(day + timedelta(days=1), self.reconciliation_time) > _REDELIVERY_PATIENCE:
            self._break(f"file {day}: still incomplete after {_REDELIVERY_PATIENCE.days} days; escalated to the bank")
            return
        self._files_due[day] = now + _REFETCH_EVERY
        self.log.info("reconciliation file for %s is incomplete; asking for it again at %s", day, self._files_due[day])

    def _missing(self, day: date) -> bool:
        """What the platform collected on ``day`` (or was told was posted on it) that the file does not show;
        whether a posting the bank confirmed is missing from it."""
        incomplete = False
        seen: set[str] = set()
        for collection in list(self.collections.values()):
            if collection.key in seen or collection.reconciled or collection.state == FAIL:
                continue
            seen.add(collection.key)
            if collection.state == SUCCESS:
                if collection.posted_at is not None and self.local_date(collection.posted_at) == day:
                    incomplete = True
                    if collection.key not in self._confirmed:
                        self._confirmed.add(collection.key)
                        self._confirm(collection, day)
            elif self.local_date(collection.paid_at) == day:
                if collection.key in self._open:
                    self._break(f"file {day}: {collection.key} not at the bank yet, in the outbox ({collection.state})")
                else:
                    self._break(f"file {day}: {collection.key} collected, not at the bank; forwarding it again")
                    collection.dropped = False
                    collection.state = NEW
                    self._send(collection)
        return incomplete

    def _confirm(self, collection: Collection, day: date) -> None:
        """A posting the file lacks: ask the bank again with the same key (idempotent) — a gap, not unpaid."""
        try:
            response = self.call("bank", "POST", "/repayments", json={**collection.body, "reqNo": self.serial("RQ")})
            answer = (
                response.json().get("repayStatus") if response.status_code == 200 else f"HTTP {response.status_code}"
            )
        except httpx.HTTPError as exc:
            answer = type(exc).__name__
        self._break(f"file {day}: {collection.key} is missing although posted; the bank answers {answer}")

    def _break(self, text: str) -> None:
        self.breaks.append(text)
        self.log.warning("reconciliation break: %s", text)

    # -- corrections ---------------------------------------------------------------------------------------

    def _posted(self, collection: Collection) -> None:
        """A repayment reached the books: if that was after an installment's due day, the bank may have reported
        it overdue meanwhile — have it corrected (a month with nothing negative completes at once)."""
        if not self.on("corrections") or collection.posted_at is None:
            return
        loan = self.loans[collection.loan_no]
        posted_day = self.local_date(collection.posted_at)
        for no in collection.lines:
            if posted_day > loan.due_date(no):
                self._to_correct.add((loan.loan_no, no))

    def _correction_jobs(self, now: datetime) -> None:
        for loan_no, no in sorted(self._to_correct):
            loan = self.loans[loan_no]
            payments = self._payments(loan, no)
            deadline = self.deadline(loan, no, self.grace_days)
            if not self._collected_on_time(loan, no, payments, deadline):
                if now > deadline or any(c.paid_at > deadline for c in payments):
                    self._to_correct.discard((loan_no, no))  # not ours to put right: it was paid late, or not at all
                continue
            if not all(c.state == SUCCESS for c in payments):
                continue  # first the bank must have the money (the outbox is on it)
            evidence = max(payments, key=lambda c: (c.paid_at, c.key))
            for month in _months(loan.due_date(no), self.local_date(now)):
                if (loan_no, no, month) not in self._corrections:
                    self._corrections[(loan_no, no, month)] = CorrectionTask(
                        loan_no, no, month, self.serial("CR"), evidence.key, evidence.paid_at_text, next_at=now
                    )
                    self._open_corrections.add((loan_no, no, month))
            self._to_correct.discard((loan_no, no))
        for key in sorted(self._open_corrections):
            task = self._corrections[key]
            if task.next_at is not None and task.next_at > now:
                continue
            if task.status == "NEW":
                self._ask_correction(task, now)
            else:
                self._follow_correction(task, now)
            if task.status in ("COMPLETED", "GAVE_UP"):
                self._open_corrections.discard(key)

    def _ask_correction(self, task: CorrectionTask, now: datetime) -> None:
        body = {
            "correctionNo": task.number,
            "loanOuterNo": task.loan_no,
            "installmentNo": task.installment,
            "month": task.month,
            "reason": "REPAID_ON_TIME",
            "evidence": {"repayOuterNo": task.evidence_key, "actualRepayDate": task.evidence_date},
        }
        try:
            response = self.call("bank", "POST", "/corrections", json=body)
        except httpx.HTTPError as exc:
            task.failures += 1
            task.next_at = now + _backoff(task.failures)
            self.log.info("correction %s not sent (%s); again later", task.number, type(exc).__name__)
            return
        status = response.status_code
        if status == 202:
            task.attempts += 1
            self.log.info(
                "correction %s asked for loan %s installment %d month %s (evidence %s)",
                task.number,
                task.loan_no,
                task.installment,
                task.month,
                task.evidence_key,
            )
            self._correction_state(task, response.json(), now)
        elif status == 409:
            task.number = self.serial("CR")
            task.next_at = now
        elif status == 429 or status >= 500:
            task.failures += 1
            task.next_at = now + _backoff(task.failures)
        else:
            task.status = "GAVE_UP"
            self.log.error("correction %s refused with HTTP %d: %s", task.number, status, response.text[:300])

    def _follow_correction(self, task: CorrectionTask, now: datetime) -> None:
        try:
            response = self.call("bank", "GET", f"/corrections/{task.number}")
        except httpx.HTTPError:
            task.next_at = now + _MAX_BACKOFF
            return
        if response.status_code == 200:
            self._correction_state(task, response.json(), now)
        elif response.status_code == 404:
            task.status = "NEW"  # the bank has no such correction: ask again
            task.next_at = now
        else:
            task.next_at = now + _MAX_BACKOFF

    def _correction_state(self, task: CorrectionTask, correction: dict[str, Any], now: datetime) -> None:
        status = str(correction["status"])
        if status == "COMPLETED":
            task.status = "COMPLETED"
            self.log.info(
                "correction %s completed (%s)", task.number, correction.get("bureauRecordType") or "none needed"
            )
        elif status == "REJECTED":
            note = correction.get("note") or ""
            if "record is right" in note or "record stands" in note:
                task.status = "GAVE_UP"  # the bank's ledger says the money came late: nothing to put right
                self.log.info("correction %s rejected, the bank holds the record right: %s", task.number, note)
            elif task.attempts >= _CORRECTION_ATTEMPTS:
                task.status = "GAVE_UP"
                self.log.error(
                    "correction of loan %s month %s rejected %d times: %s",
                    task.loan_no,
                    task.month,
                    task.attempts,
                    note,
                )
            else:
                task.status = "NEW"
                task.number = self.serial("CR")
                task.next_at = now + _CORRECTION_POLL
                self.log.warning("correction rejected (%s); asking again as %s later", note, task.number)
        else:
            task.status = status
            task.next_at = now + (timedelta(hours=1) if status == "ACCEPTED" else timedelta(days=1))

    # -- SMS ----------------------------------------------------------------------------------------------------

    def _reassure(self, loan: LoanFile, no: int) -> None:
        borrower = self.borrowers.get(loan.borrower_id)
        if borrower is None:
            return
        out_id = bounded("rst", loan.loan_no, no, CREDIT_RESTORE_TEMPLATE)
        if self.on("sms_dedupe"):
            if out_id in self._sms:
                self.log.info("SMS %s already in the SMS ledger; not sending it again", out_id)
                return
            key = out_id
        else:
            key = self.serial("SM")
        self._sms[key] = SmsTask(
            out_id, borrower.borrower_id, borrower.phone, CREDIT_RESTORE_TEMPLATE, {"bank": self.bank_name}
        )
        self._open_sms.add(key)

    def _sms_jobs(self, now: datetime) -> None:
        for key in sorted(self._open_sms):
            task = self._sms[key]
            if task.state not in ("PENDING", "UNKNOWN"):
                self._open_sms.discard(key)
                continue
            if task.next_at is not None and task.next_at > now:
                continue
            start, end = self.sms_hours
            local = now.astimezone(self.tz)
            if not start <= local.time() < end:  # no SMS at night: from the next morning
                day = local.date() if local.time() < start else local.date() + timedelta(days=1)
                task.next_at = self.local(day, start)
                continue
            if task.state == "PENDING":
                self._send_sms(task, now)
            else:
                self._look_up_sms(task, now)

    def _send_sms(self, task: SmsTask, now: datetime) -> None:
        request = {
            "PhoneNumbers": task.phone,
            "SignName": self.sign_name,
            "TemplateCode": task.template,
            "TemplateParam": json.dumps(task.params, ensure_ascii=False, separators=(",", ":")),
            "OutId": task.out_id,
        }
        for _ in range(1 if self.on("sms_dedupe") else _SMS_BLIND_RETRIES + 1):
            task.attempts += 1
            task.sent_at = now
            try:
                response = self.call("sms", "POST", "/send", json=request, timeout=self.sms_timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                task.next_at = now + _backoff(task.attempts)
                self.log.info("SMS %s not sent (%s); again later", task.out_id, type(exc).__name__)
                return
            except httpx.HTTPError as exc:
                if self.on("sms_dedupe"):
                    task.state = "UNKNOWN"
                    self.log.info("SMS %s: no answer (%s); checking before any resend", task.out_id, type(exc).__name__)
                    self._look_up_sms(task, now)
                    return
                self.log.info("SMS %s: no answer (%s); sending again", task.out_id, type(exc).__name__)
                task.state = "FAILED"  # unless a later attempt gets an answer
                continue
            answer = response.json() if response.status_code == 200 else {}
            if answer.get("Code") == "OK":
                task.state, task.biz_id = "SENT", answer.get("BizId")
                self.log.info("SMS %s sent to %s (%s)", task.out_id, self._phone(task.phone), task.biz_id)
            elif response.status_code == 429 or response.status_code >= 500:
                task.next_at = now + _backoff(task.attempts)
            elif answer.get("Code") == "isv.BUSINESS_LIMIT_CONTROL":
                task.next_at = now + timedelta(days=1)
            else:
                task.state = "FAILED"
                self.log.warning("SMS %s refused: %s", task.out_id, answer.get("Code") or response.status_code)
            return

    def _look_up_sms(self, task: SmsTask, now: datetime) -> None:
        sent = task.sent_at or now
        params = {
            "PhoneNumber": task.phone,
            "SendDate": self.local_date(sent).strftime("%Y%m%d"),
            "PageSize": "50",
        }
        try:
            response = self.call("sms", "GET", "/messages", params=params, timeout=self.sms_timeout)
            answer = response.json() if response.status_code == 200 else {}
        except httpx.HTTPError:
            answer = {}
        if answer.get("Code") != "OK":
            task.next_at = now + _backoff(task.attempts)
            return
        if any(item.get("OutId") == task.out_id for item in answer.get("SmsSendDetailDTOs", [])):
            task.state = "SENT"
            self.log.info("SMS %s: the gateway has it; not resending", task.out_id)
        else:
            task.state = "PENDING"
            task.next_at = now
            self.log.info("SMS %s: the gateway never got it; it will be sent", task.out_id)


def create(disable: Iterable[str] = (), **options: Any) -> ResilientPlatform:
    """A fresh resilient platform (``--platform resilient``); ``disable`` names safeguards to leave out (a
    mutant), ``options`` go to :class:`ResilientPlatform` (``grace_days=0`` for a bank without grace, …)."""
    return ResilientPlatform(disable=disable, **options)
