"""Small helpers of the bank model: ids that fit the contracts, body differences, instants, months."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final

from simulator.core import Reply, problem
from simulator.openapi import Violation

__all__ = [
    "bounded_id",
    "differences",
    "iso",
    "key_conflict",
    "last_day",
    "month_of",
    "month_start",
    "next_month",
    "parse_instant",
]

_FRACTION = re.compile(r"(\.\d{6})\d+")
# What platforms send nearly always: nothing for the normalization below to change.
_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]\d(?:\.\d{1,6})?[+-]\d\d:\d\d")
_ABSENT: Final = object()


def bounded_id(*parts: object, limit: int = 64) -> str:
    """``parts`` joined with ``-``; past ``limit`` characters, a prefix and a digest keep it unique."""
    text = "-".join(str(part) for part in parts)
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{text[: limit - 17]}-{digest}"


def differences(first: Any, second: Any, path: str = "body") -> list[Violation]:
    """Each leaf where ``second`` differs from ``first``, as an ``idempotency`` violation naming the field."""
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        keys = list(first) + [key for key in second if key not in first]
        found: list[Violation] = []
        for key in keys:
            found.extend(differences(first.get(key, _ABSENT), second.get(key, _ABSENT), f"{path}.{key}"))
        return found
    if isinstance(first, list) and isinstance(second, list):
        found = []
        if len(first) != len(second):
            found.append(Violation(path, "idempotency", f"was {len(first)} items, now {len(second)}"))
        for index, (a, b) in enumerate(zip(first, second, strict=False)):
            found.extend(differences(a, b, f"{path}[{index}]"))
        return found
    if first is _ABSENT and second is _ABSENT:
        return []
    if first is not _ABSENT and second is not _ABSENT and type(first) is type(second) and first == second:
        return []
    return [Violation(path, "idempotency", f"was {_show(first)}, now {_show(second)}")]


def key_conflict(
    key_name: str, key: str, first_at: datetime, errors: list[Violation], operation: str, effect: str, new_thing: str
) -> Reply:
    """409 for an idempotency key sent again with a different body, naming each differing field."""
    return problem(
        409,
        "Idempotency key reused with a different body",
        f"{key_name} {key} was first sent at {first_at.isoformat()} with a different body "
        f"({', '.join(error.field for error in errors)}); {effect}.",
        errors=errors,
        operation=operation,
        type="urn:lendsim:problem:idempotency-conflict",
        suggestion=f"Use a new {key_name} for a new {new_thing}, or resend the original body unchanged.",
    )


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


# The instants read lately, by their text: repayments repeat their ``actualRepayDate`` (a day's collections
# are often stamped alike), and each posting keeps the one it was collected at. A datetime never changes,
# so one object serves every text alike; a full table starts over.
_INSTANTS: dict[str, datetime | None] = {}
_INSTANTS_MAX: Final = 4096
# One fixed-offset zone per offset: ``fromisoformat`` makes a new one (with its timedelta) for each text.
_ZONES: dict[tzinfo, tzinfo] = {}
_ZONES_MAX: Final = 256


def parse_instant(text: str) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime, or ``None`` if it cannot be one (no offset, out of range)."""
    if type(text) is str:  # not a subclass, which could compare or hash differently
        if text in _INSTANTS:
            return _INSTANTS[text]
        value = _parse_instant(text)
        if len(text) <= 64:
            if len(_INSTANTS) >= _INSTANTS_MAX:
                _INSTANTS.clear()
            _INSTANTS[text] = value
        return value
    return _parse_instant(text)


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


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def next_month(month: str) -> str:
    start = month_start(month)
    return month_of(date(start.year + start.month // 12, start.month % 12 + 1, 1))


def last_day(month: str) -> date:
    return month_start(next_month(month)) - timedelta(days=1)
