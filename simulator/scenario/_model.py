"""A scenario, checked for meaning: instants in its time zone, durations, ranges, shares, faults, expectations.

``build_scenario`` turns schema-valid data into a :class:`Scenario`, collecting every problem the schema
cannot see (a negative duration, a range upside down, a fault at a point that does not exist, a window that
ends before it starts) as findings with their positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from simulator._yaml import Finding, YamlDocument, dotted
from simulator.clock import Calendar, parse_duration, parse_span
from simulator.core import parse_fault
from simulator.errors import CalendarError, ConfigError, LendsimError
from simulator.partners.bank import BankConfig
from simulator.partners.bureau import BureauConfig
from simulator.scenario._loader import ScenarioError

__all__ = [
    "IntRange",
    "Scenario",
    "build_scenario",
    "known_points",
    "load_scenario",
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
    """Everything a run needs, checked. Partner settings stay as written until the runner maps them."""

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

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@cache
def known_points() -> Mapping[str, frozenset[str]]:
    """Injection points of the built-in simulator (its contracts' operations, deliveries and jobs), each with
    the fault actions it takes — so lint refuses an action where it would do nothing, as a run would."""
    from simulator.world import Simulator

    return Simulator().point_actions


class _Collector:
    def __init__(self, file: str, source: YamlDocument | None) -> None:
        self.file = file
        self.source = source
        self.findings: list[Finding] = []

    def add(self, parts: Sequence[str | int], message: str) -> None:
        pos = self.source.position(parts) if self.source is not None else None
        self.findings.append(
            Finding(self.file, pos[0] if pos else None, pos[1] if pos else None, dotted(parts), message)
        )


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


def _instant(value: Any, tz: Any) -> datetime:
    text = str(value)
    parsed = datetime.fromisoformat(text) if ":" in text else datetime.combine(date.fromisoformat(text), time())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def build_scenario(
    data: Mapping[str, Any], *, file: str = "<scenario>", source: YamlDocument | None = None
) -> Scenario:
    """A checked Scenario from schema-valid data; ScenarioError with every problem otherwise."""
    out = _Collector(file, source)

    calendar_spec = data.get("calendar", {})
    try:
        holidays = calendar_spec.get("holidays", "mainland")
        calendar = Calendar(
            calendar_spec.get("timezone", "Asia/Shanghai"),
            None if holidays == "none" else holidays,
            extra_holidays=[date.fromisoformat(d) for d in calendar_spec.get("extra_holidays", [])],
            extra_workdays=[date.fromisoformat(d) for d in calendar_spec.get("extra_workdays", [])],
        )
    except (ConfigError, ValueError) as exc:
        out.add(["calendar", "timezone"], str(exc))
        calendar = Calendar()

    start = datetime(2019, 5, 1, tzinfo=calendar.tz)
    try:
        start = _instant(data["start"], calendar.tz)
    except ValueError as exc:
        out.add(["start"], f"{data['start']!r} is not a real date or instant ({exc})")

    duration = timedelta(days=1)
    try:
        duration = parse_duration(str(data["duration"]))
        if duration <= timedelta(0):
            out.add(["duration"], f"{data['duration']!r} is not positive; a run lasts e.g. '45 days'")
        elif duration > MAX_DURATION:
            out.add(["duration"], f"{data['duration']!r} is longer than the {MAX_DURATION.days} days a run may last")
    except LendsimError as exc:
        out.add(["duration"], str(exc))

    if calendar_spec.get("holidays", "mainland") == "mainland" and out.findings == []:
        day = start.date()
        for year in range(day.year, (start + duration).year + 1):
            try:
                calendar.is_business_day(date(year, 6, 1))
            except CalendarError:
                out.add(
                    ["calendar", "holidays"] if "holidays" in calendar_spec else ["start"],
                    f"the run reaches {year}, for which there is no mainland holiday data (2004–2026 is known); "
                    "list that year's holidays under calendar.extra_holidays and make-up days under "
                    "calendar.extra_workdays, or set calendar.holidays: none (weekends only)",
                )
                break

    population = dict(data.get("population", {}))
    loan = population.get("loan", {})
    for key, parse in (("principal", parse_money_range), ("term", parse_int_range), ("due_day", parse_int_range)):
        if key in loan:
            try:
                parse(loan[key])
            except (ConfigError, ValueError, ArithmeticError) as exc:
                out.add(["population", "loan", key], str(exc))
    if "recycled_phones" in population:
        _check(out, ["population", "recycled_phones"], parse_share, population["recycled_phones"])
    borrowers = dict(data.get("borrowers", {}))
    for key in ("on_time", "early", "partial", "disputes"):
        if key in borrowers:
            _check(out, ["borrowers", key], parse_share, borrowers[key])
    if "late_days" in borrowers:
        _check(out, ["borrowers", "late_days"], parse_int_range, borrowers["late_days"])

    bank = dict(data.get("bank", {}))
    for section, reader in (("bank", BankConfig.from_mapping), ("bureau", BureauConfig.from_mapping)):
        try:
            reader(data.get(section, {}))
        except ConfigError as exc:
            out.add([section, *([exc.field] if exc.field else [])], str(exc).split(": ", 1)[-1])
    if "delivery_delay" in data.get("sms", {}):
        _check(out, ["sms", "delivery_delay"], parse_duration, data["sms"]["delivery_delay"])

    faults: list[Mapping[str, Any]] = []
    points = known_points()
    for index, spec in enumerate(data.get("faults", [])):
        try:
            fault = dict(spec)
            for key in ("from", "until"):
                if key in fault:
                    fault[key] = _instant(fault[key], calendar.tz)
            parse_fault(fault, fault_id=f"f{index + 1}", points=points, tz=calendar.tz)
            faults.append(fault)
        except ConfigError as exc:
            field_path: list[str | int] = ["faults", index, *(exc.field.split(".") if exc.field else [])]
            out.add(field_path, str(exc).split(": ", 1)[-1])
        except ValueError as exc:
            out.add(["faults", index], str(exc))

    expect: dict[str, Mapping[str, Any]] = {}
    for name, params in data.get("expect", {}).items():
        params = dict(params or {})
        for key in ("window", "within"):
            if key in params:
                span = _check(out, ["expect", name, key], parse_span, params[key])
                if span is not None:
                    params[key] = span
        expect[name] = params

    if out.findings:
        raise ScenarioError(out.findings)
    return Scenario(
        name=data["name"],
        file=file,
        description=data.get("description", ""),
        covers=tuple(data.get("covers", ())),
        seed=int(data.get("seed", 0)),
        calendar=calendar,
        start=start,
        duration=duration,
        population=population,
        borrowers=borrowers,
        bank=bank,
        bureau=dict(data.get("bureau", {})),
        sms=dict(data.get("sms", {})),
        faults=tuple(faults),
        expect=expect,
        raw=data,
    )


def _check(out: _Collector, parts: Sequence[str | int], parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except (LendsimError, ValueError, ArithmeticError) as exc:
        out.add(parts, str(exc))
        return None


def load_scenario(path: str) -> Scenario:
    """Read and check a scenario file; ScenarioError listing every problem with its position."""
    from simulator.scenario._loader import read_scenario

    data, source = read_scenario(path)
    return build_scenario(data, file=str(path), source=source)
