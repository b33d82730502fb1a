"""Which years virtual time is in: a warning, once, for each year the calendar has no holiday data for.

The calendar counts a year it does not cover as weekends only (``Calendar.covers``); a run or a server that
enters such a year should say so rather than count working days silently wrong. :class:`HolidayYears` tells
``on_missing(year)`` once for the year the clock is in when it starts, and again at each local New Year's
midnight the clock reaches, for every uncovered year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import MAXYEAR, date, time
from functools import partial

from simulator.clock._clock import ScheduledEvent, VirtualClock

__all__ = ["HolidayYears"]


class HolidayYears:
    """Watches ``clock`` enter years; ``on_missing(year)`` hears each one its calendar does not cover, once.

    ``start()`` when the clock starts (and again after ``clock.reset``, which drops the scheduled New Year)."""

    __slots__ = ("_clock", "_event", "_on_missing", "_told")

    def __init__(self, clock: VirtualClock, on_missing: Callable[[int], object]) -> None:
        self._clock = clock
        self._on_missing = on_missing
        self._told: set[int] = set()
        self._event: ScheduledEvent | None = None

    def start(self) -> None:
        """Look at the year the clock is in now, then at each New Year from here on."""
        if self._event is not None:
            self._clock.cancel(self._event)
        self._told.clear()
        calendar = self._clock.calendar
        if calendar.holidays is None:
            return  # weekends only: every year is known
        self._enter(calendar.local_date(self._clock.now()).year)

    def _enter(self, year: int) -> None:
        calendar = self._clock.calendar
        if not calendar.covers(year) and year not in self._told:
            self._told.add(year)
            self._on_missing(year)
        self._event = None
        if year < MAXYEAR:
            new_year = calendar.at(date(year + 1, 1, 1), time(0))
            self._event = self._clock.schedule(new_year, partial(self._enter, year + 1), name="calendar new year")
