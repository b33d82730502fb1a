"""Instants as the contracts write them: RFC 3339 date-times with an offset, read and written.

:func:`parse_instant` reads what a platform or a partner sends (``Z`` or an offset, ``T`` or ``t``, any number of
fraction digits, a leap second) as an aware datetime, or ``None`` when the text is not an instant; :func:`iso`
writes one back.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, MINYEAR, UTC, datetime, tzinfo
from typing import Final

__all__ = ["iso", "parse_instant"]

_FRACTION: Final = re.compile(r"(\.\d{6})\d+")
# What platforms send nearly always: nothing for the normalization below to change.
_CANONICAL: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]\d(?:\.\d{1,6})?[+-]\d\d:\d\d")

# The instants read lately, by their text: repayments repeat their ``actualRepayDate`` (a day's collections
# are often stamped alike), and each posting keeps the one it was collected at. A datetime never changes,
# so one object serves every text alike; a full table starts over.
_INSTANTS: dict[str, datetime | None] = {}
_INSTANTS_MAX: Final = 4096
# One fixed-offset zone per offset: ``fromisoformat`` makes a new one (with its timedelta) for each text.
_ZONES: dict[tzinfo, tzinfo] = {}
_ZONES_MAX: Final = 256


def parse_instant(value: object) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime; ``None`` for anything else (no offset, out of range, no text)."""
    if type(value) is str:  # not a subclass, which could compare or hash differently
        if value in _INSTANTS:
            return _INSTANTS[value]
        instant = _parse_instant(value)
        if len(value) <= 64:
            if len(_INSTANTS) >= _INSTANTS_MAX:
                _INSTANTS.clear()
            _INSTANTS[value] = instant
        return instant
    return _parse_instant(value) if isinstance(value, str) else None


def _parse_instant(text: str) -> datetime | None:
    normalized = text if _CANONICAL.fullmatch(text) else _normalized(text)
    try:
        value = datetime.fromisoformat(normalized)
        zone = value.tzinfo
        if zone is None:
            return None
        if value.year in (MINYEAR, MAXYEAR):  # out of range once shifted by its offset (under a day)?
            value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    shared = _ZONES.get(zone)
    if shared is None:
        if len(_ZONES) < _ZONES_MAX:
            _ZONES[zone] = zone
    elif shared is not zone:  # an equal offset (fixed-offset zones compare by it): the same instant, one zone
        value = value.replace(tzinfo=shared)
    return value


def _normalized(text: str) -> str:
    """RFC 3339 as ``datetime.fromisoformat`` reads it: ``T``, ``+00:00`` for ``Z``, at most 6 fraction digits,
    a leap second as :59."""
    normalized = text.strip().replace("t", "T").replace("z", "+00:00").replace("Z", "+00:00")
    normalized = _FRACTION.sub(r"\1", normalized)
    if len(normalized) >= 19 and normalized[17:19] == "60":  # a leap second
        normalized = normalized[:17] + "59" + normalized[19:]
    return normalized


# The clock hands out one datetime object per instant, and what happens at an instant (an answer, its
# callback, the books) writes that instant again and again: the text of the last one written is kept. It
# cannot go stale: a datetime never changes, and holding it keeps its id from being reused by another.
_last_iso: tuple[datetime | None, str] = (None, "")


def iso(instant: datetime) -> str:
    """RFC 3339 text of an instant. A zone's local mean time before 1901 has an offset in seconds (Shanghai's
    +08:05:43), which RFC 3339 cannot write: such an instant is written in UTC."""
    global _last_iso
    last, text = _last_iso
    if instant is last:
        return text
    text = _rfc3339(instant)
    if type(instant) is datetime:  # not a subclass, which could write itself differently
        _last_iso = (instant, text)
    return text


def _rfc3339(instant: datetime) -> str:
    offset = instant.utcoffset()
    if offset is not None and offset.seconds % 60:
        return instant.astimezone(UTC).isoformat()
    return instant.isoformat()
