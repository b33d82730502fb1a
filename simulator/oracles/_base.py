"""What every oracle shares: the verdict types, the run context, the streaming pass and small readers.

An oracle is a :class:`Part` of one pass over the journal: it names the entries it wants (``routes``), is fed
each of them in ``seq`` order and keeps only what it needs (seqs, a few fields), then judges in
:meth:`Oracle.verdict`. :func:`stream` feeds any number of parts from one merged read of the entries on
their routes — so ``evaluate`` reads the journal once for all the invariants a scenario expects.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

from simulator._suggest import did_you_mean
from simulator.clock import Calendar, Span, parse_duration, parse_span
from simulator.domain import money, parse_instant
from simulator.errors import ConfigError
from simulator.journal import Entry, Filters, Journal
from simulator.masking import mask_text
from simulator.partners.bureau import NEGATIVE_ACCT_STATUS, NEGATIVE_RPY_STATUS, is_negative

if TYPE_CHECKING:
    from simulator.oracles._facts import Facts

__all__ = [
    "NEGATIVE_ACCT_STATUS",
    "NEGATIVE_RPY_STATUS",
    "PLATFORM_SOURCES",
    "Context",
    "Handler",
    "InvariantViolation",
    "Oracle",
    "Outcome",
    "Part",
    "Route",
    "Verdict",
    "as_int",
    "as_money",
    "as_text",
    "body_of",
    "bounded",
    "canonical",
    "day_end",
    "handled_at",
    "is_negative",
    "month_of",
    "parse_date",
    "parse_instant",
    "read_params",
    "source_of",
    "stamp",
    "stream",
]

#: ``x-lendsim-source`` values of the platform under test: an outside client sends none, ``Simulator.call``
#: from a test sends ``"platform"``. Partners calling each other send their name, the scenario runner
#: ``"harness"``.
PLATFORM_SOURCES: Final = frozenset({None, "platform"})
_SOURCE_HEADER: Final = "x-lendsim-source"
_T = TypeVar("_T")
_ONE_US: Final = timedelta(microseconds=1)
_CLOCK_TIME: Final = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")


@dataclass(frozen=True, slots=True)
class InvariantViolation:
    """One way an invariant was broken, for one borrower and loan where it concerns one.

    ``message`` says what went wrong with personal data masked; ``chain`` is the journal seqs of the entries
    that led there, in order — the story to read back with ``journal.iter`` or the control API.
    """

    invariant: str
    key: str
    borrower: str | None
    loan: str | None
    message: str
    chain: tuple[int, ...]


class Outcome(Enum):
    """What an invariant says of a run: one of three, never a "pass" it did not earn."""

    #: It judged something (``checked`` > 0) and found no violation.
    HELD = "held"
    #: It found at least one violation.
    VIOLATED = "violated"
    #: It judged nothing: no loan, installment, message, record or dispute of the kind it is about came to
    #: pass in the run. Not a pass — the run gave it nothing to look at.
    NOT_EXERCISED = "not exercised"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Verdict:
    """An invariant's judgement of a run.

    ``outcome`` is :attr:`Outcome.HELD` when it judged something and found no violation,
    :attr:`Outcome.VIOLATED` when it found one, :attr:`Outcome.NOT_EXERCISED` when it judged nothing
    (``checked`` is 0 and there is no violation). ``checked`` counts what it judged — ``judges`` names it
    ("installments collected in time", "SMS delivered", …).
    """

    invariant: str
    key: str
    outcome: Outcome
    checked: int
    violations: tuple[InvariantViolation, ...]
    judges: str = "items"

    @classmethod
    def of(
        cls, invariant: str, key: str, checked: int, violations: Iterable[InvariantViolation], judges: str = "items"
    ) -> Verdict:
        """The verdict the count and the violations make: violated, else held if anything was judged."""
        found = tuple(violations)
        outcome = Outcome.VIOLATED if found else Outcome.HELD if checked > 0 else Outcome.NOT_EXERCISED
        return cls(invariant, key, outcome, checked, found, judges)

    @property
    def held(self) -> bool:
        """Exercised, and no violation: the only outcome that passes."""
        return self.outcome is Outcome.HELD

    @property
    def violated(self) -> bool:
        return self.outcome is Outcome.VIOLATED

    @property
    def exercised(self) -> bool:
        """It judged something (or found a violation)."""
        return self.outcome is not Outcome.NOT_EXERCISED

    @property
    def reason(self) -> str:
        """Why the outcome, in a line: "negative bureau records: 25 judged, none violated", "… 25 judged, 3
        violations", "judged nothing: no negative bureau records in the run"."""
        if self.outcome is Outcome.NOT_EXERCISED:
            return f"judged nothing: no {self.judges} in the run"
        count = len(self.violations)
        found = f"{count:,} violation{'s' if count != 1 else ''}" if count else "none violated"
        return f"{self.judges}: {self.checked:,} judged, {found}"


@dataclass(frozen=True, slots=True)
class Context:
    """What a judgement needs besides the journal: the scenario's calendar, the end of the run, the grace."""

    calendar: Calendar
    end: datetime
    grace_days: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.calendar, Calendar):
            raise ConfigError(f"calendar must be a simulator.clock.Calendar, got {self.calendar!r}")
        if not isinstance(self.end, datetime) or self.end.utcoffset() is None:
            raise ConfigError(
                f"end must be a timezone-aware datetime (the end of the run's virtual time), got {self.end!r}"
            )
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int) or self.grace_days < 0:
            raise ConfigError(f"grace_days must be a whole number of days >= 0, got {self.grace_days!r}")

    @property
    def until(self) -> datetime:
        """The exclusive bound that keeps every entry up to and including ``end``."""
        return self.end + _ONE_US

    def local(self, instant: datetime) -> date:
        return self.calendar.local_date(instant)

    def window_until(self, start: datetime, span: Span) -> datetime:
        """The exclusive end of a window of ``span`` counted from the local date of ``start``: the first
        instant after its last day."""
        return day_end(self.calendar, self.calendar.deadline(self.local(start), span))


Route = tuple[str, str | None, str | None]
"""``(kind, partner, operation)`` an oracle wants; ``None`` for partner or operation matches any."""
Handler = Callable[[Entry], None]


class Part:
    """Something fed by the shared pass: it names its routes and takes the entries on them."""

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        raise NotImplementedError


class Oracle(Part):
    """One invariant: fed by :func:`stream`, then asked for its :class:`Verdict`."""

    invariant: ClassVar[str]
    key: ClassVar[str]
    #: What ``checked`` counts, in the plural ("installments collected in time"): what it judges.
    judges: ClassVar[str] = "items"
    #: The parameters it takes in ``expect:`` and their defaults.
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        self.context = context
        self.facts = facts
        self.violations: list[InvariantViolation] = []
        self.checked = 0

    def verdict(self) -> Verdict:
        self.judge()
        return Verdict.of(self.invariant, self.key, self.checked, self.violations, self.judges)

    def judge(self) -> None:
        """Decide, once everything has been fed; add to ``violations`` and ``checked``."""
        raise NotImplementedError

    def violate(self, borrower: str | None, loan: str | None, message: str, chain: Iterable[int]) -> None:
        self.violations.append(
            InvariantViolation(self.invariant, self.key, borrower, loan, mask_text(message), tuple(sorted(set(chain))))
        )


def stream(journal: Journal, parts: Sequence[Part]) -> None:
    """Feed ``parts`` every entry on their routes, in ``seq`` order, in one merged pass over ``journal``."""
    table: dict[Route, list[Handler]] = {}
    kinds: set[str] = set()
    for part in parts:
        for route, handler in part.routes():
            table.setdefault(route, []).append(handler)
            kinds.add(route[0])
    if not kinds:
        return
    merged: dict[Route, tuple[Handler, ...]] = {}
    streams = [journal.iter(**filters) for filters in _selection(table)]
    entries = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=_seq)
    for entry in entries:
        route = (entry.kind, entry.partner, entry.operation)
        handlers = merged.get(route)
        if handlers is None:
            keys = dict.fromkeys((route, (route[0], route[1], None), (route[0], None, None)))
            handlers = merged[route] = tuple(h for key in keys for h in table.get(key, ()))
        for handler in handlers:
            handler(entry)


def _selection(table: Mapping[Route, object]) -> list[Filters]:
    """Journal filters that together select every entry on the routes of ``table``, each entry once.

    A kind wanted whatever the operation is read whole; otherwise only its wanted operations are read (through
    the operation index), so the many entries no part wants (logs, feedback, receipts: about half a replay's
    journal) are neither fetched nor decoded. The selections are disjoint (by kind, then operation), so
    merging them by ``seq`` gives each entry once, in the order one pass would.
    """
    wanted: dict[str, dict[str | None, set[str | None]]] = {}
    for kind, partner, operation in table:
        wanted.setdefault(kind, {}).setdefault(operation, set()).add(partner)
    selection: list[Filters] = []
    for kind in sorted(wanted):
        operations = wanted[kind]
        if None in operations:
            partners = set().union(*operations.values())
            selection.append(_narrowed({"kind": kind}, partners))
            continue
        for operation in sorted(op for op in operations if op is not None):
            selection.append(_narrowed({"kind": kind, "operation": operation}, operations[operation]))
    return selection


def _narrowed(filters: Filters, partners: set[str | None]) -> Filters:
    """``filters`` on the one partner wanted, if there is just one (a superset is fine: the table decides)."""
    if len(partners) == 1 and None not in partners:
        filters["partner"] = next(iter(partners))
    return filters


def _seq(entry: Entry) -> int:
    return entry.seq


# -- parameters ------------------------------------------------------------------------------------------


def read_params(oracle: type[Oracle], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """``given`` over the oracle's defaults; spans as :class:`Span` (from a Span or its text).

    Raises :class:`ConfigError` naming an unknown parameter (with the closest known one) or a bad span.
    """
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise ConfigError(
            f"expect.{oracle.key} takes a mapping of parameters ({_known(oracle)}), got {given!r}",
            field=oracle.key,
        )
    values = dict(oracle.params)
    for name, value in given.items():
        if name not in oracle.params:
            close = did_you_mean(name, oracle.params)
            hint = f"{close} " if close else ""
            raise ConfigError(
                f"expect.{oracle.key}: unknown parameter {name!r}; {hint}it takes {_known(oracle)}",
                field=f"{oracle.key}.{name}",
            )
        default = oracle.params[name]
        if isinstance(default, Span):
            value = _span(oracle.key, str(name), value)
        elif isinstance(default, timedelta):
            value = _duration(oracle.key, str(name), value)
        elif isinstance(default, time):
            value = _time_of_day(oracle.key, str(name), value)
        values[str(name)] = value
    return values


def _known(oracle: type[Oracle]) -> str:
    if not oracle.params:
        return "no parameters: write {}"
    return ", ".join(f"{name} (default {_shown(value)})" for name, value in oracle.params.items())


def _shown(value: object) -> str:
    """A default as a scenario writes it: ``24 hours``, ``08:00``, ``[platform]``."""
    if isinstance(value, timedelta):
        hours = value / timedelta(hours=1)
        return f"{hours:g} hours" if hours == int(hours) else str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M") if value != time(23, 59, 59, 999999) else "24:00"
    if isinstance(value, tuple | list | frozenset):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def _span(key: str, name: str, value: object) -> Span:
    if isinstance(value, Span):
        return value
    if isinstance(value, str):
        try:
            return parse_span(value)
        except ConfigError as exc:
            raise ConfigError(f"expect.{key}.{name}: {exc}", field=f"{key}.{name}") from None
    raise ConfigError(
        f"expect.{key}.{name} must be a span such as '30 business days' or '20 days', got {value!r}",
        field=f"{key}.{name}",
    )


def _duration(key: str, name: str, value: object) -> timedelta:
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    if isinstance(value, str):
        try:
            duration = parse_duration(value)
        except ConfigError as exc:
            raise ConfigError(f"expect.{key}.{name}: {exc}", field=f"{key}.{name}") from None
        if duration > timedelta(0):
            return duration
    raise ConfigError(
        f"expect.{key}.{name} must be a positive duration such as '24 hours' or 'PT6H', got {value!r}",
        field=f"{key}.{name}",
    )


def _time_of_day(key: str, name: str, value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and _CLOCK_TIME.fullmatch(value.strip()):
        hours, minutes = value.strip().split(":")
        return time(23, 59, 59, 999999) if hours == "24" else time(int(hours), int(minutes))
    raise ConfigError(
        f"expect.{key}.{name} must be a local time of day such as '08:00' or '21:00', got {value!r}",
        field=f"{key}.{name}",
    )


# -- reading entries -------------------------------------------------------------------------------------


def body_of(entry: Entry) -> Any:
    """The JSON body a request, response or delivery carried (``None`` without one)."""
    return entry.data.get("body")


def handled_at(entry: Entry) -> datetime:
    """When the partner handled the request a ``response`` entry answers: a ``latency`` fault's answer is journaled
    as of when it arrives (its ``delay`` later), the journal's order (``seq``) being the order things happened."""
    delay = entry.data.get("delay")
    if isinstance(delay, int | float) and not isinstance(delay, bool) and delay > 0:
        return entry.virtual_time - timedelta(seconds=delay)
    return entry.virtual_time


def source_of(entry: Entry) -> str | None:
    """Who sent a request: its ``x-lendsim-source`` header (``None`` for an outside client)."""
    headers = entry.data.get("headers")
    if isinstance(headers, Mapping):
        value = headers.get(_SOURCE_HEADER)
        return value if isinstance(value, str) else None
    return None


def as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def as_money(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return money(str(value)) if isinstance(value, int | float | str | Decimal) else None
    except (InvalidOperation, ValueError):
        return None


def parse_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def day_end(calendar: Calendar, day: date) -> datetime:
    """The first instant after local date ``day``."""
    return calendar.at(day + timedelta(days=1), time(0))


def stamp(calendar: Calendar, instant: datetime) -> str:
    """An instant as a reader wants it in a message: local, to the minute (seconds when they matter)."""
    local = instant.astimezone(calendar.tz)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def bounded(items: Sequence[_T], keep: int = 3) -> list[_T]:
    """The first and last ``keep`` of ``items``: a chain names a storm without listing all of it."""
    if len(items) <= 2 * keep:
        return list(items)
    return [*items[:keep], *items[-keep:]]


def canonical(value: object) -> str:
    """A stable text of JSON-like data, to compare or group by."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
