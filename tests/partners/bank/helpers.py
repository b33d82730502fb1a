"""Builders and test doubles for the bank's tests: loans, repayments, a platform receiver, a scripted bureau.

Only the bank model is installed; the SMS gateway and the bureau answer as the generic mock (their contract's
example) unless a test installs the scripted :class:`StubBureau`, which answers feedback as the test says —
so these tests never depend on the other partners' models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simulator.core import Call, DeliveryResult, Engine, Reply, Response
from simulator.journal import Entry
from simulator.openapi import Operation
from simulator.partners.bank import BankConfig, BankModel

TZ = ZoneInfo("Asia/Shanghai")
LOAN_NO = "LN201902100001"


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant of 2019 in Asia/Shanghai."""
    return datetime(2019, month, day, hour, minute, second, tzinfo=TZ)


def new_engine(config: BankConfig | None = None, *, start: datetime | None = None) -> tuple[Engine, BankModel]:
    engine = Engine(seed=7, strict=True, start=start or at(5, 1))
    bank = BankModel(engine, config or BankConfig())
    engine.install(bank)
    return engine, bank


def loan_body(**overrides: Any) -> dict[str, Any]:
    """The contract's example loan: 3000.00 over 3 months, due on the 10th (Mar, Apr, May 2019)."""
    body: dict[str, Any] = {
        "loanOuterNo": LOAN_NO,
        "borrowerId": "B000123",
        "creditContractNo": "CC201902100001",
        "principal": "3000.00",
        "annualRate": "0.0720",
        "term": 3,
        "dueDay": 10,
        "disburseDate": "2019-02-10",
        "repayMethod": "EQUAL_PRINCIPAL",
        "name": "张伟",
        "certType": "ID_CARD",
        "certNo": "110105199003071239",
        "phone": "13912345678",
    }
    body.update(overrides)
    return body


def register(engine: Engine, **overrides: Any) -> Response:
    return engine.call("platform", "bank", "registerLoan", loan_body(**overrides))


def repayment(
    key: str,
    installment: int,
    principal: str,
    interest: str,
    *,
    collected: str = "2019-05-10T20:15:00+08:00",
    amount: str | None = None,
    repay_type: str = "NORMAL_REPAY",
    loan: str = LOAN_NO,
    penalty: str | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "installmentNo": installment,
        "paidPrincipal": principal,
        "paidInterest": interest,
        "paidFee": "0.00",
    }
    if penalty is not None:
        line["paidPenalty"] = penalty
    repay_list = lines if lines is not None else [line]
    if amount is None:
        cents = sum(
            round(float(item[name]) * 100)
            for item in repay_list
            for name in ("paidPrincipal", "paidInterest", "paidFee", "paidPenalty")
            if name in item
        )
        amount = f"{cents // 100}.{cents % 100:02d}"
    return {
        "reqNo": f"REQ-{key}",
        "repayOuterNo": key,
        "loanOuterNo": loan,
        "repayAmount": amount,
        "repayMode": "PARTNER_COLLECT",
        "repayType": repay_type,
        "actualRepayDate": collected,
        "repayList": repay_list,
    }


def repay(engine: Engine, body: Mapping[str, Any]) -> Response:
    return engine.call("platform", "bank", "repayApply", dict(body))


def get_loan(engine: Engine, loan: str = LOAN_NO) -> Response:
    return engine.call("platform", "bank", "getLoan", params={"loanOuterNo": loan})


def installment(engine: Engine, number: int, loan: str = LOAN_NO) -> dict[str, Any]:
    schedule: list[dict[str, Any]] = get_loan(engine, loan).json()["schedule"]
    return schedule[number - 1]


def events(engine: Engine, name: str, **filters: Any) -> list[Entry]:
    return list(engine.journal.iter(kind="event", partner="bank", operation=name, **filters))


def requests(engine: Engine, partner: str, operation: str) -> list[Entry]:
    """Requests the bank made to another partner, oldest first."""
    return [
        entry
        for entry in engine.journal.iter(kind="request", partner=partner, operation=operation)
        if entry.data.get("headers", {}).get("x-lendsim-source") == "bank"
    ]


def submitted_records(engine: Engine) -> list[dict[str, Any]]:
    """Every record the bank submitted to the bureau, in order."""
    return [record for entry in requests(engine, "bureau", "submitReport") for record in entry.data["body"]["records"]]


@dataclass
class Receiver:
    """The platform's receivers: records each delivery and answers with the next scripted status (200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[str, Any, datetime]] = field(default_factory=list)
    engine: Engine | None = None

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        assert self.engine is not None
        self.received.append((operation.operation_id, body, self.engine.clock.now()))
        status = self.statuses.pop(0) if self.statuses else 200
        return DeliveryResult(status)

    def of(self, operation: str) -> list[Any]:
        return [body for name, body, _ in self.received if name == operation]


def attach_receiver(engine: Engine, statuses: list[int] | None = None) -> Receiver:
    receiver = Receiver(list(statuses or []), engine=engine)
    engine.deliverer = receiver
    return receiver


@dataclass
class StubBureau:
    """A scripted bureau: accepts every submission and answers feedback with ``code_for(record)`` (0000)."""

    engine: Engine
    code_for: Callable[[dict[str, Any]], str] = lambda record: "0000"
    submissions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    partner: str = "bureau"
    points: tuple[str, ...] = ()
    point_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # only the common fault actions

    def behaviours(self) -> dict[str, Callable[[Call], Reply]]:
        return {"submitReport": self._submit, "submissionFeedback": self._feedback}

    def reset(self) -> None:
        self.submissions.clear()

    def snapshot(self) -> dict[str, Any]:
        return {"submissions": len(self.submissions)}

    def _submit(self, call: Call) -> Reply:
        submission = f"SUB{len(self.submissions) + 1:06d}"
        self.submissions[submission] = list(call.body["records"])
        receipt = {
            "submissionId": submission,
            "receivedAt": call.now.isoformat(),
            "recordCount": len(call.body["records"]),
        }
        return Reply(202, receipt)

    def _feedback(self, call: Call) -> Reply:
        records = self.submissions[call.params["submissionId"]]
        rows = [
            {
                "index": index,
                "InfRecType": record["InfRecType"],
                "AcctCode": record["AcctCode"],
                "code": (code := self.code_for(record)),
                "message": "loaded" if code == "0000" else f"rejected with {code}",
            }
            for index, record in enumerate(records)
        ]
        body = {
            "submissionId": call.params["submissionId"],
            "status": "DONE",
            "processedAt": call.now.isoformat(),
            "records": rows,
        }
        return Reply(200, body)


def install_stub_bureau(engine: Engine, code_for: Callable[[dict[str, Any]], str] | None = None) -> StubBureau:
    bureau = StubBureau(engine) if code_for is None else StubBureau(engine, code_for)
    engine.install(bureau)
    return bureau


def days(n: int) -> timedelta:
    return timedelta(days=n)


def late_forwarded_incident(engine: Engine) -> None:
    """Installments 1 and 2 paid on time; installment 3 collected on its due date (10 May) but forwarded after
    the overdue batch of 14 May (the link was down), posted at 18:00:02 on 14 May."""
    register(engine)
    repay(engine, repayment("RP1", 1, "1000.00", "18.00", collected="2019-03-10T09:00:00+08:00"))
    repay(engine, repayment("RP2", 2, "1000.00", "12.00", collected="2019-04-10T09:00:00+08:00"))
    engine.advance(to=at(5, 14, 18))
    repay(engine, repayment("RP3", 3, "1000.00", "6.00", collected="2019-05-10T20:15:00+08:00"))
    engine.advance(to=at(5, 14, 19))
