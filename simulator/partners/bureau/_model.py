"""The credit bureau model: report files loaded after a delay with per-record feedback, each subject's view
and history, and disputes answered within the window — bound to ``contracts/bureau.yaml`` by operationId.

Events it journals (partner ``bureau``, ``loan`` = the AcctCode; never a full ID number or a name):
``recordLoaded``, ``recordRejected``, ``submissionProcessed``, ``submissionDelayed``, ``submissionLost``,
``disputeFiled``, ``disputeAnswered``, ``disputeOverdue``.

Fault points it consults besides its operations: ``bureau.feedback`` (the loading job of a file: ``latency``
postpones it once, ``drop`` loses the file — its feedback stays PROCESSING) and ``bureau.corrections``
(``drop`` or ``outage``: a 212 that would load is rejected with ``ABR006``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from simulator.core import SOURCE_HEADER, Call, FaultPlan, Reply, problem
from simulator.masking import mask_id
from simulator.openapi import Violation
from simulator.partners.bureau._config import BureauConfig
from simulator.partners.bureau._disputes import (
    Dispute,
    DisputeAlreadyAnswered,
    DisputeError,
    DisputeNotFound,
    Disputes,
    InvalidAnswer,
    InvalidDispute,
)
from simulator.partners.bureau._records import (
    ACCOUNT,
    SEGMENT,
    WHOLE_DELETION,
    Outcome,
    Record,
    check_record,
    duplicates,
    identifier,
    record_month,
)
from simulator.partners.bureau._report import subject_report
from simulator.partners.bureau._store import Account, Load, Objection, Store, SubjectKey
from simulator.partners.bureau._submissions import FeedbackRow, Submission

if TYPE_CHECKING:
    from simulator.clock import ScheduledEvent
    from simulator.core import Engine

__all__ = ["BureauModel", "RecordNotFound"]

PARTNER: Final = "bureau"
CORRECTIONS_POINT: Final = "bureau.corrections"
FEEDBACK_POINT: Final = "bureau.feedback"


class RecordNotFound(DisputeError, LookupError):
    """A dispute names an account month the bureau does not hold for that person."""


DisputeHook = Callable[[Dispute], None]
FeedbackHook = Callable[[str, Sequence[FeedbackRow]], None]


class BureauModel:
    """The credit bureau. ``BureauModel(engine, BureauConfig(...))`` then ``engine.install(model)``.

    Python API besides the contract's operations: :meth:`on_dispute` (be told when a dispute is filed),
    :meth:`answer` (the furnisher's written answer), :meth:`file_dispute`, :meth:`dispute`,
    :meth:`report`, :meth:`on_feedback` (be told when a file has been loaded).
    """

    partner: Final = PARTNER
    points: Final = (CORRECTIONS_POINT, FEEDBACK_POINT)
    point_actions: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({})  # only the common actions

    def __init__(self, engine: Engine, config: BureauConfig | None = None) -> None:
        self.engine = engine
        self.config = config if config is not None else BureauConfig()
        self._dispute_hooks: list[DisputeHook] = []
        self._feedback_hooks: list[FeedbackHook] = []
        self.store = Store()
        self.disputes = Disputes(engine.id_prefix)
        self._submissions: dict[str, Submission] = {}
        self._submission_counter = 0
        self._overdue_checks: dict[str, ScheduledEvent] = {}
        self._history_marks: dict[str, tuple[Account, int]] = {}  # dispute → (account, len(history)) at filing

    # -- the Model protocol ---------------------------------------------------------------------

    def behaviours(self) -> Mapping[str, Callable[[Call], Reply]]:
        return {
            "submitReport": self._submit_report,
            "submissionFeedback": self._submission_feedback,
            "subjectReport": self._subject_report,
            "fileDispute": self._file_dispute,
            "disputeStatus": self._dispute_status,
            "answerDispute": self._answer_dispute,
        }

    def reset(self) -> None:
        """Forget everything held (the engine's reset has already dropped the scheduled loads and checks)."""
        self.store = Store()
        self.disputes = Disputes(self.engine.id_prefix)
        self._submissions = {}
        self._submission_counter = 0
        self._overdue_checks = {}
        self._history_marks = {}

    def snapshot(self) -> dict[str, Any]:
        return {
            "submissions": len(self._submissions),
            "processing": sum(1 for s in self._submissions.values() if not s.done),
            "accounts": len(self.store),
            "disputes": len(self.disputes),
            "openDisputes": sum(1 for d in self.disputes if d.open),
        }

    # -- the Python API -------------------------------------------------------------------------

    def on_dispute(self, callback: DisputeHook) -> None:
        """Call ``callback(dispute)`` each time a dispute is filed, right after the month is flagged.

        The furnisher answers with :meth:`answer`, at once or later (schedule it on the engine's clock).
        """
        self._dispute_hooks.append(callback)

    def on_feedback(self, callback: FeedbackHook) -> None:
        """Call ``callback(submission_id, rows)`` each time a submission has been loaded."""
        self._feedback_hooks.append(callback)

    def dispute(self, dispute_id: str) -> Dispute:
        """The dispute as it stands now; :class:`DisputeNotFound` if there is none."""
        return self.disputes.get(dispute_id)

    def report(self, id_num: str, id_type: str = "10") -> dict[str, Any]:
        """The subject report as ``subjectReport`` answers it."""
        calendar = self.engine.clock.calendar
        now = self.engine.clock.now()
        return subject_report(
            self.store, self.disputes, (id_type, id_num), calendar.local_date(now), calendar.local_date
        )

    def file_dispute(
        self,
        *,
        id_num: str,
        acct_code: str,
        month: str,
        reason: str,
        channel: str = "BUREAU",
        id_type: str = "10",
    ) -> Dispute:
        """File a dispute on one month of one account: flagged at once, answer due by ``due_date``.

        Raises :class:`RecordNotFound` unless the bureau holds that month of that account for that person,
        :class:`InvalidDispute` for a blank or too long reason or an unknown channel.
        """
        account = self.store.account(acct_code)
        if account is None or account.subject != (id_type, id_num) or month not in account.months:
            raise RecordNotFound(
                f"the bureau holds no account month {acct_code} {month} for this person; check AcctCode and "
                "Month against the subject report"
            )
        clock = self.engine.clock
        now = clock.now()
        due = clock.calendar.deadline(clock.calendar.local_date(now), self.config.dispute_window)
        dispute = self.disputes.file(
            id_type=id_type,
            id_num=id_num,
            acct_code=acct_code,
            month=month,
            reason=reason,
            channel=channel,
            filed_at=now,
            due_date=due,
        )
        self._history_marks[dispute.dispute_id] = (account, len(account.history))
        check_at = clock.calendar.at(due + timedelta(days=1), self.config.overdue_check)
        self._overdue_checks[dispute.dispute_id] = clock.schedule(
            check_at, lambda: self._check_overdue(dispute.dispute_id), name=f"bureau dispute check {dispute.dispute_id}"
        )
        self._event(
            "disputeFiled",
            acct_code,
            {
                "disputeId": dispute.dispute_id,
                "Month": month,
                "channel": channel,
                "dueDate": due.isoformat(),
                "window": str(self.config.dispute_window),
                "IDNumMasked": mask_id(id_num),
            },
        )
        for hook in list(self._dispute_hooks):
            hook(dispute)
        return dispute

    def answer(self, dispute_id: str, outcome: str, note: str) -> Dispute:
        """The furnisher's written answer: CORRECTED, CONFIRMED or CANNOT_CONFIRM, with the note.

        Every outcome removes the flag; CANNOT_CONFIRM also records the objection and the finding with the
        month. Raises :class:`DisputeNotFound`, :class:`DisputeAlreadyAnswered` or :class:`InvalidAnswer`.
        """
        clock = self.engine.clock
        now = clock.now()
        answered = self.disputes.answer(dispute_id, outcome, note, now)
        check = self._overdue_checks.pop(dispute_id, None)
        if check is not None:
            clock.cancel(check)
        recorded = False
        if outcome == "CANNOT_CONFIRM":
            objection = Objection(dispute_id, answered.reason, note, now)
            recorded = self.store.record_objection(answered.acct_code, answered.month, objection)
        account = self.store.account(answered.acct_code, include_deleted=True)
        filed_on, mark = self._history_marks.pop(dispute_id, (None, 0))
        changed = account is None or account is not filed_on or account.changed_since(answered.month, mark)
        today = clock.calendar.local_date(now)
        self._event(
            "disputeAnswered",
            answered.acct_code,
            {
                "disputeId": dispute_id,
                "Month": answered.month,
                "outcome": outcome,
                "dueDate": answered.due_date.isoformat(),
                "late": answered.late(today, today),
                "recordChangedSinceFiling": changed,
                "objectionRecorded": recorded,
            },
        )
        return answered

    # -- behaviours -------------------------------------------------------------------------------

    def _submit_report(self, call: Call) -> Reply:
        body = call.body
        self._submission_counter += 1
        submission_id = f"{self.engine.id_prefix}SUB{call.now:%Y%m%d}{self._submission_counter:06d}"
        submission = Submission(
            submission_id,
            body["furnisherCode"],
            body["fileDate"],
            call.now,
            list(body["records"]),
            source=call.headers.get(SOURCE_HEADER),
        )
        self._submissions[submission_id] = submission
        self.engine.clock.schedule_in(
            self.config.feedback_delay, lambda: self._process(submission_id), name=f"bureau load {submission_id}"
        )
        return Reply(202, submission.receipt(), loan=_single_account(submission.records))

    def _submission_feedback(self, call: Call) -> Reply:
        submission_id = call.params["submissionId"]
        submission = self._submissions.get(submission_id)
        if submission is None:
            return problem(
                404,
                "Not Found",
                f"no submission {submission_id!r}; use the submissionId that submitReport returned",
                operation="submissionFeedback",
            )
        return Reply(200, submission.to_json(), loan=_single_account(submission.feedback))

    def _subject_report(self, call: Call) -> Reply:
        body = call.body
        return Reply(200, self.report(body["IDNum"], body["IDType"]))

    def _file_dispute(self, call: Call) -> Reply:
        body = call.body
        try:
            dispute = self.file_dispute(
                id_num=body["IDNum"],
                id_type=body["IDType"],
                acct_code=body["AcctCode"],
                month=body["Month"],
                reason=body["reason"],
                channel=body["channel"],
            )
        except RecordNotFound as exc:
            return problem(404, "Not Found", str(exc), operation="fileDispute")
        except InvalidDispute as exc:
            return problem(
                400,
                "Bad Request",
                str(exc),
                errors=[Violation(f"body.{exc.field}", "dispute", str(exc))],
                operation="fileDispute",
            )
        return Reply(201, self._dispute_json(dispute), loan=dispute.acct_code)

    def _dispute_status(self, call: Call) -> Reply:
        try:
            dispute = self.disputes.get(call.params["disputeId"])
        except DisputeNotFound as exc:
            return problem(404, "Not Found", str(exc), operation="disputeStatus")
        return Reply(200, self._dispute_json(dispute), loan=dispute.acct_code)

    def _answer_dispute(self, call: Call) -> Reply:
        operation = "answerDispute"
        try:
            dispute = self.answer(call.params["disputeId"], call.body["outcome"], call.body["note"])
        except DisputeNotFound as exc:
            return problem(404, "Not Found", str(exc), operation=operation)
        except DisputeAlreadyAnswered as exc:
            return problem(409, "Dispute already answered", str(exc), operation=operation)
        except InvalidAnswer as exc:
            return problem(
                400, "Bad Request", str(exc), errors=[Violation("body.note", "answer", str(exc))], operation=operation
            )
        return Reply(200, self._dispute_json(dispute), loan=dispute.acct_code)

    # -- loading a file -------------------------------------------------------------------------

    def _process(self, submission_id: str, postponed: bool = False) -> None:
        submission = self._submissions[submission_id]
        plan = self._faults(FEEDBACK_POINT, _single_account(submission.records))  # a file of one account: its draw
        delay = plan.delay
        if delay is not None and not postponed:
            self.engine.clock.schedule_in(
                delay, lambda: self._process(submission_id, True), name=f"bureau load {submission_id}"
            )
            self._event("submissionDelayed", None, {"submissionId": submission_id, "delay": str(delay)})
            return
        if plan.dropped is not None:
            submission.lost = True
            submission.records = []
            self._event("submissionLost", None, {"submissionId": submission_id, "furnisherCode": submission.furnisher})
            return
        now = self.engine.clock.now()
        records = submission.records
        repeated = duplicates(records)
        rows: list[FeedbackRow] = []
        for index, record in enumerate(records):
            load = self._load(submission, index, record, repeated)
            outcome = load.outcome
            rows.append(FeedbackRow(index, record["InfRecType"], record["AcctCode"], outcome.code, outcome.message))
            self._journal_load(submission, index, record, load)
        submission.feedback = rows
        submission.records = []
        submission.processed_at = now
        codes = Counter(row.code for row in rows)
        self._event(
            "submissionProcessed",
            _single_account(rows),
            {
                "submissionId": submission_id,
                "furnisherCode": submission.furnisher,
                "source": submission.source,
                "records": len(rows),
                "loaded": codes.get("0000", 0),
                "codes": dict(sorted(codes.items())),
            },
        )
        for hook in list(self._feedback_hooks):
            hook(submission_id, tuple(rows))

    def _load(self, submission: Submission, index: int, record: Record, repeated: set[int]) -> Load:
        if index in repeated:
            ident = identifier(record)
            twins = [i for i in sorted(repeated) if i != index and identifier(submission.records[i]) == ident]
            return Load(
                Outcome(
                    "ABR002",
                    f"records {', '.join(map(str, [index, *twins]))} of this file have the same identifier "
                    f"{' '.join(ident)}; none of them was loaded. Send one record per identifier.",
                )
            )
        found = check_record(record, submission.furnisher)
        if found is not None:
            return Load(found)
        return self.store.load(
            record,
            submission.furnisher,
            when=self.engine.clock.now(),
            submission_id=submission.submission_id,
            index=index,
            refuse_correction=lambda: self._refuse_correction(f"{record['AcctCode']}:{record.get('Month')}"),
        )

    def _refuse_correction(self, key: str) -> bool:
        """Whether a correction (of the account and month ``key``) is refused: the bureau's configuration, or a
        fault at ``bureau.corrections`` drawn for that record."""
        if self.config.reject_corrections:
            return True
        return self._faults(CORRECTIONS_POINT, key).stopped is not None

    def _journal_load(self, submission: Submission, index: int, record: Record, load: Load) -> None:
        kind = record["InfRecType"]
        subject: SubjectKey | None = None
        if kind == ACCOUNT:
            subject = (record["IDType"], record["IDNum"])
        else:
            account = load.account or self.store.account(record["AcctCode"], include_deleted=True)
            subject = account.subject if account is not None else None
        data: dict[str, Any] = {
            "submissionId": submission.submission_id,
            "index": index,
            "InfRecType": kind,
            "furnisherCode": submission.furnisher,
            "IDNumMasked": None if subject is None else mask_id(subject[1]),
            "Month": record_month(record),
        }
        if kind == ACCOUNT:
            data.update(RptDate=record["RptDate"], RptDateCode=record["RptDateCode"])
        if load.outcome.loaded:
            data.update(
                segment=record.get(SEGMENT),
                deletedMonths=list(load.months_deleted),
                accountDeleted=kind == WHOLE_DELETION,
            )
            self._event("recordLoaded", record["AcctCode"], data)
        else:
            data.update(code=load.outcome.code, message=load.outcome.message)
            self._event("recordRejected", record["AcctCode"], data)

    # -- helpers ---------------------------------------------------------------------------------

    def _check_overdue(self, dispute_id: str) -> None:
        self._overdue_checks.pop(dispute_id, None)
        dispute = self.disputes.get(dispute_id)
        if dispute.open:
            self._event(
                "disputeOverdue",
                dispute.acct_code,
                {"disputeId": dispute_id, "Month": dispute.month, "dueDate": dispute.due_date.isoformat()},
            )

    def _dispute_json(self, dispute: Dispute) -> dict[str, Any]:
        calendar = self.engine.clock.calendar
        answered_on = None if dispute.answered_at is None else calendar.local_date(dispute.answered_at)
        return dispute.to_json(calendar.local_date(self.engine.clock.now()), answered_on)

    def _faults(self, point: str, key: str | None = None) -> FaultPlan:
        return self.engine.faults.plan(point, self.engine.clock.now(), key=key)

    def _event(self, name: str, acct_code: str | None, data: Mapping[str, Any]) -> None:
        self.engine.event(PARTNER, name, loan=acct_code, data=data)


def _single_account(items: Sequence[Any]) -> str | None:
    """The AcctCode when every record (or feedback row) is about one account, for the journal's ``loan``."""
    codes = {item.acct_code if isinstance(item, FeedbackRow) else item["AcctCode"] for item in items}
    return codes.pop() if len(codes) == 1 else None
