"""A scenario, checked for meaning: instants in its time zone, durations, ranges, shares, faults, expectations.

:func:`check_meaning` reads schema-valid data (what the schema refused is already gone) and reports every
problem the schema cannot see — a negative duration, a range upside down, a fault at a point that does not
exist, a window that ends before it starts — under the key the user wrote. What checked out is kept in a
:class:`Draft`, for the rules that warn and for the :class:`Scenario` a clean file becomes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Final

from simulator._yaml import Finding
from simulator.clock import Calendar, parse_duration, parse_span
from simulator.core import SigningConfig, parse_fault
from simulator.errors import ConfigError, LendsimError
from simulator.partners.bank import BankConfig
from simulator.partners.bureau import BureauConfig
from simulator.partners.sms import SmsConfig
from simulator.scenario._findings import Findings

__all__ = [
    "Draft",
    "IntRange",
    "Scenario",
    "check_meaning",
    "known_points",
    "parse_int_range",
    "parse_money_range",
    "parse_share",
]

MAX_DURATION = timedelta(days=3660)


@dataclass(frozen=True, slots=True)
class IntRange:
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a run needs, checked. Partner settings stay as written until the runner maps them.

    ``warnings``: what lint warns about (a fault outside the run, an invariant no platform can pass, …); a
    run goes ahead with them, and says so."""

    name: str
    file: str
    description: str
    covers: tuple[str, ...]
    seed: int
    calendar: Calendar
    start: datetime
    duration: timedelta
    population: Mapping[str, Any]
    borrowers: Mapping[str, Any]
    bank: Mapping[str, Any]
    bureau: Mapping[str, Any]
    sms: Mapping[str, Any]
    faults: tuple[Mapping[str, Any], ...]  # as Engine.add_fault takes them, instants made aware
    expect: Mapping[str, Mapping[str, Any]]
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)
    warnings: tuple[Finding, ...] = field(repr=False, default=())
    #: The ``signing:`` section as written; None: the run's traffic is not signed.
    signing: Mapping[str, Any] | None = None

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(slots=True)
class Draft:
    """The parts of a scenario that checked out; ``None`` (or absent from a collection) where one did not.

    ``written``: the data as given, without what the schema refused (to tell what the user wrote)."""

    written: Mapping[str, Any]
    calendar: Calendar
    calendar_ok: bool
    start: datetime | None
    duration: timedelta | None
    population: dict[str, Any]
    borrowers: dict[str, Any]
    bank: BankConfig | None
    bureau: BureauConfig | None
    sms: SmsConfig | None
    faults: list[tuple[int, dict[str, Any]]]  # (its index in the file, the fault with aware instants)
    expect: dict[str, dict[str, Any]]  # invariant → its parameters, spans read

    @property
    def end(self) -> datetime | None:
        return self.start + self.duration if self.start is not None and self.duration is not None else None


@cache
def known_points() -> Mapping[str, frozenset[str]]:
    """Injection points of the built-in simulator (its contracts' operations, deliveries and jobs), each with
    the fault actions it takes — so lint refuses an action where it would do nothing, as a run would."""
    from simulator.world import Simulator

    return Simulator().point_actions


def parse_share(value: Any) -> float:
    """'97%' or 0.97 → 0.97."""
    number = float(value.strip().rstrip("%").strip()) / 100 if isinstance(value, str) else float(value)
    if not 0 <= number <= 1:
        raise ConfigError(f"{value!r} is not a share between 0% and 100%")
    return number


def parse_int_range(value: Any) -> IntRange:
    """7 or '1..20' → IntRange."""
    if isinstance(value, int):
        return IntRange(value, value)
    low, _, high = str(value).partition("..")
    result = IntRange(int(low), int(high))
    if result.low > result.high:
        raise ConfigError(f"the range {value!r} runs backwards; write {result.high}..{result.low}")
    return result


def parse_money_range(value: Any) -> tuple[Decimal, Decimal]:
    low, _, high = str(value).partition("..")
    result = (Decimal(low.strip()), Decimal((high or low).strip()))
    if result[0] <= 0 or result[0] > result[1]:
        raise ConfigError(f"the amount range {value!r} must be positive and run from low to high")
    return result


def instant(value: Any, tz: Any) -> datetime:
    """A scenario instant ('2019-05-10 20:00', '2019-05-10T20:00:00+08:00', '2019-05-10'), aware."""
    text = str(value)
    parsed = datetime.fromisoformat(text) if ":" in text else datetime.combine(date.fromisoformat(text), time())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def check_meaning(data: Mapping[str, Any], out: Findings) -> Draft:
    """Check what the schema cannot see in ``data`` (schema-valid where present); report to ``out``."""
    calendar, calendar_ok = _calendar(data.get("calendar", {}), out)
    calendar_ok = calendar_ok and not out.about(["calendar"])
    start = _start(data, calendar, out)
    duration = _duration(data, out)
    if calendar_ok and start is not None and duration is not None:
        _holiday_years(data.get("calendar", {}), calendar, start, start + duration, out)
    population = dict(data.get("population", {}))
    loan = population.get("loan", {})
    for key, parse in (("principal", parse_money_range), ("term", parse_int_range), ("due_day", parse_int_range)):
        if key in loan:
            _check(out, ["population", "loan", key], parse, loan[key])
    if "recycled_phones" in population:
        _check(out, ["population", "recycled_phones"], parse_share, population["recycled_phones"])
    borrowers = dict(data.get("borrowers", {}))
    for key in ("on_time", "early", "partial", "disputes"):
        if key in borrowers:
            _check(out, ["borrowers", key], parse_share, borrowers[key])
    if "late_days" in borrowers:
        _check(out, ["borrowers", "late_days"], parse_int_range, borrowers["late_days"])
    bank = _settings(out, "bank", data.get("bank", {}), BankConfig.from_mapping)
    bureau = _settings(out, "bureau", data.get("bureau", {}), BureauConfig.from_mapping)
    sms: SmsConfig | None = SmsConfig()
    if "delivery_delay" in data.get("sms", {}):
        sms = _check(out, ["sms", "delivery_delay"], _sms_delay, data["sms"]["delivery_delay"])
    if "signing" in data:
        _settings(out, "signing", data["signing"], SigningConfig.from_mapping)
    return Draft(  # what the schema refused in a section leaves it out of the rules (its defaults would mislead)
        written=data,
        calendar=calendar,
        calendar_ok=calendar_ok,
        start=start,
        duration=duration,
        population=population,
        borrowers=borrowers,
        bank=bank if isinstance(bank, BankConfig) and not out.about(["bank"]) else None,
        bureau=bureau if isinstance(bureau, BureauConfig) and not out.about(["bureau"]) else None,
        sms=sms if not out.about(["sms"]) else None,
        faults=_faults(data.get("faults", []), calendar, out),
        expect=_expect(data.get("expect", {}), out),
    )


def _sms_delay(value: Any) -> SmsConfig:
    delay = parse_duration(str(value))
    if delay < timedelta(0):
        raise ConfigError(f"{value!r} is negative; a message reaches the handset e.g. '5 seconds' after it is sent")
    return SmsConfig(delivery_delay=delay)


def _calendar(spec: Mapping[str, Any], out: Findings) -> tuple[Calendar, bool]:
    zone = spec.get("timezone", "Asia/Shanghai")
    holidays = spec.get("holidays", "mainland")
    holidays = None if holidays == "none" else holidays
    ok = True
    try:
        Calendar(zone, None)
    except ConfigError as exc:
        out.error(["calendar", "timezone"], str(exc))
        zone, ok = "Asia/Shanghai", False
    extras: dict[str, list[date]] = {}
    for key in ("extra_holidays", "extra_workdays"):
        extras[key] = []
        for index, text in enumerate(spec.get(key, [])):
            if text is None:
                continue  # refused by the schema
            try:
                extras[key].append(date.fromisoformat(text))
            except ValueError as exc:
                out.error(["calendar", key, index], f"{text!r} is not a real date ({exc})")
                ok = False
    try:
        return Calendar(zone, holidays, **extras), ok
    except ConfigError as exc:
        out.error(["calendar"], str(exc))
        return Calendar(zone, holidays), False


def _start(data: Mapping[str, Any], calendar: Calendar, out: Findings) -> datetime | None:
    if "start" not in data:
        return None
    try:
        return instant(data["start"], calendar.tz)
    except ValueError as exc:
        out.error(["start"], f"{data['start']!r} is not a real date or instant ({exc})")
        return None


def _duration(data: Mapping[str, Any], out: Findings) -> timedelta | None:
    if "duration" not in data:
        return None
    try:
        duration = parse_duration(str(data["duration"]))
    except LendsimError as exc:
        out.error(["duration"], str(exc))
        return None
    if duration <= timedelta(0):
        out.error(["duration"], f"{data['duration']!r} is not positive; a run lasts e.g. '45 days'")
        return None
    if duration > MAX_DURATION:
        out.error(["duration"], f"{data['duration']!r} is longer than the {MAX_DURATION.days} days a run may last")
        return None
    return duration


def _holiday_years(spec: Mapping[str, Any], calendar: Calendar, start: datetime, end: datetime, out: Findings) -> None:
    """Warn about each year of the run the calendar has no holiday data for: the run counts it weekends only."""
    for year in range(calendar.local_date(start).year, calendar.local_date(end).year + 1):
        if not calendar.covers(year):
            out.warn(
                ["calendar", "holidays"] if "holidays" in spec else ["start"],
                f"the run reaches {year}; {calendar.missing_holidays(year)}",
            )
            return


def _settings(out: Findings, section: str, values: Mapping[str, Any], read: Callable[[Mapping[str, Any]], Any]) -> Any:
    """A partner's settings, each key checked on its own (so every bad one is reported, under its own name)."""
    bad = False
    for key, value in values.items():
        try:
            read({key: value})
        except ConfigError as exc:
            out.error([section, key], _own_words(str(exc), section, str(key), exc.field, value))
            bad = True
    if bad:
        return None
    try:
        return read(values)
    except ConfigError as exc:
        out.error([section], str(exc))
        return None


#: Python's spelling of a value in a partner's message, and the scenario's: ``timedelta(hours=8)`` → '8 hours',
#: ``('penalty', 'interest')`` → 'penalty, interest', ``a timedelta`` → a duration.
_SCENARIO_WORDS: Final = (
    (re.compile(r"\btimedelta\((\w+)=(\d+)\)"), lambda m: f"'{m[2]} {m[1]}'"),
    (re.compile(r"\('([^()]*)'\)"), lambda m: "'" + m[1].replace("', '", ", ") + "'"),
    (re.compile(r"\ba timedelta\b"), lambda m: "a duration"),
)


def _own_words(message: str, section: str, key: str, internal: str | None, written: Any) -> str:
    """A partner's message about one setting, in the scenario's words.

    ``BankConfig.grace_days must be a whole number 0–3, got 5`` is about what the scenario calls
    ``bank.grace``, written ``5 days``: the finding's key path already says which setting, so the message
    keeps what is wrong and the fix, quotes the value as written, and spells examples as a scenario does."""
    text = message
    for prefix in (f"{section}.{key}: ", f"{section}: "):
        text = text.removeprefix(prefix)
    text = re.sub(r"^[A-Z]\w*Config\.\w+ ", "", text)
    for name in (internal, key):
        if name:
            text = re.sub(rf"^{re.escape(name)} (?=must\b)", "", text)
    text = re.sub(r"\bgot .+?(?=; | \(|$)", lambda _: f"got {written!r}", text, count=1)
    for pattern, words in _SCENARIO_WORDS:
        text = pattern.sub(words, text)
    return text


def _faults(specs: Sequence[Any], calendar: Calendar, out: Findings) -> list[tuple[int, dict[str, Any]]]:
    points = known_points()
    faults: list[tuple[int, dict[str, Any]]] = []
    for index, spec in enumerate(specs):
        if not isinstance(spec, Mapping):
            continue  # refused by the schema
        fault = dict(spec)
        readable = True
        for key in ("from", "until"):
            if key in fault:
                try:
                    fault[key] = instant(fault[key], calendar.tz)
                except ValueError as exc:
                    out.error(["faults", index, key], f"{fault[key]!r} is not a real date or instant ({exc})")
                    readable = False
        if not readable:
            continue
        try:
            parse_fault(fault, fault_id=f"f{index + 1}", points=points, tz=calendar.tz)
        except ConfigError as exc:
            where = [] if exc.field in (None, "fault") else str(exc.field).split(".")
            out.error(["faults", index, *where], str(exc).removeprefix(f"{exc.field}: "))
            continue
        faults.append((index, fault))
    return faults


def _expect(spec: Mapping[str, Any], out: Findings) -> dict[str, dict[str, Any]]:
    expect: dict[str, dict[str, Any]] = {}
    for name, given in spec.items():
        params = dict(given or {})
        for key in ("window", "within"):
            if key in params:
                span = _check(out, ["expect", name, key], parse_span, params[key])
                if span is None:
                    break
                params[key] = span
        else:
            expect[name] = params
    return expect


def _check(out: Findings, parts: Sequence[str | int], parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except (LendsimError, ValueError, ArithmeticError) as exc:
        out.error(parts, str(exc))
        return None
