"""The subject report: the contract's ``SubjectReport`` from the store and the disputes, ID masked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from simulator.masking import mask_id
from simulator.partners.bureau._disputes import Disputes
from simulator.partners.bureau._store import Account, Store, SubjectKey

__all__ = ["subject_report"]


def subject_report(
    store: Store, disputes: Disputes, subject: SubjectKey, today: date, local_date: Callable[[datetime], date]
) -> dict[str, Any]:
    """Every live account of ``subject`` with its months (dispute flag, objections) and history, and the
    subject's disputes. A subject the bureau does not know gets an empty report."""
    id_type, id_num = subject
    return {
        "subject": {"IDType": id_type, "IDNumMasked": mask_id(id_num)},
        "accounts": [_account(account, disputes, subject) for account in store.accounts_of(subject)],
        "disputes": [
            d.to_json(today, None if d.answered_at is None else local_date(d.answered_at)) for d in disputes.of(subject)
        ],
    }


def _account(account: Account, disputes: Disputes, subject: SubjectKey) -> dict[str, Any]:
    months = []
    for month in sorted(account.months):
        state = account.months[month]
        segment = state.segment
        months.append(
            {
                "Month": month,
                "AcctStatus": segment["AcctStatus"],
                "RpyStatus": segment["RpyStatus"],
                "AcctBal": segment["AcctBal"],
                "OverdPrd": segment["OverdPrd"],
                "disputed": disputes.flagged(subject, account.acct_code, month),
                "objections": [objection.to_json() for objection in state.objections],
            }
        )
    return {
        "AcctCode": account.acct_code,
        "MngmtOrgCode": account.mngmt_org,
        "AcctType": account.acct_type,
        "months": months,
        "history": [entry.to_json() for entry in account.history],
    }
