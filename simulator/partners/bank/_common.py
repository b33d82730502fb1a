"""Small helpers of the bank model: ids that fit the contracts, body differences, months."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final

from simulator.core import Reply, problem
from simulator.openapi import Violation

__all__ = [
    "bounded_id",
    "differences",
    "key_conflict",
    "last_day",
    "month_of",
    "month_start",
    "next_month",
]

_ABSENT: Final = object()


def bounded_id(*parts: object, limit: int = 64) -> str:
    """``parts`` joined with ``-``; past ``limit`` characters, a prefix and a digest keep it unique."""
    text = "-".join(str(part) for part in parts)
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{text[: limit - 17]}-{digest}"


def differences(first: Any, second: Any, path: str = "body") -> list[Violation]:
    """Each leaf where ``second`` differs from ``first``, as an ``idempotency`` violation naming the field.

    Never the earlier value: the first body may be someone else's (an ID number, a phone), and whoever reuses the
    key learns only which fields differ."""
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        keys = list(first) + [key for key in second if key not in first]
        found: list[Violation] = []
        for key in keys:
            found.extend(differences(first.get(key, _ABSENT), second.get(key, _ABSENT), f"{path}.{key}"))
        return found
    if isinstance(first, list) and isinstance(second, list):
        found = []
        if len(first) != len(second):
            found.append(Violation(path, "idempotency", "holds a different number of items than in the first body"))
        for index, (a, b) in enumerate(zip(first, second, strict=False)):
            found.extend(differences(a, b, f"{path}[{index}]"))
        return found
    if first is _ABSENT and second is _ABSENT:
        return []
    if first is not _ABSENT and second is not _ABSENT and type(first) is type(second) and first == second:
        return []
    if first is _ABSENT:
        return [Violation(path, "idempotency", "was not in the first body")]
    if second is _ABSENT:
        return [Violation(path, "idempotency", "was in the first body and is missing now")]
    return [Violation(path, "idempotency", "differs from the first body")]


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


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def next_month(month: str) -> str:
    start = month_start(month)
    return month_of(date(start.year + start.month // 12, start.month % 12 + 1, 1))


def last_day(month: str) -> date:
    return month_start(next_month(month)) - timedelta(days=1)
