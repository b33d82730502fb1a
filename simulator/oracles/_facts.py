"""What several oracles need to know about loans, accounts and messages, gathered in the same pass.

Everything comes from the journal:

- a loan's borrower, bureau AcctCode, grace and due dates: the bank's ``loanRegistered`` (``acctCode``,
  ``graceDays``, ``graceBusinessDays`` and ``cutoff``, ``firstDueDate``, ``term``), the ``registerLoan`` request
  (``borrowerId``, ``name``, ``phone``, ``dueDay``, ``disburseDate``) and its answer's ``schedule`` (each
  installment's ``dueDate`` and due amounts), ``installmentOverdue``/``overdueCleared`` (``dueDate``) and the
  runner's ``borrowerRepaid`` (``dueDate``);
- which SMS is whose overdue notice: the bank's ``overdueNoticeSent``/``Failed``/``Unknown`` name the OutId
  of (loan, installment) and the template; ``bankNotice`` deliveries name the template too;
- every delivered SMS (``smsDelivered``), kept as a small :class:`Sms`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from simulator.errors import ConfigError
from simulator.journal import Entry
from simulator.oracles._base import (
    Handler,
    Part,
    Route,
    as_int,
    as_money,
    as_text,
    body_of,
    canonical,
    parse_date,
    parse_instant,
)

__all__ = ["SENDERS", "Facts", "LoanFacts", "Sms", "read_senders", "read_templates"]

#: Who sends SMS in a run: the bank (its overdue notices) and the platform (its own messages).
SENDERS: tuple[str, ...] = ("bank", "platform")

_NOTICE_EVENTS = ("overdueNoticeSent", "overdueNoticeFailed", "overdueNoticeUnknown")
_SCHEDULE_ANSWERS = ("registerLoan", "getLoan", "repayPlanQuery")


def read_senders(key: str, given: object) -> frozenset[str]:
    """An invariant's ``senders`` parameter: a non-empty list of ``bank`` and ``platform`` (or one of them)."""
    senders = [given] if isinstance(given, str) else given
    bad = not isinstance(senders, list | tuple | frozenset) or not senders
    if not bad:
        assert isinstance(senders, list | tuple | frozenset)
        bad = any(name not in SENDERS for name in senders)
    if bad:
        raise ConfigError(
            f"expect.{key}.senders: {given!r} is not a list of {' and '.join(SENDERS)}; "
            "e.g. [platform] to judge only the platform's own messages",
            field=f"{key}.senders",
        )
    assert isinstance(senders, list | tuple | frozenset)
    return frozenset(str(name) for name in senders)


def read_templates(key: str, name: str, given: object, example: str) -> frozenset[str]:
    """A list of template codes (or one code) given as an invariant's parameter ``name``."""
    codes = [given] if isinstance(given, str) else given
    if not isinstance(codes, list | tuple) or not all(isinstance(code, str) for code in codes):
        raise ConfigError(
            f"expect.{key}.{name}: {given!r} is not a list of template codes; e.g. {example}",
            field=f"{key}.{name}",
        )
    return frozenset(codes)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in (day.day, 28):  # due days are 1–28; a 29th–31st rolls back to the 28th
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(slots=True)
class LoanFacts:
    """One loan as the journal describes it."""

    loan: str
    borrower: str | None = None
    acct_code: str | None = None
    grace_days: int | None = None
    grace_business_days: bool = False
    cutoff: time | None = None
    first_due: date | None = None
    term: int | None = None
    phone: str | None = None
    due_dates: dict[int, date] = field(default_factory=dict)
    due_amounts: dict[int, Decimal] = field(default_factory=dict)

    def due_date(self, no: int) -> date | None:
        """Installment ``no``'s due date: as journaled, else ``firstDueDate`` plus ``no - 1`` months."""
        known = self.due_dates.get(no)
        if known is not None:
            return known
        if self.first_due is None or no < 1 or (self.term is not None and no > self.term):
            return None
        return add_months(self.first_due, no - 1)

    def installment_due_on(self, day: date) -> int | None:
        for no, known in self.due_dates.items():
            if known == day:
                return no
        if self.first_due is None or day < self.first_due:
            return None
        months = (day.year - self.first_due.year) * 12 + day.month - self.first_due.month
        no = months + 1
        return no if self.due_date(no) == day else None


@dataclass(frozen=True, slots=True)
class Sms:
    """One delivered copy of an SMS (an ``smsDelivered`` entry)."""

    seq: int
    at: datetime
    out_id: str | None
    phone: str | None
    template: str | None
    params: Mapping[str, Any]
    recipient: str | None
    intended: str | None
    to_intended: bool | None
    biz_id: str | None
    copy: int
    content: str | None = None  # the text as the handset shows it (signature included)
    source: str | None = None  # who sent it: "bank", or the platform ("platform")
    sent_at: datetime | None = None  # when the sender handed it to the gateway

    @property
    def sender(self) -> str | None:
        """``bank`` or ``platform`` as the gateway recorded the send; ``None`` when it did not say."""
        if self.source is None:
            return None
        return "bank" if self.source == "bank" else "platform"

    @property
    def message(self) -> str:
        """What the phone shows: the text, or — when the journal lacks it — the template and its parameters."""
        return self.content if self.content is not None else f"{self.template}:{self.params_key}"

    @property
    def wrong_recipient(self) -> bool:
        """Known to have reached someone other than the person it was meant for."""
        if self.to_intended is False:
            return True
        return self.recipient is not None and self.intended is not None and self.recipient != self.intended

    def reached(self, borrower: str | None) -> bool:
        """Whether it reached ``borrower``: told so by the gateway; or, when the gateway cannot tell (no phone
        directory), it went to the number the loan was registered with and nothing says it went astray."""
        if self.wrong_recipient:
            return False
        if self.to_intended is True:
            return borrower is None or self.intended in (None, borrower)
        return self.recipient is None or borrower is None or self.recipient == borrower

    @property
    def params_key(self) -> str:
        return canonical(self.params)


class Facts(Part):
    """Loans, accounts, overdue-notice OutIds and delivered SMS, from one pass."""

    def __init__(self) -> None:
        self.loans: dict[str, LoanFacts] = {}
        self.acct_codes: dict[str, str] = {}  # bureau AcctCode -> loanOuterNo
        self.names: dict[str, str] = {}  # borrower -> name (from registerLoan)
        self.id_numbers: dict[str, str] = {}  # resident ID -> borrower (from registerLoan)
        self.phones: dict[str, list[str]] = {}  # phone -> loans registered with it
        self.notices: dict[str, tuple[str, int]] = {}  # OutId -> (loan, installment)
        self.notice_seqs: dict[tuple[str, int], list[int]] = {}  # (loan, installment) -> overdue notice events
        self.overdue_templates: set[str] = set()
        self.sms: list[Sms] = []

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "bank", "loanRegistered"), self._registered
        yield ("request", "bank", "registerLoan"), self._register_request
        for operation in _SCHEDULE_ANSWERS:
            yield ("response", "bank", operation), self._schedule
        for operation in _NOTICE_EVENTS:
            yield ("event", "bank", operation), self._notice
        yield ("event", "bank", "installmentOverdue"), self._due_date
        yield ("event", "bank", "overdueCleared"), self._due_date
        yield ("event", "bank", "furnished"), self._furnished
        yield ("event", "platform", "borrowerRepaid"), self._due_date
        yield ("delivery", "bank", "bankNotice"), self._bank_notice
        yield ("event", "sms", "smsDelivered"), self._delivered

    # -- lookups ---------------------------------------------------------------------------------------

    def loan(self, loan: str) -> LoanFacts:
        facts = self.loans.get(loan)
        if facts is None:
            facts = self.loans[loan] = LoanFacts(loan)
        return facts

    def borrower_of(self, loan: str | None) -> str | None:
        if loan is None:
            return None
        facts = self.loans.get(loan)
        return facts.borrower if facts is not None else None

    def loan_of_acct(self, acct_code: str | None) -> str | None:
        """The loan a bureau AcctCode belongs to (the bank uses the loanOuterNo as AcctCode)."""
        if acct_code is None:
            return None
        return self.acct_codes.get(acct_code, acct_code)

    def acct_of(self, loan: str) -> str:
        facts = self.loans.get(loan)
        return facts.acct_code if facts is not None and facts.acct_code else loan

    def due_date(self, loan: str, no: int) -> date | None:
        facts = self.loans.get(loan)
        return facts.due_date(no) if facts is not None else None

    def target(self, sms: Sms) -> tuple[str, int] | None:
        """The (loan, installment) an SMS is the overdue notice of: by its OutId (the bank's register), else by
        its number (the loan registered with it) and its ``dueDate`` parameter (that loan's installment)."""
        if sms.out_id is not None:
            known = self.notices.get(sms.out_id)
            if known is not None:
                return known
        due = parse_date(sms.params.get("dueDate"))
        if due is None or sms.phone is None:
            return None
        found = []
        for loan in self.phones.get(sms.phone, ()):
            no = self.loan(loan).installment_due_on(due)
            if no is not None:
                found.append((loan, no))
        return found[0] if len(found) == 1 else None

    def about(self, sms: Sms) -> tuple[str | None, int | None]:
        """The (loan, installment) an SMS is about: :meth:`target`, else the only loan registered with its number
        (installment ``None``); ``(None, None)`` when neither tells."""
        target = self.target(sms)
        if target is not None:
            return target
        loans = self.phones.get(sms.phone, ()) if sms.phone is not None else ()
        return (loans[0], None) if len(loans) == 1 else (None, None)

    def is_overdue_notice(self, sms: Sms) -> bool:
        """An overdue SMS: the template of the bank's overdue notices, or one sent under a notice's OutId."""
        if sms.template is not None and sms.template in self.overdue_templates:
            return True
        return sms.out_id is not None and sms.out_id in self.notices

    # -- feeding ---------------------------------------------------------------------------------------

    def _registered(self, entry: Entry) -> None:
        if entry.loan is None:
            return
        facts = self.loan(entry.loan)
        data = entry.data
        facts.borrower = entry.borrower or facts.borrower
        acct = as_text(data.get("acctCode"))
        if acct is not None:
            facts.acct_code = acct
            self.acct_codes[acct] = entry.loan
        grace = as_int(data.get("graceDays"))
        if grace is not None:
            facts.grace_days = grace
            facts.grace_business_days = data.get("graceBusinessDays") is True
        cutoff = as_text(data.get("cutoff"))
        if cutoff is not None:
            # what a journal says is not trusted to be well-formed: a bad one counts as none (the day's end)
            with suppress(ValueError):
                facts.cutoff = time.fromisoformat(cutoff)
        first = parse_date(data.get("firstDueDate"))
        if first is not None:
            facts.first_due = first
        term = as_int(data.get("term"))
        if term is not None:
            facts.term = term

    def _register_request(self, entry: Entry) -> None:
        body = body_of(entry)
        if not isinstance(body, Mapping):
            return
        loan = as_text(body.get("loanOuterNo"))
        if loan is None:
            return
        facts = self.loan(loan)
        borrower = as_text(body.get("borrowerId"))
        if borrower is not None:
            facts.borrower = facts.borrower or borrower
            name = as_text(body.get("name"))
            if name is not None:
                self.names[borrower] = name
            id_number = as_text(body.get("certNo"))
            if id_number is not None:
                self.id_numbers[id_number] = borrower
        phone = as_text(body.get("phone"))
        if phone is not None and facts.phone is None:
            facts.phone = phone
            self.phones.setdefault(phone, []).append(loan)
        term = as_int(body.get("term"))
        if facts.term is None and term is not None:
            facts.term = term
        disbursed = parse_date(body.get("disburseDate"))
        due_day = as_int(body.get("dueDay"))
        if facts.first_due is None and disbursed is not None and due_day is not None and 1 <= due_day <= 28:
            facts.first_due = add_months(disbursed.replace(day=due_day), 1)

    def _schedule(self, entry: Entry) -> None:
        body = body_of(entry)
        if entry.status not in (200, 201) or not isinstance(body, Mapping):
            return
        loan = as_text(body.get("loanOuterNo")) or entry.loan
        rows = body.get("schedule", body.get("installments"))
        if loan is None or not isinstance(rows, list):
            return
        facts = self.loan(loan)
        if entry.borrower is not None and facts.borrower is None:
            facts.borrower = entry.borrower
        for row in rows:
            if not isinstance(row, Mapping):
                continue
            no = as_int(row.get("installmentNo"))
            due = parse_date(row.get("dueDate"))
            if no is None:
                continue
            if due is not None:
                facts.due_dates.setdefault(no, due)
            parts = [as_money(row.get(name)) for name in ("duePrincipal", "dueInterest", "dueCharge")]
            if no not in facts.due_amounts and all(part is not None for part in parts):
                facts.due_amounts[no] = sum((part for part in parts if part is not None), Decimal("0.00"))
        if facts.term is None:
            facts.term = as_int(body.get("totalInstallmentNo")) or len(rows)

    def _notice(self, entry: Entry) -> None:
        data = entry.data
        no = as_int(data.get("installmentNo"))
        out_id = entry.sms_out_id or as_text(data.get("outId"))
        if entry.loan is None or no is None:
            return
        self.notice_seqs.setdefault((entry.loan, no), []).append(entry.seq)
        if out_id is not None:
            self.notices[out_id] = (entry.loan, no)
        template = as_text(data.get("templateCode"))
        if template is None and out_id is not None and "-SMS_" in out_id:
            template = "SMS_" + out_id.rsplit("-SMS_", 1)[1]
        if template is not None:
            self.overdue_templates.add(template)
        if entry.borrower is not None:
            self.loan(entry.loan).borrower = self.loan(entry.loan).borrower or entry.borrower

    def _due_date(self, entry: Entry) -> None:
        no = as_int(entry.data.get("installmentNo"))
        due = parse_date(entry.data.get("dueDate"))
        if entry.loan is None or no is None:
            return
        facts = self.loan(entry.loan)
        if entry.borrower is not None and facts.borrower is None:
            facts.borrower = entry.borrower
        if due is not None:
            facts.due_dates.setdefault(no, due)

    def _furnished(self, entry: Entry) -> None:
        acct = as_text(entry.data.get("acctCode"))
        if acct is not None and entry.loan is not None:
            self.acct_codes.setdefault(acct, entry.loan)

    def _bank_notice(self, entry: Entry) -> None:
        body = body_of(entry)
        if isinstance(body, Mapping) and body.get("noticeType") == "OVERDUE":
            template = as_text(body.get("smsTemplateCode"))
            if template is not None:
                self.overdue_templates.add(template)

    def _delivered(self, entry: Entry) -> None:
        data = entry.data
        params = data.get("params")
        to_intended = data.get("toIntended")
        copy = as_int(data.get("copy"))
        self.sms.append(
            Sms(
                seq=entry.seq,
                at=entry.virtual_time,
                out_id=entry.sms_out_id or as_text(data.get("outId")),
                phone=as_text(data.get("phone")),
                template=as_text(data.get("templateCode")),
                params=params if isinstance(params, Mapping) else {},
                recipient=as_text(data.get("recipient")) or entry.borrower,
                intended=as_text(data.get("intended")),
                to_intended=to_intended if isinstance(to_intended, bool) else None,
                biz_id=as_text(data.get("bizId")),
                copy=copy if copy is not None else 1,
                content=as_text(data.get("content")),
                source=as_text(data.get("source")),
                sent_at=parse_instant(data.get("sendTime")),
            )
        )
