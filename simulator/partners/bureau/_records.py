"""Report records: their identifiers, fingerprints, and the checks a record fails on its own.

The rules that need the bureau's state (``ABR004``, ``ABR005``, ``BBR002``, …) live with that state in
``_store.py``; the full list, in the order they are applied, is in ``contracts/bureau.yaml``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from simulator.domain import ZERO, money

__all__ = [
    "ACCOUNT",
    "CODES",
    "CORRECTION",
    "LOADED",
    "NEGATIVE_ACCT_STATUS",
    "NEGATIVE_RPY_STATUS",
    "SEGMENT",
    "SEGMENT_DELETION",
    "WHOLE_DELETION",
    "Outcome",
    "Record",
    "check_record",
    "duplicates",
    "fingerprint",
    "identifier",
    "is_negative",
    "record_month",
]

Record = Mapping[str, Any]

ACCOUNT: Final = "210"
CORRECTION: Final = "212"
SEGMENT_DELETION: Final = "213"
WHOLE_DELETION: Final = "214"
SEGMENT: Final = "AcctMthlyBlgInfSgmt"
RECOVERY: Final = "40"  # RptDateCode 40 收回逾期款项

LOADED: Final = "0000"
#: Every feedback code the simulated bureau answers, with the rule it stands for.
#: ``RpyStatus`` values that are negative information: the overdue buckets 1–7 and B (呆账, bad debt).
NEGATIVE_RPY_STATUS: Final = frozenset({"1", "2", "3", "4", "5", "6", "7", "B"})
#: ``AcctStatus`` values that are negative information: 2 (逾期) and 41/42 (呆账).
NEGATIVE_ACCT_STATUS: Final = frozenset({"2", "41", "42"})


def is_negative(segment: object) -> bool:
    """Whether a monthly segment (``AcctMthlyBlgInfSgmt``) reports negative information."""
    if not isinstance(segment, Mapping):
        return False
    return (
        str(segment.get("RpyStatus")) in NEGATIVE_RPY_STATUS or str(segment.get("AcctStatus")) in NEGATIVE_ACCT_STATUS
    )


CODES: Final[Mapping[str, str]] = {
    LOADED: "loaded",
    "ABR002": "two or more records with the same identifier in one submission (all rejected)",
    "ABE001": "the record contradicts itself, or its AcctCode is held for another person",
    "ABE002": "the record is for an account of another furnisher",
    "ABE007": "RptDate earlier than OpenDate, SettDate or LatRpyDate",
    "BLR008": "RptDateCode 40 on an R3 account, or without the recovery it reports",
    "BLR009": "RptDateCode 40 whose segment is not RptDate's month",
    "ABR005": "a 212/213/214 that references nothing loaded (simulator-defined)",
    "ABR004": "an identical record is already loaded",
    "BBR002": "a 210 whose RptDate is earlier than the latest loaded for the account",
    "ABR006": "the bureau could not load the correction; submit it again",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One record's feedback: the code, and a message that says what happened and what to do."""

    code: str
    message: str

    @property
    def loaded(self) -> bool:
        return self.code == LOADED


def record_month(record: Record) -> str | None:
    """The month a 210 or 212 sets (``None`` for deletions)."""
    kind = record["InfRecType"]
    if kind == ACCOUNT:
        return str(record[SEGMENT]["Month"])
    if kind == CORRECTION:
        return str(record["Month"])
    return None


def identifier(record: Record) -> tuple[str, ...]:
    """What ``ABR002`` compares within one file: per record type, the fields that name what it touches."""
    kind = str(record["InfRecType"])
    if kind == ACCOUNT:
        return (kind, record["AcctCode"], record[SEGMENT]["Month"])
    if kind == CORRECTION:
        return (kind, record["ModRecCode"])
    if kind == SEGMENT_DELETION:
        return (kind, record["AcctCode"], record["StartMonth"], record["EndMonth"])
    return (kind, record["AcctCode"])


def duplicates(records: Sequence[Record]) -> set[int]:
    """Positions of the records that share their identifier with another record of the same file."""
    counts = Counter(identifier(record) for record in records)
    return {index for index, record in enumerate(records) if counts[identifier(record)] > 1}


def fingerprint(record: Record) -> str:
    """The record's content, canonically: two records are identical (``ABR004``) when these are equal."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def check_record(record: Record, furnisher: str) -> Outcome | None:
    """The rules a record fails on its own (``ABE001``, ``ABE002``, ``ABE007``, ``BLR008``, ``BLR009``)."""
    kind = record["InfRecType"]
    if kind == ACCOUNT:
        return _check_account(record, furnisher)
    if kind == CORRECTION:
        expected = f"{record['AcctCode']}{record['Month']}"
        if record["ModRecCode"] != expected:
            return Outcome(
                "ABE001",
                f"ModRecCode {record['ModRecCode']!r} does not name the corrected month: it must be AcctCode "
                f"followed by Month, {expected!r}.",
            )
        if record[SEGMENT]["Month"] != record["Month"]:
            return Outcome(
                "ABE001",
                f"the corrected segment is for {record[SEGMENT]['Month']} but the record corrects "
                f"{record['Month']}; send the segment of {record['Month']}.",
            )
    elif kind == SEGMENT_DELETION and record["StartMonth"] > record["EndMonth"]:
        return Outcome(
            "ABE001",
            f"StartMonth {record['StartMonth']} is after EndMonth {record['EndMonth']}; swap them.",
        )
    elif kind == WHOLE_DELETION and record["DelRecCode"] != record["AcctCode"]:
        return Outcome(
            "ABE001",
            f"DelRecCode {record['DelRecCode']!r} is not the AcctCode {record['AcctCode']!r}; a 214 deletes "
            "the account it names, so give the same code in both.",
        )
    return None


def _check_account(record: Record, furnisher: str) -> Outcome | None:
    segment = record[SEGMENT]
    if record["MngmtOrgCode"] != furnisher:
        return Outcome(
            "ABE002",
            f"MngmtOrgCode {record['MngmtOrgCode']} is not the submitting furnisher {furnisher}; a furnisher "
            "reports only its own accounts.",
        )
    rpt_date = date.fromisoformat(record["RptDate"])
    for name, value in (
        ("OpenDate", record["OpenDate"]),
        ("SettDate", segment["SettDate"]),
        ("LatRpyDate", segment["LatRpyDate"]),
    ):
        if value is not None and rpt_date < date.fromisoformat(value):
            return Outcome(
                "ABE007",
                f"RptDate {rpt_date} is earlier than {name} {value}; report on or after {value}.",
            )
    if record["RptDateCode"] == RECOVERY:
        if record["AcctType"] == "R3":
            return Outcome("BLR008", "RptDateCode 40 (recovery of overdue amounts) is not allowed for R3 accounts.")
        if segment["LatRpyDate"] is None or money(segment["ActRpyAmt"]) <= ZERO:
            return Outcome(
                "BLR008",
                f"RptDateCode 40 reports a recovery of overdue amounts, but ActRpyAmt is {segment['ActRpyAmt']} "
                f"and LatRpyDate is {segment['LatRpyDate']}; give the amount and date recovered.",
            )
        if segment["Month"] != record["RptDate"][:7]:
            return Outcome(
                "BLR009",
                f"a RptDateCode 40 event on {record['RptDate']} carries the segment of {segment['Month']}; an "
                f"event report describes its own month, {record['RptDate'][:7]}.",
            )
    return None
