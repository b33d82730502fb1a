"""Disputes (异议, 《征信业管理条例》 Art. 25): filed by a subject, flagged at once, answered by the furnisher
in writing within the window (20 days by default), on calendar or business days.

A :class:`Dispute` is an immutable snapshot; answering replaces it in :class:`Disputes`. ``late`` depends on
the day you ask: answered after the due date, or still unanswered once the due date has passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final, Literal, get_args

from simulator.errors import LendsimError

__all__ = [
    "OUTCOMES",
    "Dispute",
    "DisputeAlreadyAnswered",
    "DisputeError",
    "DisputeNotFound",
    "Disputes",
    "InvalidAnswer",
    "InvalidDispute",
    "Outcome",
]

Outcome = Literal["CORRECTED", "CONFIRMED", "CANNOT_CONFIRM"]
OUTCOMES: Final[tuple[str, ...]] = get_args(Outcome)
FLAGGED: Final = "FLAGGED"
CHANNELS: Final = ("BUREAU", "FURNISHER")
MAX_NOTE: Final = 500
# Blank by every regex dialect in play (Python, ECMA, Rust): the contract's `pattern: '\S'` refuses these too.
_BLANK: Final = " \t\n\r\f\v\u00a0\u3000"


class DisputeError(LendsimError):
    """A dispute cannot be answered as asked."""


class DisputeNotFound(DisputeError, LookupError):
    """No dispute has that id."""


class DisputeAlreadyAnswered(DisputeError):
    """The dispute was answered before; a dispute is answered once."""


class InvalidAnswer(DisputeError, ValueError):
    """The outcome or the note is not one the bureau accepts."""


class InvalidDispute(DisputeError, ValueError):
    """The reason or the channel of a dispute is not one the bureau accepts; ``field`` names which."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Dispute:
    """One dispute as it stands. ``status`` is FLAGGED until answered, then the outcome."""

    dispute_id: str
    id_type: str
    id_num: str
    acct_code: str
    month: str
    reason: str
    channel: str
    filed_at: datetime
    due_date: date
    status: str = FLAGGED
    answered_at: datetime | None = None
    note: str | None = None

    @property
    def open(self) -> bool:
        """Still flagged: not answered yet."""
        return self.status == FLAGGED

    def late(self, today: date, answered_on: date | None = None) -> bool:
        """Answered after the due date (``answered_on``), or unanswered and ``today`` is past it."""
        if self.open:
            return today > self.due_date
        return answered_on is not None and answered_on > self.due_date

    def to_json(self, today: date, answered_on: date | None) -> dict[str, Any]:
        """The contract's ``Dispute``; ``answered_on`` is the local date of ``answered_at``."""
        return {
            "disputeId": self.dispute_id,
            "AcctCode": self.acct_code,
            "Month": self.month,
            "reason": self.reason,
            "channel": self.channel,
            "status": self.status,
            "filedAt": self.filed_at.isoformat(),
            "dueDate": self.due_date.isoformat(),
            "answeredAt": None if self.answered_at is None else self.answered_at.isoformat(),
            "late": self.late(today, answered_on),
            "outcomeNote": self.note,
        }


class Disputes:
    """Every dispute by id, and each subject's in filing order."""

    __slots__ = ("_by_id", "_by_subject", "_counter", "_prefix")

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix  # the world's id prefix (a shard's mark)
        self._by_id: dict[str, Dispute] = {}
        self._by_subject: dict[tuple[str, str], list[str]] = {}
        self._counter = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Dispute]:
        return iter(list(self._by_id.values()))

    def get(self, dispute_id: str) -> Dispute:
        dispute = self._by_id.get(dispute_id)
        if dispute is None:
            raise DisputeNotFound(f"no dispute {dispute_id!r}; use the disputeId that fileDispute returned")
        return dispute

    def of(self, subject: tuple[str, str]) -> list[Dispute]:
        return [self._by_id[i] for i in self._by_subject.get(subject, ())]

    def flagged(self, subject: tuple[str, str], acct_code: str, month: str) -> bool:
        return any(d.open and d.acct_code == acct_code and d.month == month for d in self.of(subject))

    def file(
        self,
        *,
        id_type: str,
        id_num: str,
        acct_code: str,
        month: str,
        reason: str,
        channel: str,
        filed_at: datetime,
        due_date: date,
    ) -> Dispute:
        if not isinstance(reason, str) or not reason.strip(_BLANK) or len(reason) > MAX_NOTE:
            raise InvalidDispute(
                f"the reason is the objection in words: give 1–{MAX_NOTE} characters; got {reason!r:.60}",
                field="reason",
            )
        if channel not in CHANNELS:
            raise InvalidDispute(f"channel {channel!r} is not one of {', '.join(CHANNELS)}", field="channel")
        self._counter += 1
        dispute_id = f"{self._prefix}DSP{filed_at:%Y%m%d}{self._counter:06d}"
        dispute = Dispute(dispute_id, id_type, id_num, acct_code, month, reason, channel, filed_at, due_date)
        self._by_id[dispute_id] = dispute
        self._by_subject.setdefault((id_type, id_num), []).append(dispute_id)
        return dispute

    def answer(self, dispute_id: str, outcome: str, note: str, at: datetime) -> Dispute:
        """Record the furnisher's written answer; raises if unknown, already answered or malformed."""
        dispute = self.get(dispute_id)
        if not dispute.open:
            assert dispute.answered_at is not None
            raise DisputeAlreadyAnswered(
                f"dispute {dispute_id} was answered {dispute.status} at {dispute.answered_at.isoformat()}; "
                "a dispute is answered once — file a new dispute to reopen the question"
            )
        if outcome not in OUTCOMES:
            raise InvalidAnswer(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        if not isinstance(note, str) or not note.strip(_BLANK) or len(note) > MAX_NOTE:
            raise InvalidAnswer(
                f"the note is the written answer: give 1–{MAX_NOTE} characters, not all blank; got {note!r:.60}"
            )
        answered = replace(dispute, status=outcome, answered_at=at, note=note)
        self._by_id[dispute_id] = answered
        return answered
