"""HolidayYears: one word, once, for each year the clock is in or enters that the calendar has no holiday data for.

Source: lending-domain.md §2 #16 (calendar mismatch — "30 工作日" vs "30 天", 调休 Saturdays, Spring Festival:
SLAs use a configured calendar): a business-day rule in a year the holiday data does not know is counted
weekends only, so the run must say so rather than be silently wrong.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.clock import Calendar, HolidayYears, VirtualClock

TZ = ZoneInfo("Asia/Shanghai")


def watch(start: datetime, calendar: Calendar | None = None) -> tuple[VirtualClock, list[tuple[int, datetime]]]:
    clock = VirtualClock(start, calendar)
    heard: list[tuple[int, datetime]] = []
    HolidayYears(clock, lambda year: heard.append((year, clock.now()))).start()
    return clock, heard


def test_entering_a_year_without_holiday_data_is_told_once_at_its_first_instant() -> None:
    clock, heard = watch(datetime(2026, 12, 20, tzinfo=TZ))

    clock.advance_by(timedelta(days=400))

    assert heard == [(2027, datetime(2027, 1, 1, tzinfo=TZ)), (2028, datetime(2028, 1, 1, tzinfo=TZ))]


def test_a_clock_that_starts_in_such_a_year_is_told_at_once() -> None:
    _, heard = watch(datetime(2027, 3, 1, 9, tzinfo=TZ))

    assert heard == [(2027, datetime(2027, 3, 1, 9, tzinfo=TZ))]


def test_years_the_data_covers_or_the_scenario_describes_are_not_told() -> None:
    calendar = Calendar(extra_holidays=[date(2027, 1, 1)])
    clock, heard = watch(datetime(2026, 6, 1, tzinfo=TZ), calendar)

    clock.advance_by(timedelta(days=300))

    assert heard == []


def test_a_weekends_only_calendar_never_is() -> None:
    clock, heard = watch(datetime(2026, 12, 31, tzinfo=TZ), Calendar(holidays=None))

    clock.advance_by(timedelta(days=10))

    assert heard == [] and clock.pending == 0
