"""Faults injected at named points, on virtual-time windows, with seeded probability.

A point is ``partner.operationId`` for an operation's inbound handling (``bank.repayApply``); outbound
deliveries, batch jobs and files get their own names as their behaviours arrive. Models never special-case
faults: the core asks ``Faults.active(point, now)`` at each point and applies what it gets.

The vocabulary is the scenario format's (and the control API's) — one action per fault:

    outage: {status: 503} | {error: connection_refused | connection_reset}
    latency: {delay: PT2S}
    timeout_after_commit: {}   # the partner does the work, the answer is lost
    duplicate: {times: 3}      # the message is handled (or delivered) N times
    drop: {}                   # the message is lost before it is handled

Some actions apply only where a point says it takes them (``Engine.point_actions``):

    reorder: {within: PT1H}    # a delivery: held back, sent right after the next one about the same repayment
    early: {by: PT3H}          # a job: runs that much before its time
    missing_rows: {share: 0.2} # a file: that share of its rows left out (drawn from the seed)
    duplicate_rows: {share: 0.1}  # a file: that share of its rows listed twice
    skew: {by: PT5M}           # the platform's clock: ahead (or, with '-', behind) the partners' by that much
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from difflib import get_close_matches
from typing import Any

from simulator.clock import format_duration, parse_duration
from simulator.errors import ConfigError, LendsimError

__all__ = ["ACTIONS", "COMMON_ACTIONS", "SPECIAL_ACTIONS", "Fault", "Faults", "parse_fault"]

#: Actions every operation, delivery and job point takes.
COMMON_ACTIONS = ("outage", "latency", "timeout_after_commit", "duplicate", "drop")
#: Actions only the points that declare them take (see the module docstring).
SPECIAL_ACTIONS = ("reorder", "early", "missing_rows", "duplicate_rows", "skew")
ACTIONS = (*COMMON_ACTIONS, *SPECIAL_ACTIONS)
_KEYS = ("at", "from", "until", "probability", *ACTIONS)
#: How long a reordered delivery waits for the one it is to follow, unless ``within`` says.
DEFAULT_REORDER_WITHIN = timedelta(hours=1)
TRANSPORT_ERRORS = ("connection_refused", "connection_reset")


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: where, what, when (``start`` ≤ now < ``until``), and how often."""

    id: str
    at: str
    action: str
    status: int | None = None  # outage with an HTTP status
    error: str | None = None  # outage below HTTP
    delay: timedelta | None = None  # latency; early and skew (by), reorder (within)
    times: int = 1  # duplicate
    share: float | None = None  # missing_rows, duplicate_rows
    start: datetime | None = None
    until: datetime | None = None
    probability: float | None = None
    created_at: datetime | None = None

    def covers(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.until is None or now < self.until)

    def to_json(self) -> dict[str, Any]:
        action: dict[str, Any] = {}
        if self.action == "outage":
            action = {"status": self.status} if self.status is not None else {"error": self.error}
        elif self.action == "latency" and self.delay is not None:
            action = {"delay": format_duration(self.delay)}
        elif self.action == "duplicate":
            action = {"times": self.times}
        elif self.action in ("early", "skew") and self.delay is not None:
            action = {"by": format_duration(self.delay)}
        elif self.action == "reorder" and self.delay is not None:
            action = {"within": format_duration(self.delay)}
        elif self.action in ("missing_rows", "duplicate_rows"):
            action = {"share": self.share}
        out: dict[str, Any] = {"id": self.id, "at": self.at, self.action: action}
        if self.start is not None:
            out["from"] = self.start.isoformat()
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.probability is not None:
            out["probability"] = self.probability
        if self.created_at is not None:
            out["createdAt"] = self.created_at.isoformat()
        return out


def _fail(field: str, message: str) -> ConfigError:
    return ConfigError(f"{field}: {message}", field=field)


def _instant(value: Any, field: str, tz: tzinfo) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(field, f"{value!r} is not a date-time; write e.g. 2019-05-10T20:00:00+08:00") from None
    if not isinstance(value, datetime):
        raise _fail(field, f"expected a date-time, got {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def parse_fault(
    spec: Mapping[str, Any],
    *,
    fault_id: str,
    points: Collection[str] | Mapping[str, Collection[str]],
    tz: tzinfo,
    now: datetime | None = None,
) -> Fault:
    """Check a fault written as a mapping; raise ConfigError naming the field, the rule and the fix.

    ``points`` names the injection points, or maps each to the actions it takes (then an action a point does
    not take is an error naming the points that do)."""
    if not isinstance(spec, Mapping):
        raise _fail("fault", f"a fault is a mapping with 'at' and one action, got {spec!r}")
    for key in spec:
        if key not in _KEYS:
            close = get_close_matches(str(key), _KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(_KEYS)}"
            raise _fail(str(key), f"unknown key{hint}")
    at = spec.get("at")
    if not isinstance(at, str):
        raise _fail("at", f"give the injection point, e.g. 'bank.repayApply'; got {at!r}")
    if at not in points:
        close = get_close_matches(at, list(points), n=3)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"known points: {', '.join(sorted(points))}"
        raise _fail("at", f"unknown injection point {at!r}; {hint}")
    actions = [key for key in ACTIONS if key in spec]
    if len(actions) != 1:
        raise _fail("fault", f"give exactly one action of {', '.join(ACTIONS)}; got {actions or 'none'}")
    action = actions[0]
    if isinstance(points, Mapping) and action not in points[at]:
        where = sorted(point for point, taken in points.items() if action in taken)
        raise _fail(
            action,
            f"{at} does not take {action!r} (it takes {', '.join(sorted(points[at])) or 'nothing'}); "
            f"{action!r} applies at {', '.join(where) or 'no point of this simulator'}",
        )
    params = spec[action] or {}
    if not isinstance(params, Mapping):
        raise _fail(action, f"expected a mapping, got {params!r}")
    fields: dict[str, Any] = {}
    if action == "outage":
        if ("status" in params) == ("error" in params):
            raise _fail(
                "outage", f"give either 'status' (an HTTP status 400–599) or 'error' ({' or '.join(TRANSPORT_ERRORS)})"
            )
        if "status" in params:
            status = params["status"]
            if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
                raise _fail("outage.status", f"must be an HTTP error status 400–599, got {status!r}")
            fields["status"] = status
        else:
            if params["error"] not in TRANSPORT_ERRORS:
                raise _fail("outage.error", f"must be one of {', '.join(TRANSPORT_ERRORS)}, got {params['error']!r}")
            fields["error"] = params["error"]
    elif action == "latency":
        delay = params.get("delay")
        try:
            fields["delay"] = delay if isinstance(delay, timedelta) else parse_duration(str(delay))
        except LendsimError as exc:
            raise _fail("latency.delay", str(exc)) from None
    elif action == "duplicate":
        times = params.get("times", 2)
        if not isinstance(times, int) or isinstance(times, bool) or not 2 <= times <= 10:
            raise _fail("duplicate.times", f"must be an integer 2–10, got {times!r}")
        fields["times"] = times
    elif action in ("early", "skew"):
        fields["delay"] = _duration(params.get("by"), f"{action}.by", signed=action == "skew")
        if action == "early" and not timedelta(0) < fields["delay"] < timedelta(days=1):
            raise _fail("early.by", f"must be more than 0 and less than a day, got {params.get('by')!r}")
    elif action == "reorder":
        within = params.get("within")
        fields["delay"] = DEFAULT_REORDER_WITHIN if within is None else _duration(within, "reorder.within")
    elif action in ("missing_rows", "duplicate_rows"):
        share = params.get("share")
        if isinstance(share, str) and share.strip().endswith("%"):
            with suppress(ValueError):
                share = float(share.strip()[:-1]) / 100
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise _fail(f"{action}.share", f"must be a share above 0 and at most 1 (or '20%'), got {share!r}")
        fields["share"] = float(share)
    probability = spec.get("probability")
    if probability is not None and (
        isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1
    ):
        raise _fail("probability", f"must be a number between 0 and 1, got {probability!r}")
    start = _instant(spec["from"], "from", tz) if "from" in spec else None
    until = _instant(spec["until"], "until", tz) if "until" in spec else None
    if start is not None and until is not None and until <= start:
        raise _fail("until", f"{until.isoformat()} is not after from={start.isoformat()}; swap them")
    return Fault(
        id=fault_id,
        at=at,
        action=action,
        start=start,
        until=until,
        probability=None if probability is None else float(probability),
        created_at=now,
        **fields,
    )


def _duration(value: Any, field: str, *, signed: bool = False) -> timedelta:
    if value is None:
        raise _fail(field, "give a duration, e.g. '5 minutes' or 'PT5M'")
    if isinstance(value, timedelta):
        duration = value
    else:
        text = str(value).strip()
        negative = signed and text.startswith("-") and not text[1:].lstrip().upper().startswith("P")
        try:
            duration = parse_duration(text[1:].strip() if negative else text)
        except LendsimError as exc:
            raise _fail(field, str(exc)) from None
        duration = -duration if negative else duration
    if not signed and duration <= timedelta(0):
        raise _fail(field, f"must be positive, got {value!r}")
    if duration == timedelta(0):
        raise _fail(field, f"must not be zero, got {value!r}")
    return duration


class Faults:
    """The fault timeline. Probabilities draw from one RNG per fault, seeded from the run's seed."""

    __slots__ = ("_by_point", "_counter", "_faults", "_rngs", "_seed")

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._faults: dict[str, Fault] = {}
        self._by_point: dict[str, list[Fault]] = {}
        self._rngs: dict[str, random.Random] = {}
        self._counter = 0

    def next_id(self) -> str:
        self._counter += 1
        return f"f{self._counter}"

    def add(self, fault: Fault) -> Fault:
        self._faults[fault.id] = fault
        self._by_point.setdefault(fault.at, []).append(fault)
        self._rngs[fault.id] = random.Random(f"{self._seed}:{fault.id}:{fault.at}")
        return fault

    def remove(self, fault_id: str) -> Fault:
        fault = self._faults.pop(fault_id, None)
        if fault is None:
            known = ", ".join(self._faults) or "none"
            raise ConfigError(f"no fault {fault_id!r}; current faults: {known}")
        self._by_point[fault.at].remove(fault)
        if not self._by_point[fault.at]:
            del self._by_point[fault.at]
        del self._rngs[fault_id]
        return fault

    def clear(self, seed: int | None = None) -> None:
        self._faults.clear()
        self._by_point.clear()
        self._rngs.clear()
        self._counter = 0
        if seed is not None:
            self._seed = seed

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults.values()))

    def __len__(self) -> int:
        return len(self._faults)

    def active(self, point: str, now: datetime, actions: Collection[str] | None = None) -> list[Fault]:
        """Faults at ``point`` (of ``actions`` only, if given) whose window covers ``now`` and whose probability
        draw hits."""
        candidates = self._by_point.get(point)
        if not candidates:
            return []
        hits = []
        for fault in candidates:
            if actions is not None and fault.action not in actions:
                continue
            if fault.covers(now) and (fault.probability is None or self._rngs[fault.id].random() < fault.probability):
                hits.append(fault)
        return hits
