"""Virtual time: the event scheduler, the business-day calendar and duration parsing.

Nothing in this package reads the wall clock; see ARCHITECTURE.md ("Nothing reads the wall clock").
"""

from __future__ import annotations

from simulator.clock._calendar import HOLIDAY_SETS, Calendar
from simulator.clock._clock import ScheduledEvent, VirtualClock
from simulator.clock._durations import Span, format_duration, parse_duration, parse_span
from simulator.clock._years import HolidayYears

__all__ = [
    "HOLIDAY_SETS",
    "Calendar",
    "HolidayYears",
    "ScheduledEvent",
    "Span",
    "VirtualClock",
    "format_duration",
    "parse_duration",
    "parse_span",
]
