"""The overdue batch (逾期批处理): marks installments past due and grace, accrues penalties, sends the notices.

It runs daily at ``overdue_batch_time`` and looks at the ledger as it is *then*: an installment not fully
posted whose grace ended (the cut-off of its last grace day) turns OVERDUE, whatever the platform collected
but did not forward. For each overdue installment the borrower gets exactly one overdue notice SMS through
the gateway — OutId ``ovd-<loan>-<installment>-<template>``, to the phone registered with the loan — and
the platform a ``bankNotice`` (OVERDUE). A send that failed is tried again at the next run; one whose
answer was lost (a timeout: it may have gone out) is first looked up with ``querySendDetails``, never
blindly repeated.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from urllib.parse import urlencode

from simulator.core import Engine
from simulator.domain import money_str
from simulator.masking import mask_phone
from simulator.partners.bank._account import BankState, LoanAccount, Notice
from simulator.partners.bank._common import bounded_id
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._notify import OVERDUE, send_notice

__all__ = ["OverdueBatch"]


class OverdueBatch:
    """The daily overdue batch and the overdue notices."""

    def __init__(self, engine: Engine, config: BankConfig, state: BankState) -> None:
        self.engine = engine
        self.config = config
        self.state = state

    def run(self, day: date) -> None:
        counts = {"newlyOverdue": 0, "overdue": 0, "noticesSent": 0, "noticesFailed": 0}
        clock = self.engine.clock
        now = clock.now()  # virtual time stands still while the batch runs
        today = clock.calendar.local_date(now)
        for account in self.state.accounts.values():
            # Most accounts have nothing past its grace: skipped here, before any per-account work.
            if account.batch_done or (account.batch_after is not None and now <= account.batch_after):
                continue  # postings only ever pay more
            self._run_loan(account, now, today, counts)
        self.engine.event("bank", "overdueBatch", data={"businessDate": day.isoformat(), **counts})

    def _run_loan(self, account: LoanAccount, now: datetime, today: date, counts: dict[str, int]) -> None:
        engine = self.engine
        ledger = account.ledger
        view = account.view(now)
        unpaid = [state for state in view.installments if not state.repaid]
        future = [account.deadline(state.no) for state in unpaid if now <= account.deadline(state.no)]
        # Repaid late, found overdue when the money arrived (before this batch could): notified all the same.
        late = [no for no in sorted(account.late_collected) if view[no].repaid and not self._noticed(account, no)]
        for no in late:
            self._count(self._notify(account, no, view[no].due_date), counts)
        account.batch_done = not unpaid and all(self._noticed(account, no) for no in late)
        account.batch_after = min(future) if len(future) == len(unpaid) and future and not late else None
        for state in unpaid:
            if now <= account.deadline(state.no):
                continue
            newly = state.no not in ledger.marks
            if newly:
                ledger.mark(state.no, now)
                counts["newlyOverdue"] += 1
            counts["overdue"] += 1
            config = self.config
            penalty = ledger.accrue(
                state.no,
                now,
                today,
                config.penalty_rate,
                state.owed.principal,
                config.penalty_rounding,
                config.penalty_rounding_mode,
            )
            if newly:
                owed = account.view(now)[state.no].owed
                engine.event(
                    "bank",
                    "installmentOverdue",
                    borrower=account.borrower,
                    loan=account.loan_no,
                    data={
                        "installmentNo": state.no,
                        "dueDate": state.due_date.isoformat(),
                        "graceEnd": account.deadline(state.no).isoformat(),
                        "overdueDays": (today - state.due_date).days,
                        "outstanding": money_str(owed.total),
                        "penalty": money_str(penalty),
                    },
                )
            self._count(self._notify(account, state.no, state.due_date), counts)

    @staticmethod
    def _count(sent: bool | None, counts: dict[str, int]) -> None:
        if sent is True:
            counts["noticesSent"] += 1
        elif sent is False:
            counts["noticesFailed"] += 1

    @staticmethod
    def _noticed(account: LoanAccount, no: int) -> bool:
        notice = account.notices.get(no)
        return notice is not None and notice.state == "sent"

    # -- the overdue notice -------------------------------------------------------------------------

    def _notify(self, account: LoanAccount, no: int, due: date) -> bool | None:
        """Send the installment's notice unless it went out; True sent now, False failed, None nothing done."""
        notice = account.notices.get(no)
        if notice is not None and notice.state == "sent":
            return None
        if notice is not None and notice.state == "unknown":
            found = self._look_up(account, notice)
            if found is None:
                return None
            if found:
                self._sent(account, no, notice, None, "querySendDetails")
                return True
        code = self.config.sms_template_code
        out_id = bounded_id("ovd", account.loan_no, no, code)
        self.state.out_ids[out_id] = account.loan_no
        params = {"platform": self.config.sms_platform_name, "dueDate": due.isoformat()}
        body = {
            "PhoneNumbers": account.phone,
            "SignName": self.config.sms_sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "OutId": out_id,
        }
        now = self.engine.clock.now()
        if notice is None:
            notice = account.notices[no] = Notice(out_id, "pending", now, attempts=0)
        notice.attempts += 1
        notice.at = now
        response = self.engine.call("bank", "sms", "sendSms", body, borrower=account.borrower, loan=account.loan_no)
        answer = response.json() if response.status and response.body else None
        ids = {"borrower": account.borrower, "loan": account.loan_no, "sms_out_id": out_id}
        if response.transport_fault is not None:
            notice.state = "unknown"
            self.engine.event(
                "bank",
                "overdueNoticeUnknown",
                **ids,
                data={"installmentNo": no, "outId": out_id, "transportFault": response.transport_fault},
            )
            return False
        if response.status == 200 and isinstance(answer, dict) and answer.get("Code") == "OK":
            self._sent(account, no, notice, answer.get("BizId"), "sendSms")
            return True
        notice.state = "failed"
        self.engine.event(
            "bank",
            "overdueNoticeFailed",
            **ids,
            data={
                "installmentNo": no,
                "outId": out_id,
                "status": response.status,
                "code": answer.get("Code") if isinstance(answer, dict) else None,
                "message": (answer.get("Message") or answer.get("detail")) if isinstance(answer, dict) else None,
                "attempts": notice.attempts,
                "nextTry": "the next overdue batch",
            },
        )
        return False

    def _sent(self, account: LoanAccount, no: int, notice: Notice, biz_id: str | None, how: str) -> None:
        notice.state = "sent"
        notice.biz_id = biz_id
        self.engine.event(
            "bank",
            "overdueNoticeSent",
            borrower=account.borrower,
            loan=account.loan_no,
            sms_out_id=notice.out_id,
            data={
                "installmentNo": no,
                "bizId": biz_id,
                "outId": notice.out_id,
                "templateCode": self.config.sms_template_code,
                "phone": mask_phone(account.phone),
                "confirmedBy": how,
                "attempts": notice.attempts,
            },
        )
        send_notice(self.engine, self.config, account, OVERDUE, no, sms_template=self.config.sms_template_code)

    def _look_up(self, account: LoanAccount, notice: Notice) -> bool | None:
        """Whether the gateway's outbox holds the notice (after a lost answer); None if it cannot be told."""
        day = self.engine.clock.calendar.local_date(notice.at)
        query = urlencode({"PhoneNumber": account.phone, "SendDate": day.strftime("%Y%m%d"), "PageSize": 50})
        response = self.engine.call(
            "bank", "sms", "querySendDetails", query=query, borrower=account.borrower, loan=account.loan_no
        )
        answer = response.json() if response.status == 200 and response.body else None
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            return None
        return any(item.get("OutId") == notice.out_id for item in answer.get("SmsSendDetailDTOs", []))
