"""The calendar: a time zone plus business days with configurable holidays.

``Calendar()`` is Asia/Shanghai with the mainland China statutory holidays and make-up working days
(调休) of the ``chinese-calendar`` package. ``holidays=None`` keeps only weekends. ``extra_holidays`` and
``extra_workdays`` override both.

Holiday data only exists for the years ``chinese-calendar`` covers (2004–2026 for 1.11, the newest release;
no release has 2027 yet). A year with at least one date in ``extra_holidays`` or ``extra_workdays`` is taken
as fully described (weekends plus the extras) — that is how a scenario or ``serve`` supplies a year's holidays.
Any other year counts weekends only: :meth:`Calendar.covers` tells such a year, so that whoever runs the clock
(``simulator.world.Simulator``) warns once when time enters it, rather than a run or a server stopping there.

Business-day conventions (in the spirit of ``numpy.busday_offset``):

- ``add_business_days(d, n)`` for ``n > 0`` is the n-th business day strictly after ``d``; for ``n < 0``
  the |n|-th business day strictly before ``d``; for ``n == 0`` it *rolls forward*: ``d`` itself if it is
  a business day, else the next business day (a deadline never lands on a rest day).
- ``business_days_between(a, b)`` counts the business days in ``(a, b]``, and is antisymmetric:
  ``business_days_between(b, a) == -business_days_between(a, b)``.
- Hence ``business_days_between(d, add_business_days(d, n)) == n`` for every ``n >= 1``, and for every
  ``n`` when ``d`` is a business day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import chinese_calendar

from simulator._suggest import did_you_mean
from simulator.clock._durations import Span
from simulator.errors import ClockError, ConfigError

__all__ = ["HOLIDAY_SETS", "Calendar"]

#: Valid values of ``Calendar(holidays=...)`` besides ``None`` (weekends only).
HOLIDAY_SETS: tuple[str, ...] = ("mainland",)

_ONE_DAY = timedelta(days=1)


def _load_mainland() -> tuple[frozenset[date], frozenset[date], int, int]:
    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(chinese_calendar.workdays)
    years = [d.year for d in holidays]
    return holidays, workdays, min(years), max(years)


_MAINLAND_HOLIDAYS, _MAINLAND_WORKDAYS, MAINLAND_FIRST_YEAR, MAINLAND_LAST_YEAR = _load_mainland()


#: Names zoneinfo may load that are no place's time: "localtime" is whatever the machine is set to (a run would
#: not replay the same elsewhere), "Factory" and "posixrules" are tzdata's internals. contracts/platform.yaml's
#: TimeZone leaves them out too, so a platform is never told one.
_NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ConfigError(f"timezone must be an IANA name like 'Asia/Shanghai', got {name!r}")
    if name in _NOT_A_PLACE:
        raise ConfigError(
            f"timezone {name!r} is no place's time zone (it depends on the machine or is internal to tzdata); "
            "use an IANA name such as 'Asia/Shanghai', 'UTC' or 'America/New_York'"
        )
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError; bad keys a ValueError
        pass
    hint = did_you_mean(name, available_timezones(), n=3, ignore_case=True)  # right name, wrong case: that one
    raise ConfigError(
        f"unknown timezone {name!r}{'; ' + hint if hint else '.'} Use an IANA name such as 'Asia/Shanghai', 'UTC' or "
        "'America/New_York' (zoneinfo.available_timezones() lists them all)."
    )


def _dates(values: Iterable[date], option: str) -> frozenset[date]:
    out = set()
    for value in values:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ConfigError(f"{option} must contain dates (datetime.date), got {value!r}")
        out.add(value)
    return frozenset(out)


def _require_date(value: object, argument: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ClockError(
            f"{argument} must be a datetime.date, got {value!r}; for an instant use Calendar.local_date(dt) first"
        )
    return value


def instant_error(value: object, argument: str) -> ClockError:
    """The error for an argument that should be a timezone-aware datetime and is not."""
    if isinstance(value, datetime):
        return ClockError(
            f"{argument} is a naive datetime ({value!r}); virtual time only takes timezone-aware instants. "
            "Give it a tzinfo, e.g. dt.replace(tzinfo=ZoneInfo('Asia/Shanghai')), "
            "or build it with Calendar.at(d, t)."
        )
    return ClockError(f"{argument} must be a timezone-aware datetime, got {value!r}")


def _require_aware(value: object, argument: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise instant_error(value, argument)
    return value


class Calendar:
    """Time zone and business days. Immutable once built; cheap to share between clocks.

    ``timezone``: an IANA name (``"Asia/Shanghai"``, ``"America/New_York"``, ``"UTC"``).
    ``holidays``: ``"mainland"`` (mainland China statutory holidays and 调休 make-up working days,
    covering the years of ``chinese-calendar``) or ``None`` (Saturdays and Sundays only).
    ``extra_holidays`` / ``extra_workdays``: dates that are rest days / working days whatever the
    weekday and the holiday set say; giving any date of a year outside the holiday data's range
    declares that year explicitly (weekends plus these extras). A year neither covers counts weekends
    only (:meth:`covers` is False for it).
    """

    __slots__ = (
        "_explicit_years",
        "_extra_holidays",
        "_extra_workdays",
        "_holiday_set",
        "_holidays",
        "_workdays",
        "name",
        "tz",
    )

    tz: ZoneInfo
    name: str

    def __init__(
        self,
        timezone: str = "Asia/Shanghai",
        holidays: str | None = "mainland",
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self.tz = _zone(timezone)
        self.name = timezone
        if holidays is not None and holidays not in HOLIDAY_SETS:
            valid = ", ".join(repr(h) for h in (*HOLIDAY_SETS, None))
            raise ConfigError(f"unknown holidays {holidays!r}; valid values are {valid} (None: weekends only)")
        self._holiday_set = holidays
        if holidays == "mainland":
            self._holidays, self._workdays = _MAINLAND_HOLIDAYS, _MAINLAND_WORKDAYS
        else:
            self._holidays = self._workdays = frozenset()
        self._extra_holidays = _dates(extra_holidays, "extra_holidays")
        self._extra_workdays = _dates(extra_workdays, "extra_workdays")
        both = self._extra_holidays & self._extra_workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ConfigError(
                f"{listed} listed in both extra_holidays and extra_workdays; keep each date in only one of them"
            )
        self._explicit_years = frozenset(d.year for d in self._extra_holidays | self._extra_workdays)

    def with_holidays(self, holidays: str | None) -> Calendar:
        """This calendar with another holiday set (the zone and the extras kept)."""
        return Calendar(self.name, holidays, extra_holidays=self._extra_holidays, extra_workdays=self._extra_workdays)

    @property
    def holidays(self) -> str | None:
        """The holiday set (``"mainland"``), or ``None`` for weekends only."""
        return self._holiday_set

    def settings(self) -> dict[str, str]:
        """What this calendar counts by, as text (a world's start marker journals it: core/_replay.py)."""
        return {
            "timezone": self.name,
            "holidays": str(self._holiday_set),
            "extraHolidays": " ".join(d.isoformat() for d in sorted(self._extra_holidays)),
            "extraWorkdays": " ".join(d.isoformat() for d in sorted(self._extra_workdays)),
        }

    def __repr__(self) -> str:
        extras = ""
        if self._extra_holidays:
            extras += f", extra_holidays=<{len(self._extra_holidays)} dates>"
        if self._extra_workdays:
            extras += f", extra_workdays=<{len(self._extra_workdays)} dates>"
        return f"Calendar({self.name!r}, holidays={self._holiday_set!r}{extras})"

    # --- business days ---------------------------------------------------------------------------
    def is_business_day(self, d: date) -> bool:
        """Whether ``d`` is a working day: extras first, then the holiday set, then Monday–Friday.

        In a year the holiday set does not cover and the extras do not describe (``covers`` is False), only
        weekends are rest days.
        """
        return self._is_business_day(_require_date(d, "d"))

    def _is_business_day(self, d: date) -> bool:
        if d in self._extra_holidays:
            return False
        if d in self._extra_workdays:
            return True
        if self._holiday_set is not None:
            if d in self._workdays:
                return True
            if d in self._holidays:
                return False
        return d.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether the calendar knows ``year``'s holidays: weekends only (``holidays=None``), a year of the holiday
        data, or a year the extras describe. An uncovered year counts weekends only."""
        if isinstance(year, bool) or not isinstance(year, int):
            raise ClockError(f"year must be a whole number such as 2027, got {year!r}")
        return (
            self._holiday_set is None
            or MAINLAND_FIRST_YEAR <= year <= MAINLAND_LAST_YEAR
            or year in self._explicit_years
        )

    def missing_holidays(self, year: int) -> str:
        """What to say about a year the calendar does not cover: the data's range and how to supply the year."""
        return (
            f"no {self._holiday_set!r} holiday data for {year}: chinese-calendar {chinese_calendar.__version__} covers "
            f"{MAINLAND_FIRST_YEAR}–{MAINLAND_LAST_YEAR}, so {year} counts weekends only; list its holidays under "
            "calendar.extra_holidays and its make-up working days under calendar.extra_workdays (extra_holidays= / "
            "extra_workdays= in Python), or choose holidays: none (weekends only) to say so"
        )

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th business day after ``d`` (before it for ``n < 0``).

        ``n == 0`` rolls forward: ``d`` if it is a business day, else the next business day.
        """
        _require_date(d, "d")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ClockError(f"n must be a whole number of business days, got {n!r}")
        is_business_day = self._is_business_day
        if n == 0:
            while not is_business_day(d):
                d += _ONE_DAY
            return d
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if is_business_day(d):
                remaining -= 1
        return d

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days fall in ``(start, end]``; negative (``-count`` of ``(end, start]``)
        when ``end`` is before ``start``."""
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            return -self.business_days_between(end, start)
        is_business_day = self._is_business_day
        count = 0
        d = start
        while d < end:
            d += _ONE_DAY
            if is_business_day(d):
                count += 1
        return count

    def deadline(self, start: date, span: Span) -> date:
        """``start`` plus ``span``: calendar days, or business days (``add_business_days``, so a span of
        0 business days rolls a rest day forward to the next business day)."""
        _require_date(start, "start")
        if not isinstance(span, Span):
            raise ClockError(f"span must be a Span (see parse_span('30 business days')), got {span!r}")
        if span.business:
            return self.add_business_days(start, span.days)
        return start + timedelta(days=span.days)

    # --- instants and local dates ----------------------------------------------------------------
    def local_date(self, dt: datetime) -> date:
        """The date of instant ``dt`` on a wall calendar in this time zone."""
        return _require_aware(dt, "dt").astimezone(self.tz).date()

    def at(self, d: date, t: time) -> datetime:
        """The instant at wall-clock time ``t`` on local date ``d`` in this time zone.

        ``t`` is naive (the zone is this calendar's). Around DST changes: a wall time repeated when
        clocks go back picks the first occurrence unless ``t.fold == 1`` (the second); a wall time
        skipped when clocks go forward maps to the instant the same distance after the gap's start
        (2:30 on a spring-forward night in New York is 03:30 EDT). Compare such results as instants
        (``.astimezone(UTC)``): by PEP 495 an ambiguous local time never equals a datetime of another zone.
        """
        _require_date(d, "d")
        if not isinstance(t, time):
            raise ClockError(f"t must be a datetime.time such as time(23, 59, 59), got {t!r}")
        if t.tzinfo is not None:
            raise ClockError(
                f"t must be a naive wall-clock time (the calendar's zone {self.name!r} applies), got {t!r}; "
                "use t.replace(tzinfo=None)"
            )
        local = datetime.combine(d, t, tzinfo=self.tz)
        # Round-trip through UTC: normalises a time that does not exist (DST gap) to the real instant.
        return local.astimezone(UTC).astimezone(self.tz)
