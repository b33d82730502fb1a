"""The fault vocabulary and what faults do: the one place both live.

A fault is injected at a named point: ``partner.operationId`` for an operation's inbound handling
(``bank.repayApply``), a webhook for an outbound delivery (``bank.repayResultNotify``), and whatever a model names
for its jobs and files (``bank.overdueBatch``, ``bank.reconciliationFile``). One action per fault:

    outage: {status: 503} | {error: connection_refused | connection_reset}
    latency: {delay: PT2S}
    timeout_after_commit: {}   # the partner does the work, the answer is lost
    duplicate: {times: 3}      # the message is handled (or delivered) N times
    drop: {}                   # the message is lost before it is handled

Those apply at every point. ``reorder`` applies at every delivery; the rest only where a point says it takes them
(``Model.point_actions``):

    reorder: {within: PT1H}    # a delivery: held back, sent right after the next one about the same repayment
    early: {by: PT3H}          # a job: runs that much before its time
    missing_rows: {share: 0.2} # a file: that share of its rows left out (drawn from the seed)
    duplicate_rows: {share: 0.1}  # a file: that share of its rows listed twice
    skew: {by: PT5M}           # the platform's clock: ahead (or, with '-', behind) the partners' by that much
    replayed_nonce: {}         # a request to the bank: received again, the same nonce and signature (a replay)
    key_rotation: {}           # the bank's signing: from the fault's start it signs with its next key
    unsigned_callback: {}      # a bank delivery: a copy without signature goes first (signing on)
    forged_callback: {}        # a bank delivery: a copy with a signature the bank's key did not make goes first

:data:`SPECS` declares each action's parameters; the scenario format (``simulator/scenario/schema.json``) and the
control API (``contracts/control.yaml``) write the same vocabulary, and ``tests/core/test_fault_vocabulary.py``
proves all three agree.

What the faults do is said once, by :class:`FaultPlan`: whoever handles a message at a point (the engine, a
delivery, a model's job) asks ``Faults.plan(point, now)`` and applies what the plan says — dropped, down, how many
copies, how late, the answer lost, held back, early, skewed, which rows of a file — never reading fault lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar, get_args

from simulator._suggest import did_you_mean
from simulator.clock import format_duration, parse_duration
from simulator.errors import ConfigError, LendsimError

__all__ = [
    "ACTIONS",
    "COMMON_ACTIONS",
    "DELIVERY_ACTIONS",
    "NO_FAULTS",
    "SPECIAL_ACTIONS",
    "SPECS",
    "TRANSPORT_ERRORS",
    "ActionSpec",
    "Fault",
    "FaultAction",
    "FaultPlan",
    "Faults",
    "Parameter",
    "TransportError",
    "TransportFault",
    "parse_fault",
]


class FaultAction(StrEnum):
    """What a fault does where it is injected."""

    OUTAGE = "outage"
    LATENCY = "latency"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    DUPLICATE = "duplicate"
    DROP = "drop"
    REORDER = "reorder"
    EARLY = "early"
    MISSING_ROWS = "missing_rows"
    DUPLICATE_ROWS = "duplicate_rows"
    SKEW = "skew"
    REPLAYED_NONCE = "replayed_nonce"
    KEY_ROTATION = "key_rotation"
    UNSIGNED_CALLBACK = "unsigned_callback"
    FORGED_CALLBACK = "forged_callback"


#: How an ``outage`` fails a connection below HTTP.
TransportError = Literal["connection_refused", "connection_reset"]
TRANSPORT_ERRORS: Final[tuple[TransportError, ...]] = get_args(TransportError)
#: How a fault ends an exchange below HTTP: the adapters turn these into a closed connection (server) or the
#: matching httpx exception (in-process). ``timeout``: the request was dropped, or its answer lost.
TransportFault = Literal["connection_refused", "connection_reset", "timeout"]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of an action, as a scenario or the control API writes it.

    ``kind``: ``status`` an HTTP error status, ``choice`` one of ``choices``, ``count`` an integer, (all three
    within ``minimum``–``maximum``), ``duration`` a duration (``signed_duration``: may be negative), ``share`` a
    number above ``minimum`` up to ``maximum`` or a percentage (``'20%'``). Without ``required`` an absent
    parameter means ``default``.
    """

    name: str
    kind: Literal["status", "choice", "count", "duration", "signed_duration", "share"]
    required: bool = True
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action: its parameters, and where it applies (``every point``, every ``delivery``, or the points that
    ``declare`` it). ``one_of``: exactly one of the parameters is given (an outage's status or error)."""

    action: FaultAction
    applies: Literal["every point", "delivery", "declared"]
    parameters: tuple[Parameter, ...] = ()
    one_of: bool = False


#: How long a reordered delivery waits for the one it is to follow, unless ``within`` says.
DEFAULT_REORDER_WITHIN: Final = timedelta(hours=1)
_SHARE = Parameter("share", "share", minimum=0, maximum=1)

SPECS: Final[Mapping[FaultAction, ActionSpec]] = MappingProxyType(
    {
        spec.action: spec
        for spec in (
            ActionSpec(
                FaultAction.OUTAGE,
                "every point",
                (
                    Parameter("status", "status", minimum=400, maximum=599),
                    Parameter("error", "choice", choices=TRANSPORT_ERRORS),
                ),
                one_of=True,
            ),
            ActionSpec(FaultAction.LATENCY, "every point", (Parameter("delay", "duration"),)),
            ActionSpec(FaultAction.TIMEOUT_AFTER_COMMIT, "every point"),
            ActionSpec(
                FaultAction.DUPLICATE,
                "every point",
                (Parameter("times", "count", required=False, default=2, minimum=2, maximum=10),),
            ),
            ActionSpec(FaultAction.DROP, "every point"),
            ActionSpec(
                FaultAction.REORDER,
                "delivery",
                (Parameter("within", "duration", required=False, default=DEFAULT_REORDER_WITHIN),),
            ),
            ActionSpec(FaultAction.EARLY, "declared", (Parameter("by", "duration"),)),
            ActionSpec(FaultAction.MISSING_ROWS, "declared", (_SHARE,)),
            ActionSpec(FaultAction.DUPLICATE_ROWS, "declared", (_SHARE,)),
            ActionSpec(FaultAction.SKEW, "declared", (Parameter("by", "signed_duration"),)),
            ActionSpec(FaultAction.REPLAYED_NONCE, "declared"),
            ActionSpec(FaultAction.KEY_ROTATION, "declared"),
            ActionSpec(FaultAction.UNSIGNED_CALLBACK, "declared"),
            ActionSpec(FaultAction.FORGED_CALLBACK, "declared"),
        )
    }
)

#: Every action's name, in the vocabulary's order.
ACTIONS: Final[tuple[str, ...]] = tuple(action.value for action in FaultAction)
#: Actions every operation, delivery and job point takes.
COMMON_ACTIONS: Final[tuple[str, ...]] = tuple(a.value for a, s in SPECS.items() if s.applies == "every point")
#: Actions every delivery point takes besides the common ones.
DELIVERY_ACTIONS: Final[tuple[str, ...]] = tuple(a.value for a, s in SPECS.items() if s.applies == "delivery")
#: Actions only the points that declare them take (see the module docstring).
SPECIAL_ACTIONS: Final[tuple[str, ...]] = tuple(a.value for a, s in SPECS.items() if s.applies != "every point")
_KEYS: Final = ("at", "from", "until", "probability", *ACTIONS)


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: where, what, when (``start`` ≤ now < ``until``), and how often."""

    id: str
    at: str
    action: FaultAction
    status: int | None = None  # outage with an HTTP status
    error: TransportError | None = None  # outage below HTTP
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
        if self.action == FaultAction.OUTAGE:
            action = {"status": self.status} if self.status is not None else {"error": self.error}
        elif self.action == FaultAction.LATENCY and self.delay is not None:
            action = {"delay": format_duration(self.delay)}
        elif self.action == FaultAction.DUPLICATE:
            action = {"times": self.times}
        elif self.action in (FaultAction.EARLY, FaultAction.SKEW) and self.delay is not None:
            action = {"by": format_duration(self.delay)}
        elif self.action == FaultAction.REORDER and self.delay is not None:
            action = {"within": format_duration(self.delay)}
        elif self.action in (FaultAction.MISSING_ROWS, FaultAction.DUPLICATE_ROWS):
            action = {"share": self.share}
        out: dict[str, Any] = {"id": self.id, "at": self.at, str(self.action): action}
        if self.start is not None:
            out["from"] = self.start.isoformat()
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.probability is not None:
            out["probability"] = self.probability
        if self.created_at is not None:
            out["createdAt"] = self.created_at.isoformat()
        return out


# -- what the faults at a point do ----------------------------------------------------------------------------

_Row = TypeVar("_Row")


class FaultPlan:
    """What the faults active at one point, at one moment, do to what passes there — worked out once.

    Several faults at once: a drop wins over an outage (the message is lost before anything could refuse it); of
    several drops, outages or reorders the first added applies; latency and duplicate take the largest, early
    the largest, skew the sum, file faults each in turn; of a forged and an unsigned copy, the forged one.
    """

    __slots__ = (
        "copies",
        "delay",
        "dropped",
        "early",
        "faults",
        "lost_answer",
        "outage",
        "reorder",
        "replayed",
        "rotated",
        "skew",
        "tampered",
    )

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self.faults: tuple[Fault, ...] = tuple(faults)
        #: The ``drop`` fault: the message is lost (a job run skipped).
        self.dropped: Fault | None = None
        #: The ``outage`` fault: the point is down (its ``status`` or ``error`` says how).
        self.outage: Fault | None = None
        #: How many times the message is handled or delivered (``duplicate``).
        self.copies = 1
        #: How much later it is handled or delivered (``latency``); None for no delay.
        self.delay: timedelta | None = None
        #: The work is done but the answer is lost (``timeout_after_commit``).
        self.lost_answer = False
        #: How long a delivery is held back for the next one about the same thing (``reorder``).
        self.reorder: timedelta | None = None
        #: How much before its time a job runs (``early``).
        self.early: timedelta | None = None
        #: How far the platform's clock is ahead of the partners' (``skew``; negative: behind).
        self.skew = timedelta(0)
        #: A signed request is received a second time, the same nonce and signature (``replayed_nonce``).
        self.replayed = False
        #: The bank signs with its next key (``key_rotation``).
        self.rotated = False
        #: A delivery's copy that goes first without a valid signature: "forged" or "unsigned".
        self.tampered: Literal["forged", "unsigned"] | None = None
        for fault in self.faults:
            action, delay = fault.action, fault.delay
            if action == FaultAction.DROP:
                self.dropped = self.dropped or fault
            elif action == FaultAction.OUTAGE:
                self.outage = self.outage or fault
            elif action == FaultAction.DUPLICATE:
                self.copies = max(self.copies, fault.times)
            elif action == FaultAction.LATENCY:
                if delay and delay > (self.delay or timedelta(0)):
                    self.delay = delay
            elif action == FaultAction.TIMEOUT_AFTER_COMMIT:
                self.lost_answer = True
            elif action == FaultAction.REORDER:
                self.reorder = self.reorder or delay or None
            elif action == FaultAction.EARLY:
                if delay and (self.early is None or delay > self.early):
                    self.early = delay
            elif action == FaultAction.SKEW and delay:
                self.skew += delay
            elif action == FaultAction.REPLAYED_NONCE:
                self.replayed = True
            elif action == FaultAction.KEY_ROTATION:
                self.rotated = True
            elif action == FaultAction.FORGED_CALLBACK:
                self.tampered = "forged"
            elif action == FaultAction.UNSIGNED_CALLBACK:
                self.tampered = self.tampered or "unsigned"

    @property
    def stopped(self) -> Fault | None:
        """The fault that keeps the message from being handled at all: the drop, else the outage."""
        return self.dropped or self.outage

    def rows(self, rows: Sequence[_Row], draw: Callable[[Fault, int, _Row], float]) -> list[_Row]:
        """A file's rows as its ``missing_rows`` and ``duplicate_rows`` faults serve it: a row is left out (listed
        twice) when ``draw(fault, index, row)``, a number in [0, 1) the caller draws from its seed, falls below the
        fault's share."""
        served = list(rows)
        for fault in self.faults:
            if fault.action not in (FaultAction.MISSING_ROWS, FaultAction.DUPLICATE_ROWS):
                continue
            share = fault.share or 0.0
            picked = [draw(fault, index, row) < share for index, row in enumerate(served)]
            if fault.action == FaultAction.MISSING_ROWS:
                served = [row for row, gone in zip(served, picked, strict=True) if not gone]
            else:
                served = [copy for row, twice in zip(served, picked, strict=True) for copy in [row] * (1 + twice)]
        return served


#: The plan where no fault is active.
NO_FAULTS: Final = FaultPlan()


#: Actions that act only where a point asks for them by name (``plan(point, now, only=...)``): a job's schedule
#: (``early``), the platform's clock (``skew``), a file's rows, the bank's signing key (``key_rotation``).
#: Elsewhere they are active but do nothing.
_ASKED_FOR: Final = frozenset(
    {
        FaultAction.EARLY,
        FaultAction.SKEW,
        FaultAction.MISSING_ROWS,
        FaultAction.DUPLICATE_ROWS,
        FaultAction.KEY_ROTATION,
    }
)


class Faults:
    """The fault timeline. Probabilities draw from the run's seed: per fault and what the message is about (its
    ``key``: the borrower, the loan, the SMS), so a borrower's draws do not depend on how other borrowers' messages
    interleave with theirs (a run whose borrowers go concurrently, or in shards, hits the same messages); a message
    about no one in particular (a batch run, a file of many borrowers' records) draws by its instant.

    ``on_fire(fault)`` is told the first time each fault acts on something passing its point (the engine journals
    it as ``faultFired``): a fault that never fires in a run tested nothing."""

    __slots__ = ("_counter", "_draws", "_faults", "_fired", "_on_fire", "_seed", "by_point")

    def __init__(self, seed: int = 0, on_fire: Callable[[Fault], None] | None = None) -> None:
        self._seed = seed
        self._faults: dict[str, Fault] = {}
        #: The faults added, by the point they act at; a point with none is not a key (read it: ``add`` and
        #: ``remove`` change it). Empty, no point has a fault: the engine asks nothing more of a request then.
        self.by_point: dict[str, list[Fault]] = {}
        self._draws: dict[tuple[str, str], int] = {}  # (fault id, key) -> draws made so far
        self._counter = 0
        self._fired: set[str] = set()
        self._on_fire = on_fire

    def next_id(self) -> str:
        self._counter += 1
        return f"f{self._counter}"

    def add(self, fault: Fault) -> Fault:
        self._faults[fault.id] = fault
        self.by_point.setdefault(fault.at, []).append(fault)
        return fault

    def remove(self, fault_id: str) -> Fault:
        fault = self._faults.pop(fault_id, None)
        if fault is None:
            known = ", ".join(self._faults) or "none"
            raise ConfigError(f"no fault {fault_id!r}; current faults: {known}")
        self.by_point[fault.at].remove(fault)
        if not self.by_point[fault.at]:
            del self.by_point[fault.at]
        return fault

    def clear(self, seed: int | None = None) -> None:
        self._faults.clear()
        self.by_point.clear()
        self._fired.clear()
        self._draws.clear()
        self._counter = 0
        if seed is not None:
            self._seed = seed

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults.values()))

    def __len__(self) -> int:
        return len(self._faults)

    def active(
        self, point: str, now: datetime, actions: Collection[str] | None = None, key: str | None = None
    ) -> list[Fault]:
        """Faults at ``point`` (of ``actions`` only, if given) whose window covers ``now`` and whose probability
        draw hits (drawn for ``key``, what the message is about, when given)."""
        candidates = self.by_point.get(point)
        if not candidates:
            return []
        hits = []
        for fault in candidates:
            if actions is not None and fault.action not in actions:
                continue
            if fault.covers(now) and (fault.probability is None or self._draw(fault, key, now) < fault.probability):
                hits.append(fault)
        return hits

    def _draw(self, fault: Fault, key: str | None, now: datetime) -> float:
        """A number in [0, 1): the next of ``key``'s own sequence for ``fault`` — or, for what concerns nobody in
        particular (a batch, a file of many borrowers' records), the next of the sequence of the instant ``now``.

        Keyed by what a draw is about, never by the order draws happen in across borrowers, so a run split into
        borrower shards draws the same for each borrower, and each shard the same for its copy of a batch or a
        file at the same instant (``simulator/run/_shards.py``)."""
        if key is None:
            key = f"@{now.isoformat()}"
        count = self._draws.get((fault.id, key), 0)
        self._draws[(fault.id, key)] = count + 1
        text = f"{self._seed}:{fault.id}:{fault.at}:{key}:{count}".encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest()) / 2**64

    def plan(
        self, point: str, now: datetime, only: Collection[FaultAction] | None = None, key: str | None = None
    ) -> FaultPlan:
        """What the faults active at ``point`` at ``now`` do there (of the actions ``only``, if given: a point
        asking about one effect draws no probability for the others). ``key`` names what the message is about (a
        borrower, a loan, an SMS) for the probability draws, when the caller knows."""
        if point not in self.by_point:
            return NO_FAULTS
        faults = self.active(point, now, only, key)
        if not faults:
            return NO_FAULTS
        for fault in faults:
            if fault.id not in self._fired and (only is not None or fault.action not in _ASKED_FOR):
                self._fired.add(fault.id)
                if self._on_fire is not None:
                    self._on_fire(fault)
        return FaultPlan(faults)


# -- reading a fault written as a mapping ---------------------------------------------------------------------


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
            hint = did_you_mean(key, _KEYS) or f"valid keys: {', '.join(_KEYS)}"
            raise _fail(str(key), f"unknown key; {hint}")
    at = spec.get("at")
    if not isinstance(at, str):
        raise _fail("at", f"give the injection point, e.g. 'bank.repayApply'; got {at!r}")
    if at not in points:
        hint = did_you_mean(at, points, n=3) or f"known points: {', '.join(sorted(points))}"
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
    spec_of_action = SPECS[FaultAction(action)]
    names = [parameter.name for parameter in spec_of_action.parameters]
    for key in params:
        if key not in names:
            takes = f"it takes {', '.join(names)}" if names else "it takes no parameters; write {}"
            hint = did_you_mean(key, names) or takes
            raise _fail(f"{action}.{key}", f"unknown parameter of {action!r}; {hint}")
    fields = _PARSERS[spec_of_action.action](spec_of_action, params)
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
        action=FaultAction(action),
        start=start,
        until=until,
        probability=None if probability is None else float(probability),
        created_at=now,
        **fields,
    )


# One reader per action: the Fault fields its parameters set. The limits come from SPECS.
_Parser = Callable[[ActionSpec, Mapping[str, Any]], dict[str, Any]]


def _outage(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    status_spec, error_spec = spec.parameters
    low, high = status_spec.minimum, status_spec.maximum
    if ("status" in params) == ("error" in params):
        raise _fail(
            "outage", f"give either 'status' (an HTTP status {low}–{high}) or 'error' ({' or '.join(TRANSPORT_ERRORS)})"
        )
    if "status" in params:
        status = params["status"]
        if not _integer_within(status, status_spec):
            raise _fail("outage.status", f"must be an HTTP error status {low}–{high}, got {status!r}")
        return {"status": status}
    if params["error"] not in error_spec.choices:
        raise _fail("outage.error", f"must be one of {', '.join(error_spec.choices)}, got {params['error']!r}")
    return {"error": params["error"]}


def _latency(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    delay = params.get("delay")
    try:
        return {"delay": delay if isinstance(delay, timedelta) else parse_duration(str(delay))}
    except LendsimError as exc:
        raise _fail("latency.delay", str(exc)) from None


def _duplicate(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    (times_spec,) = spec.parameters
    times = params.get("times", times_spec.default)
    if not _integer_within(times, times_spec):
        raise _fail("duplicate.times", f"must be an integer {times_spec.minimum}–{times_spec.maximum}, got {times!r}")
    return {"times": times}


def _no_parameters(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def _reorder(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    (within_spec,) = spec.parameters
    within = params.get("within")
    return {"delay": within_spec.default if within is None else _duration(within, "reorder.within")}


def _early(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    by = _duration(params.get("by"), "early.by")
    if not timedelta(0) < by < timedelta(days=1):
        raise _fail("early.by", f"must be more than 0 and less than a day, got {params.get('by')!r}")
    return {"delay": by}


def _skew(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"delay": _duration(params.get("by"), "skew.by", signed=True)}


def _rows(spec: ActionSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    share = params.get("share")
    if isinstance(share, str) and share.strip().endswith("%"):
        with suppress(ValueError):
            share = float(share.strip()[:-1]) / 100
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise _fail(f"{spec.action}.share", f"must be a share above 0 and at most 1 (or '20%'), got {share!r}")
    return {"share": float(share)}


_PARSERS: Final[Mapping[FaultAction, _Parser]] = {
    FaultAction.OUTAGE: _outage,
    FaultAction.LATENCY: _latency,
    FaultAction.TIMEOUT_AFTER_COMMIT: _no_parameters,
    FaultAction.DUPLICATE: _duplicate,
    FaultAction.DROP: _no_parameters,
    FaultAction.REORDER: _reorder,
    FaultAction.EARLY: _early,
    FaultAction.MISSING_ROWS: _rows,
    FaultAction.DUPLICATE_ROWS: _rows,
    FaultAction.SKEW: _skew,
    FaultAction.REPLAYED_NONCE: _no_parameters,
    FaultAction.KEY_ROTATION: _no_parameters,
    FaultAction.UNSIGNED_CALLBACK: _no_parameters,
    FaultAction.FORGED_CALLBACK: _no_parameters,
}


def _integer_within(value: Any, spec: Parameter) -> bool:
    low, high = spec.minimum, spec.maximum
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (low is None or value >= low)
        and (high is None or value <= high)
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
