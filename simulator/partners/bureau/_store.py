"""What the bureau holds: accounts by AcctCode, each with its months (the latest state of each month) and
its history (every loaded record that touched it), indexed by subject (IDType, IDNum).

``Store.load`` applies the rules that need this state and, when a record passes them, changes the view:
a 210 sets its month, a 212 replaces a loaded month's segment, a 213 deletes months, a 214 deletes the
account. It is pure: no clock, no journal; the model passes the time and journals the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from simulator.partners.bureau._records import (
    ACCOUNT,
    CORRECTION,
    LOADED,
    SEGMENT,
    SEGMENT_DELETION,
    Outcome,
    Record,
    fingerprint,
)

__all__ = ["Account", "HistoryEntry", "Load", "MonthState", "Objection", "Store", "SubjectKey"]

SubjectKey = tuple[str, str]  # (IDType, IDNum)


@dataclass(frozen=True, slots=True)
class Objection:
    """A dispute answered CANNOT_CONFIRM: the objection and the finding, recorded with the month."""

    dispute_id: str
    reason: str
    finding: str
    recorded_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "disputeId": self.dispute_id,
            "reason": self.reason,
            "finding": self.finding,
            "recordedAt": self.recorded_at.isoformat(),
        }


@dataclass(slots=True)
class MonthState:
    """One month of an account as the bureau holds it now."""

    segment: dict[str, Any]
    rpt_date: date  # RptDate of the 210 that set the month; a 212 keeps it
    record_type: str
    loaded_at: datetime
    objections: list[Objection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One loaded record's effect on one month (``month`` is ``None`` for a 214)."""

    record_type: str
    loaded_at: datetime
    month: str | None
    rpy_status: str | None
    submission_id: str
    index: int

    def to_json(self) -> dict[str, Any]:
        return {
            "recordType": self.record_type,
            "loadedAt": self.loaded_at.isoformat(),
            "Month": self.month,
            "RpyStatus": self.rpy_status,
        }


@dataclass(slots=True)
class Account:
    """An account as reported by its furnisher; ``deleted`` after a 214 until a 210 reports it again."""

    acct_code: str
    subject: SubjectKey
    mngmt_org: str
    acct_type: str
    months: dict[str, MonthState] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    #: Fingerprints of the records loaded since the last 214, with the month each set (None: a deletion).
    fingerprints: dict[str, str | None] = field(default_factory=dict)
    deleted: bool = False

    @property
    def latest_rpt_date(self) -> date | None:
        return max((state.rpt_date for state in self.months.values()), default=None)

    def changed_since(self, month: str, mark: int) -> bool:
        """Whether a record loaded after history entry ``mark`` (a ``len(history)`` taken earlier) set or
        deleted ``month`` or the whole account."""
        return any(entry.month in (month, None) for entry in self.history[mark:])


@dataclass(frozen=True, slots=True)
class Load:
    """What loading one record did: its feedback and, when loaded, the account and the months it deleted."""

    outcome: Outcome
    account: Account | None = None
    months_deleted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Source:
    when: datetime
    submission_id: str
    index: int


class Store:
    """Accounts by AcctCode and the AcctCodes of each subject."""

    __slots__ = ("_accounts", "_subjects")

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._subjects: dict[SubjectKey, list[str]] = {}

    def __len__(self) -> int:
        return sum(1 for account in self._accounts.values() if not account.deleted)

    def account(self, acct_code: str, *, include_deleted: bool = False) -> Account | None:
        """The live account (or the deleted one too, with ``include_deleted``), or ``None``."""
        account = self._accounts.get(acct_code)
        if account is None or (account.deleted and not include_deleted):
            return None
        return account

    def accounts_of(self, subject: SubjectKey) -> Iterator[Account]:
        """The subject's live accounts, in the order the bureau first heard of them."""
        for code in self._subjects.get(subject, ()):
            account = self._accounts[code]
            if not account.deleted:
                yield account

    def load(
        self,
        record: Record,
        furnisher: str,
        *,
        when: datetime,
        submission_id: str,
        index: int,
        refuse_correction: Callable[[], bool],
    ) -> Load:
        """Apply the state rules to ``record`` and load it if it passes (see ``contracts/bureau.yaml``)."""
        source = _Source(when, submission_id, index)
        kind = record["InfRecType"]
        if kind == ACCOUNT:
            return self._load_account(record, furnisher, source)
        account = self._accounts.get(record["AcctCode"])
        if account is None:
            return Load(
                Outcome(
                    "ABR005",
                    f"the bureau holds no account {record['AcctCode']} to {_verb(kind)}; report it with a 210 first.",
                )
            )
        if account.mngmt_org != furnisher:
            return _other_furnisher(account, furnisher)
        if kind == CORRECTION:
            return self._load_correction(record, account, source, refuse_correction)
        if kind == SEGMENT_DELETION:
            return self._load_segment_deletion(record, account, source)
        return self._load_whole_deletion(record, account, source)

    def record_objection(self, acct_code: str, month: str, objection: Objection) -> bool:
        """Attach a CANNOT_CONFIRM finding to a live month; ``False`` if the month is no longer there."""
        account = self.account(acct_code)
        if account is None or month not in account.months:
            return False
        account.months[month].objections.append(objection)
        return True

    # -- one rule set per record type -----------------------------------------------------------

    def _load_account(self, record: Record, furnisher: str, source: _Source) -> Load:
        code = record["AcctCode"]
        subject: SubjectKey = (record["IDType"], record["IDNum"])
        segment = record[SEGMENT]
        month = str(segment["Month"])
        rpt_date = date.fromisoformat(record["RptDate"])
        account = self.account(code)
        fp = fingerprint(record)  # once: it is the record's canonical JSON
        if account is not None:
            if account.subject != subject:
                return Load(
                    Outcome(
                        "ABE001",
                        f"AcctCode {code} is held for another person; report this person's account under its "
                        f"own AcctCode, or delete {code} with a 214 first if it was reported for the wrong person.",
                    )
                )
            if account.mngmt_org != furnisher:
                return _other_furnisher(account, furnisher)
            if fp in account.fingerprints:
                return Load(
                    Outcome(
                        "ABR004",
                        f"an identical 210 for {code} {month} (RptDate {rpt_date}) is already loaded; nothing "
                        "to do. To change the month send a 212.",
                    )
                )
            latest = account.latest_rpt_date
            if latest is not None and rpt_date < latest:
                return Load(
                    Outcome(
                        "BBR002",
                        f"RptDate {rpt_date} is earlier than the latest loaded RptDate {latest} of {code}; "
                        f"send a 212 correction (ModRecCode {code}{month}) instead.",
                    )
                )
        else:
            account = self._open(code, subject, furnisher)
        account.mngmt_org = record["MngmtOrgCode"]
        account.acct_type = record["AcctType"]
        previous = account.months.get(month)
        account.months[month] = MonthState(
            dict(segment), rpt_date, ACCOUNT, source.when, previous.objections if previous else []
        )
        account.fingerprints[fp] = month
        self._history(account, ACCOUNT, source, month, segment["RpyStatus"])
        return Load(_loaded(), account)

    def _load_correction(
        self, record: Record, account: Account, source: _Source, refuse_correction: Callable[[], bool]
    ) -> Load:
        month = str(record["Month"])
        code = account.acct_code
        current = account.months.get(month) if not account.deleted else None
        if current is None:
            return Load(Outcome("ABR005", _nothing_loaded(account, f"month {month} to correct")))
        fp = fingerprint(record)
        segment = record[SEGMENT]
        if fp in account.fingerprints and current.segment == segment:
            return Load(Outcome("ABR004", f"this correction of {code} {month} is already in effect; nothing to do."))
        if refuse_correction():
            return Load(
                Outcome(
                    "ABR006",
                    f"the bureau could not load the correction of {code} {month}; submit the same 212 again.",
                )
            )
        account.months[month] = MonthState(dict(segment), current.rpt_date, CORRECTION, source.when, current.objections)
        account.fingerprints[fp] = month
        self._history(account, CORRECTION, source, month, segment["RpyStatus"])
        return Load(_loaded(), account)

    def _load_segment_deletion(self, record: Record, account: Account, source: _Source) -> Load:
        start, end = record["StartMonth"], record["EndMonth"]
        fp = fingerprint(record)
        months = () if account.deleted else tuple(m for m in sorted(account.months) if start <= m <= end)
        if not months:
            if fp in account.fingerprints:
                return Load(Outcome("ABR004", f"an identical 213 already deleted {start}..{end}; nothing to do."))
            return Load(Outcome("ABR005", _nothing_loaded(account, f"month between {start} and {end} to delete")))
        for month in months:
            del account.months[month]
            self._history(account, SEGMENT_DELETION, source, month, None)
        account.fingerprints = {k: m for k, m in account.fingerprints.items() if m is None or m not in months}
        account.fingerprints[fp] = None
        return Load(_loaded(), account, months_deleted=months)

    def _load_whole_deletion(self, record: Record, account: Account, source: _Source) -> Load:
        fp = fingerprint(record)
        if account.deleted:
            if fp in account.fingerprints:
                return Load(Outcome("ABR004", f"an identical 214 already deleted {account.acct_code}; nothing to do."))
            return Load(Outcome("ABR005", f"account {account.acct_code} is already deleted; nothing to delete."))
        months = tuple(sorted(account.months))
        account.months.clear()
        account.deleted = True
        account.fingerprints = {fp: None}
        self._history(account, "214", source, None, None)
        return Load(_loaded(), account, months_deleted=months)

    # -- helpers ---------------------------------------------------------------------------------

    def _open(self, code: str, subject: SubjectKey, furnisher: str) -> Account:
        old = self._accounts.get(code)
        if old is not None and old.subject == subject:  # reported again after a 214: the history goes on
            old.deleted = False
            return old
        if old is not None:  # deleted, now reported for someone else: nothing of the old one shows
            self._subjects[old.subject].remove(code)
        account = Account(code, subject, furnisher, "")
        self._accounts[code] = account
        self._subjects.setdefault(subject, []).append(code)
        return account

    @staticmethod
    def _history(account: Account, kind: str, source: _Source, month: str | None, rpy_status: str | None) -> None:
        account.history.append(HistoryEntry(kind, source.when, month, rpy_status, source.submission_id, source.index))


def _loaded() -> Outcome:
    return Outcome(LOADED, "loaded")


def _verb(kind: str) -> str:
    return "correct" if kind == CORRECTION else "delete from"


def _nothing_loaded(account: Account, what: str) -> str:
    if account.deleted:
        return f"account {account.acct_code} was deleted by a 214; there is no {what}. Report it with a 210 first."
    return f"account {account.acct_code} has no loaded {what}; report the month with a 210 first."


def _other_furnisher(account: Account, furnisher: str) -> Load:
    return Load(
        Outcome(
            "ABE002",
            f"account {account.acct_code} is reported by {account.mngmt_org}, not {furnisher}; a furnisher "
            "changes only its own accounts.",
        )
    )
