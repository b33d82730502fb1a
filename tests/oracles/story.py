"""Hand-built journals for the oracle tests: each method appends what the partners (or the runner) would journal
and returns the seq(s), so a test can assert the chain of a violation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from simulator.clock import Calendar
from simulator.journal import Journal
from simulator.oracles import INVARIANTS, Verdict

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = Calendar("Asia/Shanghai", "mainland")
LOAN = "LN201902100001"
BORROWER = "B000123"
PHONE = "13912345678"
ID_NUMBER = "110105199003071239"
CARD = "6214830112345672"  # Luhn-valid
NAME = "张伟"
TEMPLATE = "SMS_153055065"
OUT_ID = f"ovd-{LOAN}-3-{TEMPLATE}"
CONTENT = (
    "【民生银行】您在小米金融的贷款于2019-05-10发生逾期。根据《征信业管理条例》的规定，"
    "我行将该笔贷款逾期相关信息报送至金融信用信息基础数据库。"
)


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2019, month, day, hour, minute, second, tzinfo=TZ)


def check(journal: Journal, key: str, end: datetime, params: Mapping[str, Any] | None = None) -> Verdict:
    return INVARIANTS[key](journal, params or {}, calendar=CALENDAR, end=end)


class Story:
    """A journal written entry by entry, as the simulator and the runner write it."""

    def __init__(self) -> None:
        self.journal = Journal()
        self._serial = 0

    def _corr(self) -> str:
        self._serial += 1
        return f"r{self._serial}"

    def event(self, partner: str, name: str, when: datetime, **fields: Any) -> int:
        return self.journal.append("event", when, partner=partner, operation=name, **fields).seq

    # -- loans ------------------------------------------------------------------------------------------

    def loan(
        self,
        loan: str = LOAN,
        borrower: str = BORROWER,
        *,
        when: datetime | None = None,
        first_due: date = date(2019, 3, 10),
        term: int = 3,
        phone: str = PHONE,
        name: str = NAME,
        amounts: tuple[str, ...] = ("1018.00", "1012.00", "1006.00"),
        grace_business_days: bool = False,
        cutoff: str | None = None,
    ) -> int:
        when = when or at(2, 10)
        corr = self._corr()
        body = {
            "loanOuterNo": loan,
            "borrowerId": borrower,
            "principal": "3000.00",
            "term": term,
            "dueDay": first_due.day,
            "disburseDate": "2019-02-10",
            "name": name,
            "certNo": ID_NUMBER,
            "phone": phone,
        }
        self.journal.append(
            "request",
            when,
            partner="bank",
            operation="registerLoan",
            loan=loan,
            borrower=borrower,
            correlation=corr,
            data={"headers": {"x-lendsim-source": "harness"}, "body": body},
        )
        seq = self.event(
            "bank",
            "loanRegistered",
            when,
            borrower=borrower,
            loan=loan,
            data={
                "term": term,
                "firstDueDate": first_due.isoformat(),
                "graceDays": 3,
                "graceBusinessDays": grace_business_days,
                **({"cutoff": cutoff} if cutoff is not None else {}),
                "acctCode": loan,
            },
        )
        schedule = [
            {
                "installmentNo": no,
                "dueDate": date(2019, first_due.month + no - 1, first_due.day).isoformat(),
                "duePrincipal": "1000.00",
                "dueInterest": str(Decimal(amount) - 1000),
                "dueCharge": "0.00",
            }
            for no, amount in enumerate(amounts, start=1)
        ]
        self.journal.append(
            "response",
            when,
            partner="bank",
            operation="registerLoan",
            loan=loan,
            borrower=borrower,
            correlation=corr,
            status=201,
            data={"body": {"loanOuterNo": loan, "status": "ACTIVE", "schedule": schedule}},
        )
        return seq

    def repaid(
        self, when: datetime, no: int = 3, amount: str = "1006.00", loan: str = LOAN, due: str = "2019-05-10"
    ) -> int:
        return self.event(
            "platform",
            "borrowerRepaid",
            when,
            borrower=BORROWER,
            loan=loan,
            data={"installmentNo": no, "amount": amount, "paidAt": when.isoformat(), "dueDate": due},
        )

    def apply(
        self,
        when: datetime,
        *,
        no: int = 3,
        serial: str = "RP3",
        status: int = 200,
        state: str = "PROCESSING",
        source: str | None = None,
        delay: float | None = None,
        fault: str | None = None,
        loan: str = LOAN,
        actual: datetime | None = None,
        mode: str = "PARTNER_COLLECT",
    ) -> tuple[int, int]:
        corr = self._corr()
        body = {
            "repayOuterNo": serial,
            "loanOuterNo": loan,
            "repayAmount": "1006.00",
            "repayMode": mode,
            "actualRepayDate": (actual or when).isoformat(),
            "repayList": [{"installmentNo": no, "paidPrincipal": "1000.00", "paidInterest": "6.00", "paidFee": "0.00"}],
        }
        headers = {"x-lendsim-source": source} if source else {}
        request = self.journal.append(
            "request",
            when,
            partner="bank",
            operation="repayApply",
            loan=loan,
            serial=serial,
            correlation=corr,
            data={"headers": headers, "body": body},
        ).seq
        data: dict[str, Any] = {"body": {"repayOuterNo": serial, "loanOuterNo": loan, "repayStatus": state}}
        if delay is not None:
            data["delay"] = delay
        if fault is not None:
            data = {"transportFault": fault}
        response = self.journal.append(
            "response",
            when + timedelta(seconds=delay or 0),  # as the engine journals a delayed answer: when it arrives
            partner="bank",
            operation="repayApply",
            loan=loan,
            serial=serial,
            correlation=corr,
            status=None if fault else status,
            data=data,
        ).seq
        return request, response

    def request(
        self,
        when: datetime,
        partner: str,
        operation: str,
        body: Any = None,
        *,
        path: str = "/",
        query: str = "",
        headers: Mapping[str, str] | None = None,
        source: str | None = None,
        loan: str | None = None,
    ) -> int:
        """A request as the engine journals it (``source``: its x-lendsim-source; none is the platform)."""
        data: dict[str, Any] = {"method": "POST", "path": path}
        if query:
            data["query"] = query
        kept = dict(headers or {})
        if source is not None:
            kept["x-lendsim-source"] = source
        if kept:
            data["headers"] = kept
        if body is not None:
            data["body"] = body
        return self.journal.append(
            "request", when, partner=partner, operation=operation, loan=loan, correlation=self._corr(), data=data
        ).seq

    def refused(self, when: datetime, serial: str, code: str = "E1003", event: str = "repayFailed") -> int:
        """The bank refusing a repayment: at arrival (``repayRejected``) or when posting it (``repayFailed``)."""
        return self.event(
            "bank",
            event,
            when,
            borrower=BORROWER,
            loan=LOAN,
            serial=serial,
            data={"respCode": code, "respMsg": "more than is due", "repayAmount": "1006.00"},
        )

    def query(self, when: datetime, serial: str, state: str) -> int:
        corr = self._corr()
        self.journal.append(
            "request", when, partner="bank", operation="repayResultQuery", serial=serial, correlation=corr, data={}
        )
        return self.journal.append(
            "response",
            when,
            partner="bank",
            operation="repayResultQuery",
            serial=serial,
            loan=LOAN,
            correlation=corr,
            status=200,
            data={"body": {"repayOuterNo": serial, "loanOuterNo": LOAN, "repayStatus": state}},
        ).seq

    def notify(
        self,
        when: datetime,
        serial: str,
        state: str,
        *,
        status: int | None = 200,
        error: str | None = None,
        signature: str | None = None,
    ) -> int:
        data: dict[str, Any] = {
            "attempt": 1,
            "body": {"repayOuterNo": serial, "loanOuterNo": LOAN, "repayAmount": "1006.00", "repayStatus": state},
            "error": error,
        }
        if signature is not None:  # a signed run: the key id, or "forged" / "unsigned"
            data["signature"] = signature
        return self.journal.append(
            "delivery",
            when,
            partner="bank",
            operation="repayResultNotify",
            borrower=BORROWER,
            loan=LOAN,
            serial=serial,
            status=status,
            data=data,
        ).seq

    def posted(
        self,
        when: datetime,
        no: int = 3,
        principal: str = "1000.00",
        interest: str = "6.00",
        serial: str = "RP3",
        *,
        accounting_date: str | None = None,
        penalty: str = "0.00",
        loan: str = LOAN,
        borrower: str = BORROWER,
    ) -> int:
        line = {"installmentNo": no, "principal": principal, "interest": interest, "fee": "0.00", "penalty": penalty}
        data: dict[str, Any] = {"lines": [line]}
        if accounting_date is not None:
            data["accountingDate"] = accounting_date
        return self.event("bank", "repayPosted", when, borrower=borrower, loan=loan, serial=serial, data=data)

    def overdue(self, when: datetime, no: int = 3, due: str = "2019-05-10") -> int:
        return self.event(
            "bank", "installmentOverdue", when, borrower=BORROWER, loan=LOAN, data={"installmentNo": no, "dueDate": due}
        )

    def cleared(self, when: datetime, no: int = 3, due: str = "2019-05-10", within: bool = True) -> int:
        return self.event(
            "bank",
            "overdueCleared",
            when,
            borrower=BORROWER,
            loan=LOAN,
            serial="RP3",
            data={"installmentNo": no, "dueDate": due, "collectedWithinGrace": within},
        )

    def settled(self, when: datetime) -> int:
        return self.event("bank", "loanSettled", when, borrower=BORROWER, loan=LOAN, data={})

    # -- SMS --------------------------------------------------------------------------------------------

    def notice_sent(self, when: datetime, no: int = 3, out_id: str = OUT_ID) -> int:
        return self.event(
            "bank",
            "overdueNoticeSent",
            when,
            borrower=BORROWER,
            loan=LOAN,
            sms_out_id=out_id,
            data={"installmentNo": no, "outId": out_id, "templateCode": TEMPLATE},
        )

    def notice_failed(self, when: datetime, no: int = 3, out_id: str = OUT_ID) -> int:
        return self.event(
            "bank",
            "overdueNoticeFailed",
            when,
            borrower=BORROWER,
            loan=LOAN,
            sms_out_id=out_id,
            data={"installmentNo": no, "outId": out_id},
        )

    def send(self, when: datetime, out_id: str | None = OUT_ID) -> int:
        return self.journal.append(
            "request", when, partner="sms", operation="sendSms", sms_out_id=out_id, data={"body": {"OutId": out_id}}
        ).seq

    def sms(
        self,
        when: datetime,
        *,
        out_id: str | None = OUT_ID,
        phone: str = PHONE,
        recipient: str | None = BORROWER,
        intended: str | None = BORROWER,
        to_intended: bool | None = True,
        template: str = TEMPLATE,
        params: Mapping[str, str] | None = None,
        content: str | None = None,
        biz: str = "100^0",
        copy: int = 1,
        source: str | None = None,
        sent: datetime | None = None,
    ) -> int:
        return self.event(
            "sms",
            "smsDelivered",
            when,
            borrower=recipient,
            sms_out_id=out_id,
            data={
                "phone": phone,
                "bizId": biz,
                "outId": out_id,
                "templateCode": template,
                "params": dict(params or {"platform": "小米金融", "dueDate": "2019-05-10"}),
                "content": content if content is not None else text_of(template, params),
                "recipient": recipient,
                "intended": intended,
                "toIntended": to_intended,
                "copy": copy,
                **({"source": source} if source is not None else {}),
                **({"sendTime": sent.isoformat()} if sent is not None else {}),
            },
        )

    # -- the bureau -------------------------------------------------------------------------------------

    def submit(self, when: datetime, submission: str, records: list[dict[str, Any]]) -> tuple[int, int]:
        corr = self._corr()
        request = self.journal.append(
            "request",
            when,
            partner="bureau",
            operation="submitReport",
            loan=LOAN,
            correlation=corr,
            data={"headers": {"x-lendsim-source": "bank"}, "body": {"records": records}},
        ).seq
        response = self.journal.append(
            "response",
            when,
            partner="bureau",
            operation="submitReport",
            loan=LOAN,
            correlation=corr,
            status=202,
            data={"body": {"submissionId": submission}},
        ).seq
        return request, response

    def furnished(
        self,
        when: datetime,
        submission: str,
        month: str = "2019-05",
        rpy: str = "1",
        installments: tuple[int, ...] = (3,),
    ) -> int:
        return self.event(
            "bank",
            "furnished",
            when,
            borrower=BORROWER,
            loan=LOAN,
            data={
                "submissionId": submission,
                "acctCode": LOAN,
                "month": month,
                "rpyStatus": rpy,
                "negative": rpy in "1234567",
                "installments": list(installments),
            },
        )

    def loaded(self, when: datetime, submission: str, month: str = "2019-05", rpy: str = "1", kind: str = "210") -> int:
        return self.event(
            "bureau",
            "recordLoaded",
            when,
            loan=LOAN,
            data={
                "submissionId": submission,
                "InfRecType": kind,
                "Month": month,
                "segment": segment(month, rpy),
                "deletedMonths": [],
                "accountDeleted": False,
            },
        )

    def rejected(
        self, when: datetime, submission: str, code: str = "BBR002", month: str = "2019-05", kind: str = "210"
    ) -> int:
        return self.event(
            "bureau",
            "recordRejected",
            when,
            loan=LOAN,
            data={"submissionId": submission, "InfRecType": kind, "Month": month, "code": code, "message": "rejected"},
        )

    def dispute(self, when: datetime, dispute: str = "DSP1", month: str = "2019-05", due: str = "2019-06-05") -> int:
        return self.event(
            "bureau", "disputeFiled", when, loan=LOAN, data={"disputeId": dispute, "Month": month, "dueDate": due}
        )

    def answered(self, when: datetime, dispute: str = "DSP1", late: bool = False, outcome: str = "CORRECTED") -> int:
        return self.event(
            "bureau", "disputeAnswered", when, loan=LOAN, data={"disputeId": dispute, "outcome": outcome, "late": late}
        )

    # -- the platform -----------------------------------------------------------------------------------

    def ledger(self, when: datetime, installments: list[dict[str, str | int]], loan: str = LOAN) -> int:
        return self.event(
            "platform", "platformLedger", when, data={"loans": [{"loanOuterNo": loan, "installments": installments}]}
        )

    def log(self, when: datetime, line: str) -> int:
        return self.event("platform", "platformLog", when, data={"level": "INFO", "line": line})


def text_of(template: str, params: Mapping[str, str] | None) -> str:
    """What a phone shows for ``template``: the overdue notice's text, else the template and its parameters."""
    if template == TEMPLATE and params is None:
        return CONTENT
    return f"【小米金融】{template} " + " ".join(f"{k}={v}" for k, v in sorted((params or {}).items()))


def segment(month: str, rpy: str) -> dict[str, Any]:
    negative = rpy in "1234567"
    return {"Month": month, "AcctStatus": "2" if negative else "1", "RpyStatus": rpy, "AcctBal": "1000.00"}


def record(month: str, rpy: str, kind: str = "210") -> dict[str, Any]:
    body: dict[str, Any] = {"InfRecType": kind, "AcctCode": LOAN, "AcctMthlyBlgInfSgmt": segment(month, rpy)}
    if kind == "212":
        body["Month"] = month
    return body


def paid_row(no: int, principal: str = "1000.00", interest: str = "6.00") -> dict[str, str | int]:
    return {
        "installmentNo": no,
        "paidPrincipal": principal,
        "paidInterest": interest,
        "paidFee": "0.00",
        "paidPenalty": "0.00",
        "status": "REPAYED",
    }
