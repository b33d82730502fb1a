"""What the bank reports to the credit bureau: the monthly segment of an account, 210 and 212 records.

A month's segment (``AcctMthlyBlgInfSgmt``) is computed from the ledger as of an instant. Its ``RpyStatus``
depends on the furnishing mode:

- ``daily``: the worst delinquency the account reached *in that month* at the bank (``1``–``7`` by days past
  due), else ``C`` when settled, else ``N``. A repayment that reaches the bank after its overdue batch ends the
  delinquency, but it happened: later records of the month still say so, and only a 212 correction (built
  with the installment *excused*: counted as paid when the platform collected it) takes it back.
- ``monthly`` (Huabei-style): the status at the end of the month only, so anything put right within the
  month never shows.

Overdue buckets: ``1`` = 1–30 days past due, ``2`` = 31–60, … ``6`` = 151–180, ``7`` = more than 180.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from simulator.clock import Calendar
from simulator.domain import ZERO, money, money_str, total
from simulator.partners.bank._account import LoanAccount
from simulator.partners.bank._common import last_day, month_start, next_month
from simulator.partners.bank._ledger import LedgerView

__all__ = [
    "SEGMENT",
    "Segment",
    "account_record",
    "acct_status",
    "bucket",
    "correction_record",
    "five_category",
    "may_report",
    "month_end",
    "report_code",
    "segment",
    "unchanged",
]

SEGMENT: Final = "AcctMthlyBlgInfSgmt"
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """A month's segment, whether it is negative, and the installments that make it so."""

    month: str
    body: dict[str, Any]
    negative: bool
    installments: tuple[int, ...]


def bucket(days: int) -> str:
    """The RpyStatus of an account ``days`` past due (at least 1)."""
    return str(min(max((days - 1) // 30 + 1, 1), 7))


def five_category(days: int) -> str:
    """The five-level classification (五级分类) by days past due: 正常, 关注, 次级, 可疑, 损失."""
    if days <= 0:
        return "1"
    if days <= 90:
        return "2"
    if days <= 180:
        return "3"
    return "4" if days <= 360 else "5"


def month_end(month: str, calendar: Calendar) -> datetime:
    """The last instant of ``month`` in the calendar's zone."""
    return calendar.at(month_start(next_month(month)), time(0)) - _MICROSECOND


def segment(
    account: LoanAccount,
    month: str,
    *,
    as_of: datetime,
    rpt_date: date,
    mode: str,
    calendar: Calendar,
    excused: Iterable[int] = (),
) -> Segment:
    """``month``'s segment as the ledger stood at ``as_of`` (which must not be after the month's end)."""
    spared = frozenset(excused)
    view = account.ledger.view(as_of, spared)
    first = calendar.at(month_start(month), time(0))
    end = last_day(month)
    due_now = [state for state in view.installments if state.due_date.isoformat()[:7] == month]
    overdue = view.overdue
    days_now = (rpt_date - min(state.due_date for state in overdue)).days if overdue else 0
    contributing: list[int]
    if mode == "daily":
        worst = 0
        contributing = []
        for state in view.installments:
            if state.marked_at is None or state.marked_at > as_of:
                continue
            until = state.paid_off_at or as_of
            if until < first:
                continue
            last = min(calendar.local_date(min(until, as_of)), end)
            worst = max(worst, (last - state.due_date).days, 1)
            contributing.append(state.no)
        status = bucket(worst) if worst else ("C" if view.settled else "N")
    else:
        contributing = [state.no for state in overdue]
        status = bucket(days_now) if overdue else ("C" if view.settled else "N")
    status_of_account = acct_status(view)
    paid, latest = _repaid(account, spared, first, as_of, calendar)
    settlement = due_now[0].due_date if due_now and due_now[0].due_date <= rpt_date else rpt_date
    body = {
        "Month": month,
        "SettDate": settlement.isoformat(),
        "AcctStatus": status_of_account,
        "AcctBal": money_str(view.outstanding_principal),
        "RemRepPrd": sum(1 for state in view.installments if not state.repaid),
        "FiveCate": five_category(days_now),
        "RpyStatus": status,
        "OverdPrd": len(overdue),
        "TotOverd": money_str(total(state.owed.total for state in overdue)),
        "OverdPrinc": money_str(total(state.owed.principal for state in overdue)),
        "CurRpyAmt": money_str(total(state.due.principal + state.due.interest + state.due.fee for state in due_now)),
        "ActRpyAmt": money_str(paid),
        "LatRpyDate": latest.isoformat() if latest else None,
    }
    negative = status in "1234567" or status_of_account == "2"
    return Segment(month, body, negative, tuple(contributing) if negative else ())


def acct_status(view: LedgerView) -> str:
    """The segment's ``AcctStatus`` of an account whose ledger stands as ``view``: ``3`` settled, ``2`` overdue,
    ``1`` open."""
    return "3" if view.settled else ("2" if view.overdue else "1")


def _repaid(
    account: LoanAccount, spared: frozenset[int], first: datetime, as_of: datetime, calendar: Calendar
) -> tuple[Decimal, date | None]:
    """What was repaid in the month up to ``as_of``, and the latest repayment date up to then."""
    amount = ZERO
    latest: date | None = None
    for posting in account.ledger.postings:
        for line in posting.lines:
            when = posting.collected_at if line.installment in spared else posting.posted_at
            if when > as_of:
                continue
            if when >= first:
                amount += line.parts.total
            day = min(calendar.local_date(posting.collected_at), calendar.local_date(when))
            latest = day if latest is None or day > latest else latest
    return amount, latest


#: Fields that change without anything happening to the account: SettDate follows the report date, TotOverd
#: grows with the daily penalty. A segment that differs only in them is not news.
_DRIFTING: Final = frozenset({"SettDate", "TotOverd"})


def unchanged(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Whether a segment says nothing new compared with the last one reported."""
    if before is None:
        return False
    return {k: v for k, v in before.items() if k not in _DRIFTING} == {
        k: v for k, v in after.items() if k not in _DRIFTING
    }


#: RptDateCode of a 个人借贷账户记录 (D1), lending-domain.md §1.3 [S9]: the moments a 210 may be reported at.
NEW_ACCOUNT: Final = "10"  # 新开户
CLOSED: Final = "20"  # 账户关闭
MONTHLY: Final = "30"  # 月度结算
FIRST_AT_MONTH_END: Final = "31"  # 月结日首次上报存量账户
CLOSED_AT_MONTH_END: Final = "32"  # 月结日账户关闭
RECOVERED: Final = "40"  # 收回逾期款项


def report_code(account: LoanAccount, seg: Segment, *, at_month_end: bool) -> str | None:
    """The RptDateCode of reporting ``seg`` now, or ``None`` when now is no moment to report it.

    Reporting is event-driven (10/20/40) plus monthly (30) (lending-domain.md §1.3): at a month's end (its
    settlement, RptDate the month's last day) the code is 30 — 31 for the first report of an account opened
    before that month, 32 for one closed; within a month only an event is reported: the account opened that month
    (10), closed (20), or an overdue the bureau was told of paid back (40). Anything else that changes within a
    month — an installment falling overdue, a new month starting — waits for the month's 30.
    """
    body = seg.body
    if not may_report(account, seg.month, body["AcctStatus"], at_month_end=at_month_end):
        return None
    if not account.first_reported:
        return NEW_ACCOUNT if seg.month == _opened(account) else FIRST_AT_MONTH_END
    if body["AcctStatus"] == "3":
        return CLOSED_AT_MONTH_END if at_month_end else CLOSED
    if at_month_end:
        return MONTHLY
    recovered = money(body["ActRpyAmt"]) > ZERO and body["LatRpyDate"] is not None
    return RECOVERED if recovered else None


def may_report(account: LoanAccount, month: str, status: str, *, at_month_end: bool) -> bool:
    """Whether a segment of ``month`` whose ``AcctStatus`` is ``status`` can be reported now at all: when not,
    :func:`report_code` is ``None`` whatever else the segment says, so the furnishing need not compute it."""
    if not account.first_reported:
        return at_month_end or month == _opened(account)
    return status == "3" or at_month_end or (account.last_acct_status == "2" and status != "2")


def _opened(account: LoanAccount) -> str:
    """The month the account was opened (disbursed), ``YYYY-MM``."""
    return f"{account.disburse_date.year:04d}-{account.disburse_date.month:02d}"


def account_record(account: LoanAccount, seg: Segment, rpt_date: date, code: str, org_code: str) -> dict[str, Any]:
    """A 210 个人借贷账户记录 for ``seg``."""
    registration = account.registration
    return {
        "InfRecType": "210",
        "AcctCode": account.acct_code,
        "RptDate": rpt_date.isoformat(),
        "RptDateCode": code,
        "Name": str(registration["name"])[:30],
        "IDType": "10",
        "IDNum": registration["certNo"],
        "MngmtOrgCode": org_code,
        "AcctType": "D1",
        "OpenDate": registration["disburseDate"],
        "LoanAmt": registration["principal"],
        "DueDate": account.ledger.schedule[-1].due_date.isoformat(),
        SEGMENT: seg.body,
    }


def correction_record(account: LoanAccount, seg: Segment) -> dict[str, Any]:
    """A 212 按段更正 replacing ``seg.month``'s loaded segment with ``seg``."""
    return {
        "InfRecType": "212",
        "ModRecCode": f"{account.acct_code}{seg.month}",
        "AcctCode": account.acct_code,
        "Month": seg.month,
        "MdfcSgmtCode": SEGMENT,
        SEGMENT: seg.body,
    }
