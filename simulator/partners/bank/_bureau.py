"""Furnishing the credit bureau: the daily job that submits account records, reads feedback, retries.

Each run (daily at ``furnishing_time``, fault point ``bank.furnishing``), loan by loan:

1. Read the feedback of the submissions made before: ``0000`` (and ``ABR004``, already loaded) is done;
   ``ABR002`` and, for corrections, ``ABR005``/``ABR006`` are retried; anything else is escalated to a
   person (``furnishEscalated``) — never silently dropped.
2. Submit the corrections waiting to be sent again.
3. Report the account: in ``daily`` mode, the previous month's final state if it changed since it was
   reported, else this month's if it changed (RptDate today); in ``monthly`` mode, the previous month's
   month-end snapshot once. One 210 per account per run, never back-dated (a record whose RptDate is before
   one already sent is a 212's job). With ``notice_before_report``, a negative record waits until every
   installment it reports has had its overdue notice sent (``furnishWithheld``).

One submission per loan, so a submission, its feedback and its journal entries belong to one borrower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from simulator.clock import Calendar
from simulator.core import Engine, Response
from simulator.partners.bank._account import BankState, Correction, LoanAccount, PendingSubmission, SubmittedRecord
from simulator.partners.bank._common import last_day, month_of, month_start
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._furnishing import (
    Segment,
    account_record,
    acct_status,
    correction_record,
    may_report,
    month_end,
    report_code,
    segment,
    unchanged,
)
from simulator.partners.bank._notify import BUREAU_CORRECTED, BUREAU_REPORTED, send_notice

__all__ = ["RETRY_LIMIT", "Furnisher"]

#: How many times a correction is submitted before a retryable rejection becomes final.
RETRY_LIMIT = 3
_LOADED = ("0000", "ABR004")
_RETRY_ACCOUNT = ("ABR002",)
_RETRY_CORRECTION = ("ABR002", "ABR005", "ABR006")
_SUBMITTED = "submitted"  # marks a furnishing key kept after a submission (see _report)


class Furnisher:
    """The bank as a furnisher (数据报送机构) of the credit bureau."""

    def __init__(self, engine: Engine, config: BankConfig, state: BankState) -> None:
        self.engine = engine
        self.config = config
        self.state = state

    # -- the daily job ------------------------------------------------------------------------------

    def run(self, day: date) -> None:
        counts = {"feedbackRead": 0, "submitted": 0, "withheld": 0}
        clock = self.engine.clock
        months = _Months.of(clock.now(), clock.calendar, daily=self.config.furnishing == "daily")
        for account in self.state.accounts.values():
            if account.pending:
                counts["feedbackRead"] += self._read_feedback(account)
            for correction in account.corrections.values():
                if correction.resubmit and correction.status == "ACCEPTED":
                    self.submit_correction(account, correction)
            outcome = self._report(account, months)
            if outcome:
                counts[outcome] += 1
        self.engine.event(
            "bank", "furnishing", data={"businessDate": day.isoformat(), "mode": self.config.furnishing, **counts}
        )

    def _report(self, account: LoanAccount, months: _Months) -> str | None:
        """Report the account if it has news; skipped at once when nothing it could report has changed."""
        if account.closed_reported:
            return None
        ledger = account.ledger
        # A segment changes with the ledger, the excused installments and the month; an overdue one with
        # the day too (its bucket counts the days past due) — only while something is still overdue.
        today = months.today if self._overdue(account) else None
        key = (ledger.version, len(account.excused), months.this.month, today)
        if account.furnish_key == key or account.furnish_key == (*key, _SUBMITTED):
            return None
        outcome, exhausted = self._report_changes(account, months)
        if outcome is None:
            account.furnish_key = key
        elif outcome == "submitted" and exhausted:
            # The month just reported is as the ledger stands: with the same key the next run would find it
            # unchanged — unless feedback or a correction changes what was reported meanwhile (_forget).
            account.furnish_key = (*key, _SUBMITTED)
        else:
            account.furnish_key = None
        return outcome

    def _overdue(self, account: LoanAccount) -> bool:
        """Whether an installment of the account is overdue now (known from its ledger's version on)."""
        ledger = account.ledger
        if not ledger.marks:
            return False
        cached = account.overdue_at_version
        if cached is None or cached[0] != ledger.version:
            cached = (ledger.version, bool(account.view(self.engine.clock.now()).overdue))
            account.overdue_at_version = cached
        return cached[1]

    def _report_changes(self, account: LoanAccount, months: _Months) -> tuple[str | None, bool]:
        """What reporting the account came to, and whether every candidate month was looked at."""
        candidates = months.candidates(account.disburse_date)
        monthly = self.config.furnishing == "monthly"
        for index, candidate in enumerate(candidates):
            month, as_of, rpt_date, at_month_end = candidate
            if account.latest_rpt_date is not None and rpt_date < account.latest_rpt_date:
                continue  # never back-date a 210 (BBR002): a correction is a 212
            if monthly and month in account.reported:
                continue
            if at_month_end:
                if _as_found(account, month, as_of):
                    continue  # as it was reported, and nothing since counts as of its end: not computed again
                tally = account.ledger.tally()
            elif not may_report(
                account, month, acct_status(account.ledger.view(as_of, account.excused)), at_month_end=False
            ):
                continue  # no moment to report it, whatever else its segment says: not computed
            seg = self.segment(account, month, as_of, rpt_date)
            if not monthly and unchanged(account.reported.get(month), seg.body):
                if at_month_end:
                    account.month_found = (month, tally, frozenset(account.excused), account.reported[month])
                continue
            code = report_code(account, seg, at_month_end=at_month_end)
            if code is None:
                continue  # a change within the month with no event of its own: the month's 30 reports it
            outcome = self._submit_account(account, seg, rpt_date, code)
            if at_month_end and outcome == "submitted":
                account.month_found = (month, tally, frozenset(account.excused), account.reported[month])
            return outcome, index == len(candidates) - 1
        return None, True

    def segment(self, account: LoanAccount, month: str, as_of: datetime, rpt_date: date) -> Segment:
        return segment(
            account,
            month,
            as_of=as_of,
            rpt_date=rpt_date,
            mode=self.config.furnishing,
            calendar=self.engine.clock.calendar,
            excused=account.excused,
        )

    def _submit_account(self, account: LoanAccount, seg: Segment, rpt_date: date, code: str) -> str:
        now = self.engine.clock.now()
        ids = {"borrower": account.borrower, "loan": account.loan_no}
        unnoticed = [no for no in seg.installments if not self.noticed(account, no, now)]
        if seg.negative and self.config.notice_before_report and unnoticed:
            self.engine.event(
                "bank",
                "furnishWithheld",
                **ids,
                data={
                    "month": seg.month,
                    "rpyStatus": seg.body["RpyStatus"],
                    "installments": unnoticed,
                    "reason": self._withheld_because(),
                },
            )
            return "withheld"
        record = account_record(account, seg, rpt_date, code, self.config.mngmt_org_code)
        submitted = SubmittedRecord("210", seg.month, seg.body, seg.negative, first=not account.first_reported)
        submission = self._submit(account, [(record, submitted)])
        if submission is None:
            return "withheld"
        was_negative = seg.month in account.negative_months
        account.reported[seg.month] = seg.body
        account.latest_rpt_date = rpt_date
        account.first_reported = True
        account.last_acct_status = seg.body["AcctStatus"]
        account.closed_reported = seg.body["AcctStatus"] == "3"
        if seg.negative:
            account.negative_months.add(seg.month)
        self.engine.event(
            "bank",
            "furnished",
            **ids,
            data={
                "recordType": "210",
                "submissionId": submission,
                "acctCode": account.acct_code,
                "month": seg.month,
                "rptDate": rpt_date.isoformat(),
                "rptDateCode": code,
                "rpyStatus": seg.body["RpyStatus"],
                "acctStatus": seg.body["AcctStatus"],
                "negative": seg.negative,
                "installments": list(seg.installments),
                "noticesSentAt": {
                    str(no): account.notices[no].at.isoformat()
                    for no in seg.installments
                    if self.noticed(account, no, now)
                },
                "withoutNotice": unnoticed,
            },
        )
        if seg.negative and not was_negative and seg.installments:
            send_notice(self.engine, self.config, account, BUREAU_REPORTED, seg.installments[0], sms_template=None)
        return "submitted"

    def _withheld_because(self) -> str:
        lead = self.config.notice_lead
        if not lead.days and not lead.business:
            return "the overdue notice has not gone out yet (notice_before_report)"
        return f"the overdue notice has not gone out {lead} before (notice_before_report, notice_lead)"

    def noticed(self, account: LoanAccount, no: int, now: datetime) -> bool:
        """Whether installment ``no``'s overdue notice went out early enough for a negative record now: before it,
        and ``notice_lead`` before it when the bank sets a lead time (calendar or business days)."""
        notice = account.notices.get(no)
        if notice is None or notice.state != "sent" or notice.at > now:
            return False
        lead = self.config.notice_lead
        if not lead.days and not lead.business:
            return True
        calendar = self.engine.clock.calendar
        return calendar.deadline(calendar.local_date(notice.at), lead) <= calendar.local_date(now)

    # -- corrections --------------------------------------------------------------------------------

    def corrected_segment(self, account: LoanAccount, month: str) -> Segment:
        """``month`` as the ledger shows it with the account's excused installments paid when collected."""
        now = self.engine.clock.now()
        calendar = self.engine.clock.calendar
        end = month_end(month, calendar)
        return self.segment(account, month, min(now, end), min(calendar.local_date(now), last_day(month)))

    def submit_correction(self, account: LoanAccount, correction: Correction) -> None:
        """Send the 212 record of a correction; SUBMITTED, or ACCEPTED to be sent again at the next run."""
        seg = self.corrected_segment(account, correction.month)
        record = correction_record(account, seg)
        correction.attempts += 1
        correction.resubmit = False
        submission = self._submit(
            account, [(record, SubmittedRecord("212", seg.month, seg.body, seg.negative, correction.number))]
        )
        now = self.engine.clock.now()
        correction.updated_at = now
        ids = {"borrower": account.borrower, "loan": account.loan_no, "serial": correction.number}
        if submission is None:
            correction.resubmit = True
            self.engine.event(
                "bank",
                "correctionSubmitFailed",
                **ids,
                data={"month": correction.month, "attempts": correction.attempts, "nextTry": "the next furnishing run"},
            )
            return
        correction.status, correction.submission_id = "SUBMITTED", submission
        account.reported[correction.month] = seg.body
        _forget(account)
        self.engine.event(
            "bank",
            "correctionSubmitted",
            **ids,
            data={
                "recordType": "212",
                "submissionId": submission,
                "acctCode": account.acct_code,
                "month": correction.month,
                "rpyStatus": seg.body["RpyStatus"],
                "acctStatus": seg.body["AcctStatus"],
                "negative": seg.negative,
                "installments": list(seg.installments),
                "attempts": correction.attempts,
            },
        )

    # -- submissions and feedback -------------------------------------------------------------------

    def _submit(self, account: LoanAccount, records: Sequence[tuple[dict[str, Any], SubmittedRecord]]) -> str | None:
        now = self.engine.clock.now()
        body = {
            "furnisherCode": self.config.mngmt_org_code,
            "fileDate": self.engine.clock.calendar.local_date(now).isoformat(),
            "records": [record for record, _ in records],
        }
        response = self.engine.call(
            "bank", "bureau", "submitReport", body, borrower=account.borrower, loan=account.loan_no
        )
        answer = _json(response)
        if response.status != 202 or response.transport_fault or not isinstance(answer, dict):
            self.engine.event(
                "bank",
                "furnishFailed",
                borrower=account.borrower,
                loan=account.loan_no,
                data={
                    "status": response.status,
                    "transportFault": response.transport_fault,
                    "records": [{"recordType": s.record_type, "month": s.month} for _, s in records],
                    "nextTry": "the next furnishing run",
                },
            )
            return None
        submission = str(answer["submissionId"])
        account.pending.append(PendingSubmission(submission, [submitted for _, submitted in records]))
        return submission

    def _read_feedback(self, account: LoanAccount) -> int:
        read = 0
        waiting = []
        for pending in account.pending:
            response = self.engine.call(
                "bank",
                "bureau",
                "submissionFeedback",
                params={"submissionId": pending.submission_id},
                borrower=account.borrower,
                loan=account.loan_no,
            )
            answer = _json(response)
            if response.status == 404:
                self._lost(account, pending)
                continue
            if response.status != 200 or not isinstance(answer, dict) or answer.get("status") != "DONE":
                waiting.append(pending)  # not loaded yet, or the bureau is down: ask again next run
                continue
            read += 1
            rows = {row.get("index"): row for row in answer.get("records", [])}
            for index, record in enumerate(pending.records):
                row = rows.get(index)
                if (
                    row is None
                    or row.get("AcctCode") != account.acct_code
                    or row.get("InfRecType") != record.record_type
                ):
                    row = {"code": "MISSING", "message": f"the feedback of {pending.submission_id} has no row {index}"}
                self._outcome(account, pending, record, str(row["code"]), str(row.get("message", "")))
        account.pending = waiting
        return read

    def _lost(self, account: LoanAccount, pending: PendingSubmission) -> None:
        """The bureau does not know the submission: send its records again."""
        self.engine.event(
            "bank",
            "furnishRetry",
            borrower=account.borrower,
            loan=account.loan_no,
            data={"submissionId": pending.submission_id, "code": None, "reason": "the bureau has no such submission"},
        )
        for record in pending.records:
            self._retry(account, record)

    def _retry(self, account: LoanAccount, record: SubmittedRecord) -> None:
        if record.first:
            account.first_reported = False  # the account's opening record bounced: the next one opens it
        if record.correction is not None:
            correction = account.corrections[record.correction]
            correction.status, correction.resubmit = "ACCEPTED", True
        elif account.reported.get(record.month) == record.segment:
            del account.reported[record.month]  # the report step sends the month again
            _forget(account)

    def _outcome(
        self, account: LoanAccount, pending: PendingSubmission, record: SubmittedRecord, code: str, message: str
    ) -> None:
        ids = {"borrower": account.borrower, "loan": account.loan_no}
        data = {
            "submissionId": pending.submission_id,
            "recordType": record.record_type,
            "month": record.month,
            "code": code,
            "message": message,
        }
        if record.correction is not None:
            self._correction_outcome(account, account.corrections[record.correction], code, message, data)
            return
        if code in _LOADED:
            self.engine.event("bank", "furnishLoaded", **ids, data=data)
        elif code in _RETRY_ACCOUNT:
            self._retry(account, record)
            self.engine.event("bank", "furnishRetry", **ids, data={**data, "nextTry": "the next furnishing run"})
        else:
            self.engine.event(
                "bank", "furnishEscalated", **ids, data={**data, "action": "referred to the furnishing team"}
            )

    def _correction_outcome(
        self, account: LoanAccount, correction: Correction, code: str, message: str, data: dict[str, Any]
    ) -> None:
        ids = {"borrower": account.borrower, "loan": account.loan_no, "serial": correction.number}
        correction.updated_at = self.engine.clock.now()
        if code in _LOADED:
            correction.status = "COMPLETED"
            self.engine.event("bank", "correctionCompleted", **ids, data=data)
            send_notice(
                self.engine,
                self.config,
                account,
                BUREAU_CORRECTED,
                correction.installment,
                sms_template=None,
                tag=correction.month.replace("-", ""),
            )
        elif code in _RETRY_CORRECTION and correction.attempts < RETRY_LIMIT:
            correction.status, correction.resubmit = "ACCEPTED", True
            self.engine.event("bank", "correctionRetry", **ids, data={**data, "attempts": correction.attempts})
        else:
            correction.status = "REJECTED"
            correction.note = f"The bureau rejected the 212 record ({code}): {message}"[:500]
            self.engine.event("bank", "correctionRejected", **ids, data={**data, "attempts": correction.attempts})
            self.engine.event(
                "bank", "furnishEscalated", **ids, data={**data, "action": "referred to the furnishing team"}
            )


class _Candidate(NamedTuple):
    """A month a furnishing run may report, as the ledger stands at ``as_of``, with RptDate ``rpt_date``."""

    month: str
    as_of: datetime
    rpt_date: date
    at_month_end: bool


@dataclass(frozen=True, slots=True)
class _Months:
    """The months a furnishing run may report, the same for every account: the previous one as it ended, and
    (daily furnishing) this one as it stands now."""

    today: date
    previous: _Candidate
    this: _Candidate
    daily: bool

    @classmethod
    def of(cls, now: datetime, calendar: Calendar, *, daily: bool) -> _Months:
        today = calendar.local_date(now)
        this_month = month_of(today)
        previous = month_of(month_start(this_month) - timedelta(days=1))
        return cls(
            today,
            _Candidate(previous, month_end(previous, calendar), last_day(previous), True),
            _Candidate(this_month, now, today, False),
            daily,
        )

    def candidates(self, disbursed: date) -> list[_Candidate]:
        """The months an account disbursed on ``disbursed`` may report, oldest first."""
        candidates = []
        if disbursed <= self.previous.rpt_date:
            candidates.append(self.previous)
        if self.daily and disbursed <= self.today:
            candidates.append(self.this)
        return candidates


def _as_found(account: LoanAccount, month: str, end: datetime) -> bool:
    """Whether ``month`` (as it ended at ``end``) was found as it was reported, and still is: what was reported is
    the same segment, the same installments are excused, and no fact the ledger recorded since counts as of the
    month's end — so its segment would be the one found then."""
    found = account.month_found
    return (
        found is not None
        and found[0] == month
        and found[3] is account.reported.get(month)
        and found[2] == account.excused
        and not account.ledger.moved_as_of(found[1], end, account.excused)
    )


def _forget(account: LoanAccount) -> None:
    """What was reported changed (feedback bounced a month, a correction was sent): the next run must look at
    the account again, whatever the last run found. Feedback can come runs after its submission, after a run
    that found nothing new; keeping that run's key would skip the bounced month until the ledger moved."""
    account.furnish_key = None


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
