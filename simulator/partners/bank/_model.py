"""``BankModel``: the funding bank over the engine — loans, repayments, its day's jobs, bureau furnishing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from simulator.core import Call, Engine, Reply, problem
from simulator.domain import money, money_str, total
from simulator.partners.bank._account import BankState, LoanAccount, acct_code_for
from simulator.partners.bank._batch import OverdueBatch
from simulator.partners.bank._books import FILE_POINT, Books
from simulator.partners.bank._bureau import Furnisher
from simulator.partners.bank._common import differences
from simulator.partners.bank._config import BankConfig
from simulator.partners.bank._corrections import Corrections, DisputeAnswer
from simulator.partners.bank._jobs import DailyJob
from simulator.partners.bank._ledger import Ledger
from simulator.partners.bank._repayments import Repayments, not_found
from simulator.partners.bank._schedule import build_schedule

__all__ = ["FURNISHING_POINT", "OVERDUE_BATCH_POINT", "BankModel"]

#: Fault point of the daily overdue batch: ``drop``/``outage`` skip a run, ``latency`` delays it.
OVERDUE_BATCH_POINT = "bank.overdueBatch"
#: Fault point of the daily bureau furnishing job.
FURNISHING_POINT = "bank.furnishing"


#: The operations a platform calls (registerLoan is the harness's): where a ``replayed_nonce`` fault applies.
_PLATFORM_OPERATIONS: Final = (
    "getLoan",
    "repayPlanQuery",
    "repayApply",
    "repayResultQuery",
    "reconciliationFile",
    "correctionApply",
    "correctionQuery",
)
#: The bank's deliveries to the platform (its contract's webhooks).
_DELIVERIES: Final = ("repayResultNotify", "bankNotice")


def forged_result(body: Any) -> Any:
    """What a forger claims in a repayment-result callback (a ``forged_callback`` fault): the opposite of the truth —
    ``FAIL`` for a repayment the bank took, ``SUCCESS`` for one it failed or still processes."""
    if not isinstance(body, dict):
        return body
    claim = "FAIL" if body.get("repayStatus") == "SUCCESS" else "SUCCESS"
    return {**body, "repayStatus": claim, "respCode": "0000" if claim == "SUCCESS" else body.get("respCode")}


class BankModel:
    """The funding bank: lender and ledger of record, overdue batch, notices and credit-bureau furnisher.

    ``BankModel(engine, BankConfig(...))`` then ``engine.install(model)``. The model schedules its daily jobs
    (day-end at the cut-off, reconciliation file, overdue batch, furnishing) on the engine's clock when it is
    made and again on ``reset``. ``answer_dispute`` and ``receive_dispute`` are the dispute hook for the
    bureau's wiring; ``addressee`` tells the SMS gateway whom an overdue notice was meant for.
    """

    partner = "bank"
    points: tuple[str, ...] = (OVERDUE_BATCH_POINT, FURNISHING_POINT)
    #: The actions beyond the common ones that the bank's own points take.
    point_actions: Mapping[str, tuple[str, ...]] = MappingProxyType(
        {
            # signed requests (signing on) may be replayed at the operations a platform calls
            **{f"bank.{operation}": ("replayed_nonce",) for operation in _PLATFORM_OPERATIONS},
            # its signed deliveries may have an unsigned or forged copy go first
            **{f"bank.{hook}": ("unsigned_callback", "forged_callback") for hook in _DELIVERIES},
            OVERDUE_BATCH_POINT: ("early",),
            FURNISHING_POINT: ("early",),
            FILE_POINT: ("missing_rows", "duplicate_rows", "replayed_nonce"),  # the file is an operation too
        }
    )

    def __init__(self, engine: Engine, config: BankConfig = BankConfig()) -> None:  # noqa: B008 - frozen
        if not isinstance(config, BankConfig):
            raise TypeError(f"config must be a BankConfig (see BankConfig.from_mapping), got {config!r}")
        self.engine = engine
        self.config = config
        self.state = BankState()
        self.repayments = Repayments(engine, config, self.state)
        self.books = Books(engine, config, self.state)
        self.batch = OverdueBatch(engine, config, self.state)
        self.furnisher = Furnisher(engine, config, self.state)
        self.corrections = Corrections(engine, config, self.state, self.furnisher)
        self.jobs = (
            DailyJob(engine, "dayEnd", config.cutoff, self.books.day_end),
            DailyJob(engine, "reconciliationFile", config.reconciliation_time, self.books.file_ready),
            DailyJob(engine, "overdueBatch", config.overdue_batch_time, self.batch.run, OVERDUE_BATCH_POINT),
            DailyJob(engine, "furnishing", config.furnishing_time, self.furnisher.run, FURNISHING_POINT),
        )
        for job in self.jobs:
            job.start()
        engine.deliveries.forgers["bank.repayResultNotify"] = forged_result

    # -- the Model protocol -------------------------------------------------------------------------

    def behaviours(self) -> Mapping[str, Callable[[Call], Reply]]:
        return {
            "registerLoan": self._register,
            "getLoan": self._get_loan,
            "repayPlanQuery": self._plan,
            "repayApply": self.repayments.apply,
            "repayResultQuery": self.repayments.query,
            "reconciliationFile": self.books.file,
            "correctionApply": self.corrections.apply,
            "correctionQuery": self.corrections.query,
        }

    def reset(self) -> None:
        """Forget every loan and restart the daily jobs from the clock's (new) now."""
        self.state.clear()
        self.books.clear()
        for job in self.jobs:
            job.stop()
            job.start()

    def snapshot(self) -> dict[str, Any]:
        accounts = list(self.state.accounts.values())
        now = self.engine.clock.now()
        views = [(account, account.view(now)) for account in accounts]
        statuses: dict[str, int] = {}
        for account, view in views:
            status = account.status(view)
            statuses[status] = statuses.get(status, 0) + 1
        corrections: dict[str, int] = {}
        for account in accounts:
            for correction in account.corrections.values():
                corrections[correction.status] = corrections.get(correction.status, 0) + 1
        return {
            "loans": len(accounts),
            "loansByStatus": statuses,
            "outstandingPrincipal": money_str(total(view.outstanding_principal for _, view in views)),
            "overdueInstallments": sum(len(view.overdue) for _, view in views),
            "repayments": self._repayments_by_status(),
            "postings": sum(len(account.ledger.postings) for account in accounts),
            "overdueNoticesSent": sum(
                1 for account in accounts for notice in account.notices.values() if notice.state == "sent"
            ),
            "corrections": corrections,
            "pendingSubmissions": sum(len(account.pending) for account in accounts),
            "furnishing": self.config.furnishing,
        }

    def _repayments_by_status(self) -> dict[str, int]:
        """How many repayments are in each status, the statuses in the order a walk of the loans (in the order
        they were registered), each loan's repayments in the order they came, first meets them."""
        rank = {loan_no: index for index, loan_no in enumerate(self.state.accounts)}
        counts: dict[str, int] = {}
        first: dict[str, tuple[int, int]] = {}  # status -> (its loan's rank, its place among all repayments)
        for place, repayment in enumerate(self.state.repayments.values()):
            status = repayment.status
            counts[status] = counts.get(status, 0) + 1
            met = (rank[repayment.loan_no], place)
            if status not in first or met < first[status]:
                first[status] = met
        return {status: counts[status] for status in sorted(counts, key=first.__getitem__)}

    # -- the dispute hook and the SMS addressee -----------------------------------------------------

    def answer_dispute(self, acct_code: str, month: str) -> tuple[str, str]:
        """The bank's answer to a dispute of ``acct_code`` (a loanOuterNo) in ``month`` (YYYY-MM), now.

        ``("CORRECTED", note)`` when the ledger shows every installment that made the month negative was
        collected by its due date + grace (a 212 correction goes to the bureau at once); ``("CONFIRMED",
        note)`` otherwise; ``("CANNOT_CONFIRM", note)`` for an account or month the bank does not hold.
        """
        return self.corrections.answer_dispute(acct_code, month)

    def receive_dispute(
        self, dispute_id: str, acct_code: str, month: str, respond: DisputeAnswer | None = None
    ) -> datetime:
        """A dispute reached the bank: it answers ``dispute_answer_days`` later (returned), to ``respond``
        or, without one, to the bureau's ``answerDispute`` operation."""
        return self.corrections.receive_dispute(dispute_id, acct_code, month, respond)

    @property
    def dispute_answer_delay(self) -> timedelta:
        """How long the bank takes to answer a dispute that reaches it now (``dispute_answer``, calendar or business
        days)."""
        return self.corrections.answer_delay()

    def settlement_quote(self, loan_no: str, at: datetime) -> Decimal | None:
        """What settling loan ``loan_no`` takes when collected at ``at`` (everything due, interest to date), as
        ``repayApply`` with ``EARLY_SETTLE`` will check it; ``None`` for an unknown or settled loan."""
        account = self.state.accounts.get(loan_no)
        return None if account is None else self.repayments.settlement_quote(account, at)

    def installment_balance(self, loan_no: str, no: int) -> tuple[Decimal, Decimal] | None:
        """(owed, paid) of installment ``no`` of loan ``loan_no`` now, penalties accrued so far included;
        ``None`` for an unknown loan or installment."""
        account = self.state.accounts.get(loan_no)
        if account is None or not 1 <= no <= account.term:
            return None
        state = account.view(self.engine.clock.now())[no]
        return state.owed.total, state.paid.total

    def addressee(self, out_id: str | None, phone: str) -> str | None:
        """The borrower an SMS the bank sent (by its OutId) was meant for, if the number is theirs."""
        loan_no = self.state.out_ids.get(out_id) if out_id else None
        account = self.state.accounts.get(loan_no) if loan_no else None
        return account.borrower if account is not None else None

    # -- loans --------------------------------------------------------------------------------------

    def _register(self, call: Call) -> Reply:
        body: dict[str, Any] = call.body
        loan_no = body["loanOuterNo"]
        existing = self.state.accounts.get(loan_no)
        if existing is not None:
            errors = differences(existing.registration, body)
            if errors:
                return problem(
                    409,
                    "Loan already registered with different data",
                    f"Loan {loan_no} exists; the request differs in {len(errors)} field"
                    f"{'s' if len(errors) > 1 else ''} ({', '.join(e.field for e in errors)}).",
                    errors=errors,
                    operation="registerLoan",
                    type="urn:lendsim:problem:idempotency-conflict",
                    suggestion="Register a new loan under a new loanOuterNo, or resend the original data unchanged.",
                )
            return self._loan_reply(200, existing, call.now)
        account = self._open(body)
        self.state.accounts[loan_no] = account
        self.state.acct_codes[account.acct_code] = loan_no
        schedule = account.ledger.schedule
        self.engine.event(
            "bank",
            "loanRegistered",
            borrower=account.borrower,
            loan=loan_no,
            data={
                "principal": body["principal"],
                "term": len(schedule),
                "repayMethod": body["repayMethod"],
                "firstDueDate": schedule[0].due_date.isoformat(),
                "lastDueDate": schedule[-1].due_date.isoformat(),
                "graceDays": self.config.grace_days,
                "graceBusinessDays": self.config.grace_business_days,
                "cutoff": self.config.cutoff.isoformat(),
                "acctCode": account.acct_code,
            },
        )
        return self._loan_reply(201, account, call.now)

    def _open(self, body: dict[str, Any]) -> LoanAccount:
        principal = money(body["principal"])
        rate = Decimal(body["annualRate"])
        disburse = date.fromisoformat(body["disburseDate"])
        # JSON Schema's integer admits 55.0, so the contract does: int() takes it as 55
        term, due_day = int(body["term"]), int(body["dueDay"])
        schedule = build_schedule(principal, rate, term, due_day, disburse, body["repayMethod"])
        calendar = self.engine.clock.calendar
        grace = self.config.grace  # calendar or business days, as the bank counts them
        deadlines = tuple(calendar.at(calendar.deadline(row.due_date, grace), self.config.cutoff) for row in schedule)
        return LoanAccount(
            loan_no=body["loanOuterNo"],
            borrower=body["borrowerId"],
            registration=dict(body),
            principal=principal,
            annual_rate=rate,
            disburse_date=disburse,
            ledger=Ledger(tuple(schedule)),
            deadlines=deadlines,
            acct_code=acct_code_for(body["loanOuterNo"]),
        )

    def _get_loan(self, call: Call) -> Reply:
        account = self.state.accounts.get(call.params["loanOuterNo"])
        if account is None:
            return self._no_loan(call.params["loanOuterNo"], "getLoan")
        return self._loan_reply(200, account, call.now)

    def _plan(self, call: Call) -> Reply:
        account = self.state.accounts.get(call.params["loanOuterNo"])
        if account is None:
            return self._no_loan(call.params["loanOuterNo"], "repayPlanQuery")
        loan = account.to_json(account.view(call.now), self.engine.clock.calendar.tz)
        body = {"loanOuterNo": account.loan_no, "totalInstallmentNo": account.term, "installments": loan["schedule"]}
        return Reply(200, body, borrower=account.borrower, loan=account.loan_no)

    def _loan_reply(self, status: int, account: LoanAccount, now: datetime) -> Reply:
        body = account.to_json(account.view(now), self.engine.clock.calendar.tz)
        return Reply(status, body, borrower=account.borrower, loan=account.loan_no)

    @staticmethod
    def _no_loan(loan_no: str, operation: str) -> Reply:
        return not_found(
            f"No loan {loan_no} is registered at the bank; register it with registerLoan (POST /bank/loans).",
            operation,
        )
