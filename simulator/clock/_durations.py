"""Durations and calendar spans as scenario files write them.

A *duration* is elapsed time (``timedelta``): ISO-8601 (``"PT6H"``, ``"P1DT2H30M"``, ``"PT0.5S"``,
``"P2W"``) or human (``"6 hours"``, ``"2h"``, ``"1 day 6 hours"``, ``"1h30m"``). Years and months are
refused: their length depends on where they start, so a scenario must say days.

A *span* is a count of calendar days or business days (``"30 days"``, ``"30 working days"``); it only
makes sense against a :class:`~simulator.clock.Calendar` (see ``Calendar.deadline``).

Numbers are parsed exactly (``Decimal``), never through ``float``: ``"PT0.1S"`` is 100,000 µs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from simulator.errors import ConfigError

__all__ = ["Span", "format_duration", "parse_duration", "parse_span"]

_US_PER = {
    "weeks": 7 * 86_400_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
    "milliseconds": 1_000,
    "microseconds": 1,
}

DURATION_EXAMPLES = (
    "ISO-8601 'PT6H', 'P1DT2H30M', 'PT0.5S', 'P2W', or human '6 hours', '45 days', '90 seconds', "
    "'2h', '30m', '1 day 6 hours'"
)
SPAN_EXAMPLES = "'30 business days', '30 working days', '20 days', '45 days', '2 weeks', 'P30D'"

# ---------------------------------------------------------------------------------------------------
# ISO-8601: [-]P[nW][nD][T[nH][nM][nS]] — case-insensitive, "," or "." as decimal mark.
_NUM = r"\d+(?:[.,]\d+)?"
_ISO = re.compile(
    rf"""
    (?P<sign>-)?P
    (?:(?P<years>{_NUM})Y)?
    (?:(?P<months>{_NUM})M)?
    (?:(?P<weeks>{_NUM})W)?
    (?:(?P<days>{_NUM})D)?
    (?:T
        (?:(?P<hours>{_NUM})H)?
        (?:(?P<minutes>{_NUM})M)?
        (?:(?P<seconds>{_NUM})S)?
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ISO_UNITS = ("weeks", "days", "hours", "minutes", "seconds")

# Human: one or more "<number> <unit>" parts, separated by spaces, commas or "and".
_HUMAN_UNITS: dict[str, str] = {}
for _unit, _words in {
    "weeks": ("w", "wk", "wks", "week", "weeks"),
    "days": ("d", "day", "days"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "minutes": ("m", "min", "mins", "minute", "minutes"),
    "seconds": ("s", "sec", "secs", "second", "seconds"),
    "milliseconds": ("ms", "msec", "msecs", "millisecond", "milliseconds"),
    "microseconds": ("us", "µs", "usec", "usecs", "microsecond", "microseconds"),
}.items():
    for _word in _words:
        _HUMAN_UNITS[_word] = _unit
_AMBIGUOUS_UNITS = frozenset({"y", "yr", "yrs", "year", "years", "mo", "mon", "month", "months"})
_CALENDAR_WORDS = frozenset({"business", "working", "work", "workday", "workdays", "calendar"})
_HUMAN_PART = re.compile(r"\s*(?P<number>[+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(?P<unit>[^\W\d_]+)\s*(?:,|\band\b)?")


def _bad_duration(text: object, why: str) -> ConfigError:
    return ConfigError(f"cannot read {text!r} as a duration: {why}. Write it like {DURATION_EXAMPLES}.")


def _to_timedelta(text: str, parts: dict[str, Decimal], negative: bool = False) -> timedelta:
    total = sum((value * _US_PER[unit] for unit, value in parts.items()), Decimal(0))
    if total != total.to_integral_value():
        raise _bad_duration(text, "it is finer than the 1 microsecond resolution of virtual time")
    micros = int(total)
    try:
        td = timedelta(microseconds=micros)
    except OverflowError:
        raise _bad_duration(text, f"it is longer than the longest timedelta ({timedelta.max})") from None
    return -td if negative else td


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def _parse_iso(text: str, stripped: str) -> timedelta:
    match = _ISO.fullmatch(stripped)
    if match is None:
        raise _bad_duration(text, "it starts like ISO-8601 ('P…') but does not follow [-]P[nW][nD][T[nH][nM][nS]]")
    groups = match.groupdict()
    if groups["years"] is not None or groups["months"] is not None:
        raise _bad_duration(
            text,
            "years and months have no fixed length ('P1M' is 28 to 31 days); "
            "give days instead, e.g. 'P30D' (and note 'PT1M' is one minute)",
        )
    present = [unit for unit in _ISO_UNITS if groups[unit] is not None]
    if not present:
        raise _bad_duration(text, "it has no component; write at least one, e.g. 'PT0S' for zero")
    if stripped.upper().endswith("T"):
        raise _bad_duration(text, "a 'T' must be followed by hours, minutes or seconds")
    parts = {unit: _decimal(groups[unit]) for unit in present}
    return _to_timedelta(text, parts, negative=groups["sign"] is not None)


def _parse_human(text: str, stripped: str) -> timedelta:
    parts: dict[str, Decimal] = {}
    position = 0
    lowered = stripped.lower()
    while position < len(lowered):
        match = _HUMAN_PART.match(lowered, position)
        if match is None:
            rest = stripped[position:].strip()
            if not parts and re.fullmatch(r"[+-]?[\d.]+", rest):
                raise _bad_duration(text, f"the number {rest!r} has no unit; say which, e.g. '{rest} seconds'")
            raise _bad_duration(text, f"{rest!r} is not '<number> <unit>'")
        number, word = match.group("number"), match.group("unit")
        if word in _AMBIGUOUS_UNITS:
            length = "a year is 365 or 366 days" if word.startswith("y") else "a month is 28 to 31 days"
            raise _bad_duration(text, f"{word!r} has no fixed length ({length}); give days instead, e.g. '30 days'")
        if word in _CALENDAR_WORDS:
            raise _bad_duration(
                text,
                "business/working/calendar days are a calendar span, not elapsed time; "
                "read it with parse_span() and Calendar.deadline()",
            )
        unit = _HUMAN_UNITS.get(word)
        if unit is None:
            known = "w, d, h, m, s, ms, us (or week(s), day(s), hour(s), minute(s), second(s))"
            raise _bad_duration(text, f"unknown unit {word!r}; use one of {known}")
        if number.startswith(("-", "+")):
            raise _bad_duration(text, f"{number + ' ' + word!r} has a sign; human durations are never negative")
        if unit in parts:
            raise _bad_duration(text, f"{unit} appear twice; add them up into one part")
        parts[unit] = Decimal(number)
        position = match.end()
    return _to_timedelta(text, parts)


def parse_duration(text: str) -> timedelta:
    """Read an elapsed duration: ISO-8601 (``"P1DT2H30M"``) or human (``"1 day 6 hours"``, ``"2h"``).

    ISO-8601 may carry a leading ``-`` (what :func:`format_duration` writes for a negative
    ``timedelta``); human forms are never negative. Any component may be a decimal (``"PT0.5S"``,
    ``"1.5 hours"``) as long as the total is a whole number of microseconds. Years and months are
    refused (no fixed length), and so are business days (see :func:`parse_span`).

    Raises :class:`~simulator.errors.ConfigError` naming the text and the valid forms.
    """
    if not isinstance(text, str):
        raise ConfigError(f"a duration must be a string like 'PT6H' or '6 hours', got {text!r}")
    stripped = text.strip()
    if not stripped:
        raise _bad_duration(text, "it is empty")
    head = stripped[1:] if stripped.startswith("-") else stripped
    if head[:1] in ("P", "p"):
        return _parse_iso(text, stripped)
    return _parse_human(text, stripped)


def format_duration(td: timedelta) -> str:
    """Write ``td`` as ISO-8601 (``"P1DT2H30M"``, ``"PT0.5S"``, ``"-PT6H"``), the inverse of
    :func:`parse_duration`: ``parse_duration(format_duration(td)) == td`` for every ``timedelta``.

    Whole weeks are written as days (``"P14D"``); zero is ``"PT0S"``.
    """
    if not isinstance(td, timedelta):
        raise ConfigError(f"format_duration() takes a timedelta, got {td!r}")
    micros = td // timedelta(microseconds=1)
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    days, micros = divmod(micros, _US_PER["days"])
    hours, micros = divmod(micros, _US_PER["hours"])
    minutes, micros = divmod(micros, _US_PER["minutes"])
    seconds, micros = divmod(micros, _US_PER["seconds"])
    out = [sign, "P"]
    if days:
        out.append(f"{days}D")
    clock_part = ""
    if hours:
        clock_part += f"{hours}H"
    if minutes:
        clock_part += f"{minutes}M"
    if seconds or micros:
        fraction = f".{micros:06d}".rstrip("0") if micros else ""
        clock_part += f"{seconds}{fraction}S"
    if clock_part:
        out.append("T" + clock_part)
    elif not days:
        return "PT0S"
    return "".join(out)


# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    """A count of days, either calendar days or business days: ``Span(30, business=True)``.

    ``days`` is a non-negative ``int``. Resolve it to a date with ``Calendar.deadline(start, span)``.
    ``str(span)`` gives back the canonical text (``"30 business days"``, ``"1 day"``).
    """

    days: int
    business: bool

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise ConfigError(f"Span.days must be a whole number of days >= 0, got {self.days!r}")
        if not isinstance(self.business, bool):
            raise ConfigError(f"Span.business must be True or False, got {self.business!r}")

    def __str__(self) -> str:
        kind = "business " if self.business else ""
        return f"{self.days} {kind}day{'' if self.days == 1 else 's'}"


_SPAN = re.compile(
    r"""
    (?P<days>\d+)\s*
    (?:
        (?P<business>business|working|work)[\s-]*days?
      | (?P<workdays>workdays?|bd)
      | (?:calendar\s+)?(?P<calendar>days?|d)
      | (?P<weeks>weeks?|wks?|w)
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)


_ISO_SPAN = re.compile(r"P(?P<days>\d+)(?P<unit>[DW])", re.IGNORECASE)


def parse_span(text: str) -> Span:
    """Read a calendar span: ``"30 business days"``, ``"30 working days"``, ``"30 workdays"``,
    ``"20 days"``, ``"20 calendar days"``, ``"2 weeks"`` (14 calendar days), or ISO-8601 days or weeks
    (``"P30D"``, ``"P2W"``).

    Raises :class:`~simulator.errors.ConfigError` naming the text and the valid forms; hours,
    fractions and negative counts are refused (a deadline is a date).
    """
    if not isinstance(text, str):
        raise ConfigError(f"a span must be a string like '30 business days', got {text!r}")
    stripped = text.strip()
    match = _SPAN.fullmatch(stripped)
    if match is not None:
        days = int(match.group("days"))
        if match.group("weeks") is not None:
            return Span(days * 7, business=False)
        business = match.group("business") is not None or match.group("workdays") is not None
        return Span(days, business=business)
    match = _ISO_SPAN.fullmatch(stripped)
    if match is not None:
        weeks = match.group("unit").upper() == "W"
        return Span(int(match.group("days")) * (7 if weeks else 1), business=False)
    raise ConfigError(
        f"cannot read {text!r} as a span of days: write a whole number of calendar or business days, "
        f"like {SPAN_EXAMPLES}"
    )
