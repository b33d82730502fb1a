"""Submissions: a furnisher's report file, PROCESSING until the bureau loads it, then DONE with feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from simulator.partners.bureau._records import Record

__all__ = ["FeedbackRow", "Submission"]

MAX_MESSAGE: Final = 500


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """The outcome of one record of a submission."""

    index: int
    record_type: str
    acct_code: str
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        message = self.message if len(self.message) <= MAX_MESSAGE else self.message[: MAX_MESSAGE - 1] + "…"
        return {
            "index": self.index,
            "InfRecType": self.record_type,
            "AcctCode": self.acct_code,
            "code": self.code,
            "message": message,
        }


@dataclass(slots=True)
class Submission:
    """One report file. ``records`` are kept until the file is loaded, then only the feedback is."""

    submission_id: str
    furnisher: str
    file_date: str
    received_at: datetime
    records: list[Record]
    source: str | None = None
    processed_at: datetime | None = None
    feedback: list[FeedbackRow] = field(default_factory=list)
    lost: bool = False

    @property
    def done(self) -> bool:
        return self.processed_at is not None

    def receipt(self) -> dict[str, Any]:
        return {
            "submissionId": self.submission_id,
            "receivedAt": self.received_at.isoformat(),
            "recordCount": len(self.records) if not self.done else len(self.feedback),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "submissionId": self.submission_id,
            "status": "DONE" if self.done else "PROCESSING",
            "processedAt": None if self.processed_at is None else self.processed_at.isoformat(),
            "records": [row.to_json() for row in self.feedback],
        }
