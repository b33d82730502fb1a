"""What the HTML report shows of a run, worked out from its journal and verdicts: masked, laid out, ready to render.

A timeline is one borrower's story on the run's virtual time: a lane per party (borrower, platform, bank, bureau,
SMS gateway), a mark per journal entry of theirs (their own entries, their loans' entries and the entries the
oracles cite about them). The calendar (non-business days, the bank's cut-off and batch hours) and the fault
windows are the same for every borrower of a run, so they are laid out once per run (:attr:`RunView.backdrop`)
and each timeline refers to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final

from markupsafe import Markup, escape

from simulator.clock import Calendar
from simulator.journal import Entry, Journal
from simulator.masking import NAME_KEYS, mask_text, mask_value
from simulator.oracles import ORACLES, Outcome, Verdict
from simulator.partners.bank import BankConfig
from simulator.report._aggregates import Aggregates, aggregate

__all__ = ["LANES", "Backdrop", "Mark", "RunView", "Timeline", "ViolationRow"]

#: The swimlanes, top to bottom.
LANES: Final = ("borrower", "platform", "bank", "bureau", "sms")
LANE_NAMES: Final = {"borrower": "borrower", "platform": "platform", "bank": "bank", "bureau": "bureau", "sms": "SMS"}
#: Entries that are the borrower's own doing (journaled by the harness under the platform).
BORROWER_OPERATIONS: Final = frozenset({"borrowerRepaid"})
DAY_WIDTH: Final = 96  # pixels per virtual day
LANE_HEIGHT: Final = 34
AXIS_HEIGHT: Final = 22
GUTTER: Final = 8  # before the run's start
#: A timeline is embedded for at most this many borrowers per run, taken in turn from each violated invariant's
#: violations so that every invariant has its examples (docs/reports.md: the size of the file).
MAX_TIMELINES: Final = 40
#: A mark's details keep strings and lists this short (the journal has them whole).
DETAIL_TEXT: Final = 160
DETAIL_ITEMS: Final = 12


@dataclass(frozen=True, slots=True)
class Mark:
    """One journal entry on a timeline."""

    seq: int
    x: float
    y: float
    kind: str
    failed: bool


@dataclass(frozen=True, slots=True)
class Timeline:
    borrower: str  # masked
    anchor: str  # the element id
    marks: list[Mark]
    first_x: float

    def svg(self) -> Markup:
        """The marks as SVG circles (numbers and class names only: nothing to escape but the kind, done here)."""
        return Markup(
            "".join(
                f'<circle class="m k-{escape(m.kind)}{" failed" if m.failed else ""}" cx="{m.x}" cy="{m.y}" '
                f'data-seq="{m.seq}"/>'
                for m in self.marks
            )
        )


@dataclass(frozen=True, slots=True)
class ViolationRow:
    invariant: str
    key: str
    borrower: str  # masked
    loan: str
    message: str  # masked
    chain: list[int]
    timeline: str | None  # the anchor of the borrower's timeline, if embedded
    serials: str  # the borrower's repayOuterNo, which the search box matches besides the row's text


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass(frozen=True, slots=True)
class Backdrop:
    """The calendar, the bank's hours, the fault windows and the axis: the same under every timeline of a run."""

    width: float
    height: float
    days: list[tuple[float, str, str]]  # x, label, "weekend" | "holiday" | "workday"
    hours: list[tuple[float, str]]  # x, what (cut-off, overdue batch, …)
    faults: list[Rect]


@dataclass
class RunView:
    """One run (scenario × platform) as the report shows it."""

    scenario: str
    file: str
    platform: str
    seed: int
    borrowers: int
    start: datetime
    end: datetime
    status: str
    events: int
    wall_seconds: float
    replay: str
    error: str | None
    expected: list[str]
    verdicts: list[Verdict]
    journal: Journal
    calendar: Calendar
    bank: BankConfig
    index: int = 0
    max_timelines: int = MAX_TIMELINES
    #: Why the run is incomplete ("stopped by SIGTERM at virtual time …"): a signal stopped it, nothing was judged.
    incomplete: str | None = None

    @property
    def slug(self) -> str:
        return f"run{self.index}"

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)

    def counts(self) -> dict[str, int]:
        return {
            outcome.value: sum(1 for verdict in self.verdicts if verdict.outcome is outcome)
            for outcome in (Outcome.HELD, Outcome.VIOLATED, Outcome.NOT_EXERCISED)
        }

    def invariant_name(self, key: str) -> str:
        oracle = ORACLES.get(key)
        return f"{oracle.invariant} {key}" if oracle is not None else key

    def aggregates(self) -> Aggregates:
        """The run's aggregate views (SMS per person per day, bureau records, repayments), from its journal."""
        tz = self.calendar.tz
        return aggregate(self.journal, tz, self.start.astimezone(tz).date(), self.end.astimezone(tz).date())

    # -- layout -----------------------------------------------------------------------------------------

    def x(self, at: datetime) -> float:
        return round(GUTTER + (at - self.start).total_seconds() / 86400 * DAY_WIDTH, 1)

    def backdrop(self) -> Backdrop:
        calendar, tz = self.calendar, self.calendar.tz
        first = self.start.astimezone(tz).date()
        last = self.end.astimezone(tz).date()
        days: list[tuple[float, str, str]] = []
        hours: list[tuple[float, str]] = []
        day = first
        named = {
            "cut-off": self.bank.cutoff,
            "overdue batch": self.bank.overdue_batch_time,
            "reconciliation file": self.bank.reconciliation_time,
            "furnishing": self.bank.furnishing_time,
        }
        while day <= last:
            kind = "workday" if calendar.is_business_day(day) else "weekend" if day.weekday() >= 5 else "holiday"
            days.append((self.x(calendar.at(day, time(0))), day.strftime("%m-%d %a"), kind))
            hours.extend((self.x(calendar.at(day, at)), what) for what, at in named.items())
            day += timedelta(days=1)
        height = AXIS_HEIGHT + LANE_HEIGHT * len(LANES)
        return Backdrop(self.x(self.end) + 20, height, days, hours, self._fault_windows())

    def _fault_windows(self) -> list[Rect]:
        windows: dict[str, dict[str, Any]] = {}
        ends: dict[str, datetime] = {}
        for entry in self.journal.iter(kind="fault"):
            fault_id = str(entry.data.get("id"))
            if entry.operation == "faultAdded":
                windows[fault_id] = dict(entry.data) | {"_added": entry.virtual_time}
            elif entry.operation == "faultRemoved":
                ends[fault_id] = entry.virtual_time
        rects = []
        for fault_id, data in windows.items():
            begin = _instant(data.get("from")) or data["_added"]
            until = _instant(data.get("until")) or self.end
            if fault_id in ends:
                until = min(until, ends[fault_id])
            begin, until = max(begin, self.start), min(until, self.end)
            at = str(data.get("at", ""))
            lane = _lane_of_party(at.split(".")[0])
            action = next((key for key in data if key not in _FAULT_FIELDS and not key.startswith("_")), "fault")
            title = mask_text(f"fault {fault_id}: {at} {action} {data.get(action) or ''} from {begin:%Y-%m-%d %H:%M}")
            title += f" until {until:%Y-%m-%d %H:%M}"
            y = AXIS_HEIGHT + LANES.index(lane) * LANE_HEIGHT + 2
            width = max(2.0, self.x(until) - self.x(begin))
            rects.append(Rect(self.x(begin), y, width, LANE_HEIGHT - 4, action, title))
        return rects

    # -- borrowers --------------------------------------------------------------------------------------

    def _story(self, borrower: str) -> dict[int, Entry]:
        """The entries of ``borrower``: their own, and those of their loans that name no borrower (by index)."""
        entries = {entry.seq: entry for entry in self.journal.iter(borrower=borrower)}
        for loan in sorted({entry.loan for entry in entries.values() if entry.loan is not None}):
            entries.update((entry.seq, entry) for entry in self.journal.iter(loan=loan) if entry.borrower is None)
        return entries

    def _serials(self) -> dict[str, set[str]]:
        """Each borrower's repayment serials (``repayOuterNo``): those the platform applied with at the bank, by
        loan, and the loans' borrowers from their registration."""
        owners = {
            entry.loan: entry.borrower
            for entry in self.journal.iter(kind="event", operation="loanRegistered")
            if entry.loan is not None and entry.borrower is not None
        }
        serials: dict[str, set[str]] = defaultdict(set)
        for entry in self.journal.iter(kind="request", operation="repayApply"):
            owner = owners.get(entry.loan) if entry.loan is not None else None
            if owner is not None and entry.serial is not None:
                serials[owner].add(entry.serial)
        return serials

    def violations(self) -> tuple[list[ViolationRow], list[Timeline], dict[int, dict[str, Any]]]:
        """Every violation as a row, the timelines of the borrowers they concern (at most ``max_timelines``),
        and the masked entries those timelines show, by seq (a mark's details)."""
        found = [(verdict, violation) for verdict in self.verdicts for violation in verdict.violations]
        order = _in_turn([[v.borrower for v in verdict.violations if v.borrower] for verdict in self.verdicts])
        shown = set(order[: self.max_timelines])
        cited: dict[str, set[int]] = defaultdict(set)
        for _, violation in found:
            if violation.borrower in shown:
                cited[violation.borrower].update(violation.chain)
        details: dict[int, dict[str, Any]] = {}
        timelines: dict[str, Timeline] = {}
        for number, borrower in enumerate(b for b in order if b in shown):
            entries = self._story(borrower)
            missing = sorted(cited[borrower] - entries.keys())
            for seq in missing:
                entries.update((entry.seq, entry) for entry in self.journal.query(after=seq - 1, limit=1).items)
            ordered = sorted(entries.values(), key=lambda entry: entry.seq)
            marks = self._marks(ordered)
            for entry in ordered:
                details[entry.seq] = _details(entry)
            anchor = f"{self.slug}-t{number}"
            timelines[borrower] = Timeline(mask_text(borrower), anchor, marks, min((m.x for m in marks), default=0))
        rows = []
        serials = self._serials()
        for verdict, violation in found:
            borrower = violation.borrower or "-"
            timeline = timelines.get(borrower)
            rows.append(
                ViolationRow(
                    verdict.invariant,
                    verdict.key,
                    mask_text(borrower),
                    violation.loan or "-",
                    mask_text(violation.message),
                    list(violation.chain),
                    timeline.anchor if timeline is not None else None,
                    mask_text(" ".join(sorted(serials.get(borrower, ())))).lower(),
                )
            )
        return rows, list(timelines.values()), details

    def _marks(self, entries: Iterable[Entry]) -> list[Mark]:
        taken: dict[tuple[str, int], int] = defaultdict(int)
        marks = []
        for entry in entries:
            lane = _lane(entry)
            x = self.x(entry.virtual_time)
            slot = (lane, int(x // 4))
            row = taken[slot] % 5
            taken[slot] += 1
            y = AXIS_HEIGHT + LANES.index(lane) * LANE_HEIGHT + 6 + row * 5.5
            failed = (entry.status is not None and entry.status >= 400) or entry.kind in ("fault", "drift")
            marks.append(Mark(entry.seq, x, round(y, 1), entry.kind, failed))
        return marks


_FAULT_FIELDS: Final = frozenset({"id", "at", "from", "until", "probability", "createdAt"})


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _lane_of_party(party: str | None) -> str:
    return party if party in ("bank", "bureau", "sms") else "platform"


def _lane(entry: Entry) -> str:
    if entry.operation in BORROWER_OPERATIONS:
        return "borrower"
    return _lane_of_party(entry.partner)


def _in_turn(lists: list[list[str]]) -> list[str]:
    """The distinct items of ``lists``, one from each in turn: the first of each, the second of each, …"""
    seen: dict[str, None] = {}
    for depth in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if depth < len(items):
                seen.setdefault(items[depth])
    return list(seen)


def _short(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= DETAIL_TEXT else value[:DETAIL_TEXT] + "…"
    if isinstance(value, Mapping):
        return {key: _short(item) for key, item in value.items()}
    if isinstance(value, list):
        kept = [_short(item) for item in value[:DETAIL_ITEMS]]
        return kept + ([f"… {len(value) - DETAIL_ITEMS} more"] if len(value) > DETAIL_ITEMS else [])
    return value


def _details(entry: Entry) -> dict[str, Any]:
    """An entry as a mark's details show it: masked, long texts and lists cut short."""
    shown = entry.to_json()
    shown.pop("wallTime", None)
    shown.pop("seq", None)
    if isinstance(shown.get("data"), dict):
        shown["data"] = {key: value for key, value in shown["data"].items() if key != "headers"}
    kept: dict[str, Any] = {key: _short(value) for key, value in shown.items() if value not in (None, {}, [])}
    return dict(mask_value(kept, name_keys=NAME_KEYS))
