"""What the bank tells the platform: repayment results and notices, delivered with retries (``engine.deliver``)."""

from __future__ import annotations

from typing import Any, Final

from simulator.core import Engine
from simulator.domain import iso, money_str
from simulator.partners.bank._account import LoanAccount, Repayment
from simulator.partners.bank._common import bounded_id
from simulator.partners.bank._config import BankConfig

__all__ = ["BUREAU_CORRECTED", "BUREAU_REPORTED", "OVERDUE", "notify_result", "send_notice"]

OVERDUE: Final = "OVERDUE"
BUREAU_REPORTED: Final = "BUREAU_REPORTED"
BUREAU_CORRECTED: Final = "BUREAU_CORRECTED"
_SHORT: Final = {OVERDUE: "OVD", BUREAU_REPORTED: "RPT", BUREAU_CORRECTED: "COR"}


def notify_result(engine: Engine, config: BankConfig, account: LoanAccount, repayment: Repayment) -> None:
    """``repayResultNotify`` for a repayment that reached a final state."""
    body = {
        "respCode": repayment.code,
        "respMsg": repayment.message,
        "loanOuterNo": repayment.loan_no,
        "repayOuterNo": repayment.key,
        "repayAmount": repayment.repay_amount,
        "repayStatus": repayment.status,
        "notifiedAt": iso(engine.clock.now()),
    }
    engine.deliver(
        "bank.repayResultNotify",
        body,
        borrower=account.borrower,
        loan=account.loan_no,
        serial=repayment.key,
        retry=config.callback_retry,
    )


def send_notice(
    engine: Engine,
    config: BankConfig,
    account: LoanAccount,
    notice_type: str,
    installment: int,
    *,
    sms_template: str | None,
    tag: str = "",
) -> dict[str, Any]:
    """``bankNotice`` of ``notice_type`` about ``installment``, as the bank's ledger sees it now."""
    now = engine.clock.now()
    state = account.view(now)[installment]
    today = engine.clock.calendar.local_date(now)
    body = {
        "noticeId": bounded_id("NT", _SHORT[notice_type], installment, *([tag] if tag else []), account.loan_no),
        "noticeType": notice_type,
        "loanOuterNo": account.loan_no,
        "installmentNo": installment,
        "dueDate": state.due_date.isoformat(),
        "overdueDays": max((today - state.due_date).days, 0) if state.overdue else 0,
        "amountDue": money_str(state.owed.total),
        "sentAt": iso(now),
        "smsTemplateCode": sms_template,
    }
    engine.deliver(
        "bank.bankNotice",
        body,
        borrower=account.borrower,
        loan=account.loan_no,
        retry=config.callback_retry,
    )
    return body
