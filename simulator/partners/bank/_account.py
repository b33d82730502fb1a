"""One loan at the bank and everything the bank keeps about it — all state of the bank model lives here.

A :class:`LoanAccount` belongs to one borrower: its ledger, the overdue notices sent, what was furnished to
the bureau and the corrections asked for. Nothing is shared between borrowers except the indexes in
:class:`BankState` that route a key with no loan in it (``correctionNo``, the bureau's ``AcctCode``, an SMS
``OutId``) to its loan, and the repayments: kept by their idempotency key (``repayOuterNo``) alone, each
naming its loan, since one index is half the memory of two and the bank keeps every repayment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import orjson

from simulator.domain import CENT, ZERO, iso, money_str
from simulator.partners.bank._common import bounded_id
from simulator.partners.bank._ledger import InstallmentState, Ledger, LedgerView, Plan, Posting, Tally

__all__ = [
    "BankState",
    "Correction",
    "DayBooks",
    "LoanAccount",
    "Notice",
    "PendingSubmission",
    "Repayment",
    "SubmittedRecord",
    "Terms",
    "acct_code_for",
    "installment_json",
    "shared",
]

PROCESSING = "PROCESSING"


class Terms(NamedTuple):
    """What a repayment asks, parsed: the amount, each installment's total, and ``actualRepayDate``.

    A named tuple, not a frozen dataclass: as immutable, and made on every ``repayApply`` for a third of
    the cost (a frozen dataclass sets each field through ``object.__setattr__``)."""

    amount: Decimal
    lines: dict[int, Decimal]  # installment -> the sum of its lines
    summed: Decimal  # of every line
    claimed: datetime | None  # actualRepayDate; None if it is no usable instant
    repay_type: str  # what the posting keeps of the body, as sent
    repay_mode: str
    actual_repay_date: str


@dataclass(slots=True)
class Repayment:
    """A repayment forwarded with ``repayOuterNo``: the body it was first sent with and its result.

    The bank keeps every repayment (to answer retries), so it keeps little: the body as compact JSON with its
    ``repayOuterNo`` and ``loanOuterNo`` left out (null in their place; :attr:`body` puts them back), which
    makes the text of two repayments of the same amount, lines and collection time the same text, kept once
    (:func:`shared`), and the fields its answers read beside it, shared alike. What checking and posting
    need (``planned``) is dropped once it is posted or failed; after that, its type, mode and collection time
    are the posting's.
    """

    key: str
    loan_no: str
    request: str  # the body as first sent, without reqNo (tracing only), key and loan null, as JSON
    accepted_at: datetime
    repay_amount: str
    status: str = PROCESSING
    code: str = "0001"
    message: str = "accepted; the bank posts it shortly"
    posted_at: datetime | None = None
    planned: tuple[int, Plan, Terms] | None = None  # (ledger version, plan, terms) from the check, until posted

    @classmethod
    def received(cls, key: str, loan_no: str, body: Mapping[str, Any], at: datetime) -> Repayment:
        """``body``: as sent, without reqNo; its ``repayOuterNo`` is ``key``, its ``loanOuterNo`` ``loan_no``."""
        return cls(
            key,
            loan_no,
            shared(compact_json({**body, "repayOuterNo": None, "loanOuterNo": None})),
            at,
            shared(body["repayAmount"]),
        )

    @property
    def body(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.request)
        decoded["repayOuterNo"] = self.key  # in its place: a retry's differences are named in the body's order
        decoded["loanOuterNo"] = self.loan_no
        return decoded

    def to_json(self) -> dict[str, Any]:
        return {
            "repayOuterNo": self.key,
            "loanOuterNo": self.loan_no,
            "repayAmount": self.repay_amount,
            "repayStatus": self.status,
            "respCode": self.code,
            "respMsg": self.message,
            "acceptedAt": iso(self.accepted_at),
            "postedAt": iso(self.posted_at) if self.posted_at else None,
        }


@dataclass(slots=True)
class Notice:
    """The overdue notice (SMS) of one installment: ``sent``, ``failed`` (send again) or ``unknown``."""

    out_id: str
    state: str
    at: datetime
    biz_id: str | None = None
    attempts: int = 1


@dataclass(slots=True)
class Correction:
    """A request to correct a bureau record (``correctionApply``, or a dispute the bank upheld)."""

    number: str
    loan_no: str
    installment: int
    month: str
    body: dict[str, Any] | None  # None for a correction the bank made on its own (a dispute)
    created_at: datetime
    updated_at: datetime
    status: str = "ACCEPTED"
    record_type: str | None = "212"
    submission_id: str | None = None
    note: str | None = None
    attempts: int = 0
    resubmit: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "correctionNo": self.number,
            "loanOuterNo": self.loan_no,
            "installmentNo": self.installment,
            "month": self.month,
            "status": self.status,
            "bureauRecordType": self.record_type,
            "submissionId": self.submission_id,
            "note": self.note,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class SubmittedRecord:
    """One record of a submission, to match its feedback row."""

    record_type: str  # "210" or "212"
    month: str
    segment: dict[str, Any]
    negative: bool
    correction: str | None = None
    first: bool = False  # the account's first 210: sent again as a first report if the bureau bounces it


@dataclass(slots=True)
class PendingSubmission:
    """A submission whose feedback the bank has not read yet."""

    submission_id: str
    records: list[SubmittedRecord]


@dataclass(slots=True)
class LoanAccount:
    """A registered loan: its registration, ledger and everything done about it."""

    loan_no: str
    borrower: str
    registration: dict[str, Any]
    principal: Decimal
    annual_rate: Decimal
    disburse_date: date
    ledger: Ledger
    deadlines: tuple[datetime, ...]  # per installment: the end of its grace period
    acct_code: str
    notices: dict[int, Notice] = field(default_factory=dict)
    excused: set[int] = field(default_factory=set)  # found paid on time by a correction
    late_collected: set[int] = field(default_factory=set)  # found overdue by a repayment collected after grace
    corrections: dict[str, Correction] = field(default_factory=dict)
    reported: dict[str, dict[str, Any]] = field(default_factory=dict)  # month -> last segment submitted
    negative_months: set[str] = field(default_factory=set)  # months a negative 210 was submitted for
    latest_rpt_date: date | None = None  # of the last 210 submitted: a later 210 must not be earlier
    first_reported: bool = False
    closed_reported: bool = False
    last_acct_status: str | None = None
    pending: list[PendingSubmission] = field(default_factory=list)
    furnish_key: tuple[object, ...] | None = None  # what the last furnishing run found nothing new for
    overdue_at_version: tuple[int, bool] | None = None  # (ledger version, whether anything was overdue then)
    # The last month, as it ended, found as it was reported: the month, where the ledger stood, the installments
    # excused and the segment reported then (the furnishing looks at it again only once one of them moved).
    month_found: tuple[str, Tally, frozenset[int], dict[str, Any]] | None = None
    batch_after: datetime | None = None  # the overdue batch has nothing to do before this (None: look)
    batch_done: bool = False  # settled: the overdue batch has nothing to do ever again

    @property
    def term(self) -> int:
        return len(self.ledger.schedule)

    @property
    def phone(self) -> str:
        return str(self.registration["phone"])

    def view(self, at: datetime | None = None) -> LedgerView:
        return self.ledger.view(at)

    def deadline(self, no: int) -> datetime:
        return self.deadlines[no - 1]

    def status(self, view: LedgerView) -> str:
        if view.settled:
            return "SETTLED"
        return "OVERDUE" if view.overdue else "ACTIVE"

    def to_json(self, view: LedgerView, tz: tzinfo) -> dict[str, Any]:
        registration = self.registration
        return {
            "loanOuterNo": self.loan_no,
            "status": self.status(view),
            "principal": registration["principal"],
            "outstandingPrincipal": money_str(view.outstanding_principal),
            "annualRate": registration["annualRate"],
            "repayMethod": registration["repayMethod"],
            "term": registration["term"],
            "dueDay": registration["dueDay"],
            "disburseDate": registration["disburseDate"],
            "schedule": [installment_json(state, self.term, tz) for state in view.installments],
        }


def installment_json(state: InstallmentState, term: int, tz: tzinfo) -> dict[str, Any]:
    due, paid = state.due, state.paid
    collected = state.last_collected_at
    return {
        "installmentNo": state.no,
        "totalInstallmentNo": term,
        "dueDate": state.due_date.isoformat(),
        "status": state.status,
        "duePrincipal": money_str(due.principal),
        "dueInterest": money_str(due.interest),
        "dueCharge": money_str(due.fee),
        "dueFundPenalty": money_str(max(due.penalty, ZERO)),
        "duePlatformPenalty": "0.00",
        "paidPrincipal": money_str(paid.principal),
        "paidInterest": money_str(paid.interest),
        "paidCharge": money_str(paid.fee),
        "paidFundPenalty": money_str(paid.penalty),
        "paidPlatformPenalty": "0.00",
        "actualRepayDate": collected.astimezone(tz).date().isoformat() if collected else None,
        "repayType": state.last_repay_type,
    }


def compact_json(value: Mapping[str, Any]) -> str:
    """``value`` (decoded from a request) as compact JSON text that ``json.loads`` reads back equal.

    Text, not orjson's bytes: those keep orjson's 4 KiB buffer allocated behind them."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson does not write (integers past 64 bits, lone surrogates): ASCII json
        return json.dumps(value, separators=(",", ":"))


# Texts the bank keeps many of, once each: a repayment's amount, type, mode, collection time, and its body
# without its keys, repeat from one repayment to the next. Bounded; a full table starts over (what was kept
# stays shared), and a long text is not kept (it is seldom sent twice alike).
_SHARED: dict[str, str] = {}
_SHARED_MAX = 4096
_SHARED_LONGEST = 1024


def shared(text: str) -> str:
    """``text``, or an equal string kept before (the one to keep instead)."""
    if type(text) is not str:  # a subclass could compare or hash differently: as it is
        return text
    known = _SHARED.get(text)
    if known is not None:
        return known
    if len(text) <= _SHARED_LONGEST:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[text] = text
    return text


def acct_code_for(loan_no: str) -> str:
    """The bureau AcctCode of a loan: its loanOuterNo (the bureau allows 60 characters, the bank 64)."""
    return bounded_id(loan_no, limit=60)


@dataclass(slots=True)
class DayBooks:
    """The books of one business day: its postings in posting order, their loans beside them, and the totals the
    day-end and the reconciliation file report, kept as the postings come (summing a day of them when the job
    runs held ``lendsim serve`` for seconds: 0.3 s for the day-end and 0.9 s for the file at 100,000 postings,
    issue #17)."""

    loans: list[str] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    amount: Decimal = ZERO  # of every posting
    lines: int = 0  # posting lines: the reconciliation file's records
    file_amount: Decimal = ZERO  # of every line to the cent, as the file lists it

    def add(self, loan_no: str, posting: Posting) -> None:
        self.loans.append(loan_no)
        self.postings.append(posting)
        for line in posting.lines:
            amount = line.parts.total
            self.amount += amount
            self.file_amount += amount.quantize(CENT, ROUND_HALF_UP)
        self.lines += len(posting.lines)


@dataclass(slots=True)
class BankState:
    """The bank's loans, by loanOuterNo, and the indexes that route loan-less keys to them."""

    accounts: dict[str, LoanAccount] = field(default_factory=dict)
    repayments: dict[str, Repayment] = field(default_factory=dict)  # repayOuterNo -> its repayment (for good)
    corrections: dict[str, str] = field(default_factory=dict)  # correctionNo -> loanOuterNo
    acct_codes: dict[str, str] = field(default_factory=dict)  # bureau AcctCode -> loanOuterNo
    out_ids: dict[str, str] = field(default_factory=dict)  # SMS OutId -> loanOuterNo
    by_day: dict[date, DayBooks] = field(default_factory=dict)  # the books of each business day

    def clear(self) -> None:
        self.accounts.clear()
        self.repayments.clear()
        self.corrections.clear()
        self.acct_codes.clear()
        self.out_ids.clear()
        self.by_day.clear()
