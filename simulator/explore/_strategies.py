"""Hypothesis strategies over the scenario format: what ``lendsim explore`` generates, and in which order it shrinks.

A candidate is scenario data as a file holds it (:func:`candidates`), built into a checked
:class:`~simulator.scenario.Scenario` on the way. Everything is drawn so that hypothesis' shrinking (fewer list
items, smaller integers, the first branch of a choice) means a simpler scenario: fewer faults, shorter fault
windows, fewer borrowers, a shorter run, settings left at their defaults, borrowers who pay on time.

The fault vocabulary is not repeated here: the injection points and the actions each takes come from the
simulator (:func:`~simulator.scenario.known_points`), each action's parameters from
:data:`simulator.core.SPECS`; a new point, action or parameter is explored as soon as the engine accepts it.
The invariants come from the oracles' registry (:data:`simulator.oracles.ORACLES`), every one of them expected;
what lint warns about (an invariant a run cannot judge, a fault no platform could survive) is taken out before
the run, so a finding is the platform's doing (:func:`repair`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from hypothesis import assume
from hypothesis import strategies as st

from simulator.core import SPECS, FaultAction, Parameter
from simulator.errors import ConfigError
from simulator.oracles import ORACLES
from simulator.partners.bank import BankConfig
from simulator.scenario import Scenario, ScenarioError, build_scenario, known_points

__all__ = [
    "MAX_BORROWERS",
    "MOMENTS",
    "PROBE",
    "START",
    "Candidate",
    "Echo",
    "candidates",
    "incident_moments",
    "repair",
]

#: Every run starts here: inside the mainland holiday data, with Labour Day and Dragon Boat in reach.
START: Final = date(2019, 5, 1)
#: The most borrowers a candidate has (the issue's target for a minimal finding is ≤ 20).
MAX_BORROWERS: Final = 20
#: The most faults a candidate has.
MAX_FAULTS: Final = 4
_REPAIR_ROUNDS: Final = 4
#: The most grace a bank gives (days after the due date).
_GRACE_DAYS: Final = 3
_GRACE: Final = timedelta(days=_GRACE_DAYS)
#: Days a run goes on after the last payment or fault window, at the least.
_MIN_TAIL_DAYS: Final = 4
#: Invariants judged with parameters other than their defaults. ``sms_unique`` judges the platform's own SMS:
#: the bank's overdue notice to a number since reissued (``recycled_phones``) is the bank's doing, not the
#: platform's (the catalog's recycled-phone-number scenario judges it the same way).
_PARAMETERS: Final[Mapping[str, Mapping[str, Any]]] = {"sms_unique": {"senders": ["platform"]}}
#: Not expected when numbers are reissued: the bank's overdue notice goes to the number it holds, now a
#: stranger's, and no platform can make it reach the borrower first; the platform's own SMS (a reassurance after a
#: wrongful overdue) goes to the number it holds too, and the simulated partners offer no way to re-verify a number
#: before sending (lending-domain.md #24) — explore "found" that against the resilient platform (lint does not warn
#: about either yet).
_UNJUDGED_WITH_RECYCLED_PHONES: Final = ("notice_before_negative_report", "sms_unique")
#: Not expected when files are dropped at the bureau (``drop`` at ``bureau.feedback``): a lost file stays PROCESSING,
#: and once the bank has reported a later month it never sends the lost month again (a back-dated 210 is refused;
#: the simulated bank sends 212s only for the corrections a platform asks for), so O5 fails whatever the platform
#: does whenever the drop hits a file. Lint warns only about such a drop lasting the whole run.
_UNJUDGED_WITH_LOST_FILES: Final = ("bureau_converges",)
_LOST_FILES: Final = ("bureau.feedback", "drop")
#: The incident's own start: the link to the funding bank down (an outage at its repayment API).
_LINK: Final = ("bank.repayApply", "outage")
_FAULT_PATH: Final = re.compile(r"^faults\[(\d+)\]")
#: The moments of an incident a fault is timed from: the bank's link going down, the bank's first overdue batch
#: after the first installment's grace (its overdue notices, to borrowers and the platform), the link coming back
#: (the backlog the platform then forwards).
MOMENTS: Final = ("down", "batch", "recovery")


@dataclass(frozen=True, order=True, slots=True)
class Echo:
    """The platform met a partner at ``point`` ``hours`` (whole, rounded down) after the ``moment`` of the probe's
    incident: a fault drawn from it is at the same point, at the same time after the same moment of the
    candidate's incident — where a real incident's recovery sets the platform to work."""

    moment: str
    hours: int
    point: str


@dataclass(frozen=True)
class Candidate:
    """One generated scenario: its data as a file holds it, and the checked scenario (no error, no warning)."""

    data: Mapping[str, Any]
    scenario: Scenario

    @property
    def faults(self) -> int:
        return len(self.data.get("faults", ()))

    @property
    def borrowers(self) -> int:
        return int(self.data["population"]["borrowers"])

    @property
    def days(self) -> int:
        return self.scenario.duration.days

    @property
    def window_hours(self) -> int:
        """The faults' windows added up, in hours (a fault without a window counts the whole run)."""
        total = timedelta(0)
        for fault in self.scenario.faults:
            begin, until = fault.get("from") or self.scenario.start, fault.get("until") or self.scenario.end
            total += until - begin
        return int(total / timedelta(hours=1))

    def size(self) -> tuple[int, int, int, int, int]:
        """How big it is, smallest first: faults, fault windows, borrowers, duration, then how much it says."""
        return (self.faults, self.window_hours, self.borrowers, self.days, len(repr(self.data)))

    def __repr__(self) -> str:  # what hypothesis prints of a candidate
        return f"Candidate({self.describe()})"

    def describe(self) -> str:
        fault_word = "fault" if self.faults == 1 else "faults"
        borrower_word = "borrower" if self.borrowers == 1 else "borrowers"
        return f"{self.faults} {fault_word}, {self.borrowers} {borrower_word}, {self.days} days"


# -- values --------------------------------------------------------------------------------------------------


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``None`` (the setting left out: its default) or a value; shrinks to leaving it out."""
    return st.one_of(st.none(), strategy)


def _percent(high: int) -> st.SearchStrategy[str]:
    return st.integers(1, high).map(lambda n: f"{n}%")


def _clock_time() -> st.SearchStrategy[str]:
    """A time of day anywhere in the day, on the quarter hour or a minute before one."""
    return st.tuples(st.integers(0, 23), st.sampled_from((0, 15, 30, 45, 59))).map(
        lambda hm: f"{hm[0]:02d}:{hm[1]:02d}"
    )


def _duration(*, below_a_day: bool, signed: bool = False) -> st.SearchStrategy[str]:
    units: list[st.SearchStrategy[str]] = [
        st.integers(1, 59).map(lambda n: f"{n} seconds"),
        st.integers(1, 59).map(lambda n: f"{n} minutes"),
        st.integers(1, 23).map(lambda n: f"{n} hours"),
    ]
    if not below_a_day:
        units.append(st.integers(1, 5).map(lambda n: f"{n} days"))
    magnitude = st.one_of(units)
    if not signed:
        return magnitude
    return st.tuples(st.booleans(), magnitude).map(lambda pair: f"-{pair[1]}" if pair[0] else pair[1])


def _parameter(action: FaultAction, parameter: Parameter, *, unavailable: bool = False) -> st.SearchStrategy[Any]:
    """A value for one parameter of an action, from the kind and limits :data:`SPECS` declares; ``unavailable``:
    an error status only of a partner that cannot serve now (5xx, 429), not one refusing the request itself."""
    low, high = parameter.minimum, parameter.maximum
    if parameter.kind == "status":
        low = max(low or 0, 500) if unavailable else low
        common = [status for status in (503, 500, 404, 429, 502, 400) if (low or 0) <= status <= (high or 999)]
        if unavailable and (high or 999) >= 429 >= (parameter.minimum or 0):
            common.append(429)
        return st.one_of(st.sampled_from(common), st.integers(low or 400, high or 599))
    if parameter.kind == "choice":
        return st.sampled_from(parameter.choices)
    if parameter.kind == "count":
        return st.integers(low or 0, high if high is not None else (low or 0) + 10)
    if parameter.kind == "share":
        return _percent(100)
    # An early job runs less than a day before its time; nothing else limits a duration.
    return _duration(below_a_day=action == FaultAction.EARLY, signed=parameter.kind == "signed_duration")


@st.composite
def _action(draw: st.DrawFn, action: FaultAction, *, unavailable: bool = False) -> dict[str, Any]:
    spec = SPECS[action]
    if spec.one_of:  # exactly one of the parameters (an outage's status or error)
        chosen = draw(st.sampled_from(spec.parameters))
        return {chosen.name: draw(_parameter(action, chosen, unavailable=unavailable))}
    params: dict[str, Any] = {}
    for parameter in spec.parameters:
        if parameter.required:
            params[parameter.name] = draw(_parameter(action, parameter, unavailable=unavailable))
        else:
            value = draw(_optional(_parameter(action, parameter, unavailable=unavailable)))
            if value is not None:
                params[parameter.name] = value
    return params


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M")


@st.composite
def _fault(
    draw: st.DrawFn, paid: datetime, points: Mapping[str, frozenset[str]], focus: Sequence[str]
) -> dict[str, Any]:
    """A fault at any point with any action it takes — half the time at a point where the platform meets the
    partners (``focus``) — in a window that starts near the moment borrowers pay on the first due date (or for
    the whole run)."""
    everywhere = st.sampled_from(sorted(points))
    at = draw(st.one_of(st.sampled_from(sorted(focus)), everywhere) if focus else everywhere)
    action = FaultAction(draw(st.sampled_from(sorted(points[at]))))
    fault: dict[str, Any] = {"at": at, action.value: draw(_action(action))}
    window = draw(
        st.one_of(
            st.tuples(  # from (hours after the first due date's payments), for hours
                st.one_of(st.integers(-6, 6), st.integers(-72, 24 * 20)), st.integers(1, 24 * 5)
            ),
            st.none(),  # the whole run
        )
    )
    if window is not None:
        after, hours = window
        begin = paid + timedelta(hours=after)
        fault["from"] = _stamp(begin)
        fault["until"] = _stamp(begin + timedelta(hours=hours))
    probability = draw(_optional(st.integers(1, 99)))
    if probability is not None:
        fault["probability"] = probability / 100
    return fault


def _deadline(data: Mapping[str, Any]) -> datetime:
    """When the first installment's grace ends at the bank (local time): its due date plus the grace days, at the
    cut-off."""
    bank = data.get("bank") or {}
    defaults = BankConfig()
    grace = int(str(bank["grace"]).split()[0]) if "grace" in bank else defaults.grace_days
    cutoff = time.fromisoformat(str(bank["cutoff"])) if "cutoff" in bank else defaults.cutoff
    due = date.fromisoformat(str(data["start"])).replace(day=int(data["population"]["loan"]["due_day"]))
    return datetime.combine(due + timedelta(days=grace), cutoff)


def incident_moments(data: Mapping[str, Any]) -> dict[str, datetime] | None:
    """The :data:`MOMENTS` of scenario ``data`` as local times, when its first fault is the bank's link down for a
    window (the incident); ``None`` otherwise. The batch is the bank's first overdue batch after the first
    installment's grace: the one that marks what the outage kept from the bank."""
    faults = data.get("faults") or ()
    link = faults[0] if faults else {}
    if link.get("at") != _LINK[0] or _LINK[1] not in link or "from" not in link or "until" not in link:
        return None
    bank = data.get("bank") or {}
    deadline = _deadline(data)
    batch_time = time.fromisoformat(str(bank["overdue_batch"])) if "overdue_batch" in bank else None
    batch = datetime.combine(deadline.date(), batch_time or BankConfig().overdue_batch_time)
    if batch <= deadline:
        batch += timedelta(days=1)
    down, recovery = (datetime.fromisoformat(str(link[key])) for key in ("from", "until"))
    return {"down": down, "batch": batch, "recovery": recovery}


@st.composite
def _echo_fault(
    draw: st.DrawFn, echoes: Sequence[Echo], moments: Mapping[str, datetime], points: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    """A fault at a point where, and about when, the probe's incident set the platform to work
    (:class:`Echo`): any action the point takes, from up to six hours before to a day after that time past the
    same moment of the candidate's incident."""
    echo = draw(st.sampled_from(echoes))
    action = FaultAction(draw(st.sampled_from(sorted(points[echo.point]))))
    # The partner failing as in an incident — down, slow, answers lost or repeated — not refusing the request as
    # wrong (a 4xx for hours is a partner's defect, and a platform that takes it at its word and stops is not at
    # fault: explore "found" the resilient platform giving up a correction the bank answered 400).
    fault: dict[str, Any] = {"at": echo.point, action.value: draw(_action(action, unavailable=True))}
    met = moments[echo.moment] + timedelta(hours=echo.hours)
    fault["from"] = _stamp(met - timedelta(hours=draw(st.integers(0, 6))))
    fault["until"] = _stamp(met + timedelta(hours=draw(st.integers(1, 24))))
    probability = draw(_optional(st.integers(1, 99)))
    if probability is not None:
        fault["probability"] = probability / 100
    return fault


@st.composite
def _borrowers(draw: st.DrawFn) -> dict[str, Any]:
    """How they repay: on time, late, in part, early; when in the day; whether they dispute."""
    behaviour: dict[str, Any] = {"on_time": f"{100 - draw(st.integers(0, 100))}%"}
    low = draw(st.integers(1, 20))
    behaviour["late_days"] = f"{low}..{low + draw(st.integers(0, 10))}"
    behaviour["pay_at"] = draw(_clock_time())
    for key, high in (("partial", 60), ("early", 30), ("disputes", 50)):
        share = draw(_optional(_percent(high)))
        if share is not None:
            behaviour[key] = share
    return behaviour


def _hour(low: int, high: int) -> st.SearchStrategy[str]:
    return st.tuples(st.integers(low, high), st.sampled_from((0, 30))).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}")


@st.composite
def _bank(draw: st.DrawFn) -> dict[str, Any]:
    """The bank's day: cut-off, grace, batch, file and furnishing hours, how it calls back and allocates.

    Its hours keep the bank's own order — the cut-off in the evening, then the overdue batch, the file and the
    furnishing in the small hours, the furnishing after the batch's notices — since a bank that reports
    before it notifies, or closes its day before the due day is over, fails the invariants whatever the
    platform does."""
    bank: dict[str, Any] = {}
    options: dict[str, st.SearchStrategy[Any]] = {
        "grace": st.integers(0, 3).map(lambda n: f"{n} days"),
        "cutoff": st.one_of(st.just("23:59:59"), _hour(20, 23)),
        "reconciliation_file": _hour(1, 6),
        "furnishing": st.sampled_from(("daily", "monthly")),
        "notify_processing": st.booleans(),
        "allocation_order": st.sampled_from(("principal, interest, penalty", "interest, principal, penalty")),
        "processing_delay": _duration(below_a_day=True),
    }
    for key, strategy in options.items():
        value = draw(_optional(strategy))
        if value is not None:
            bank[key] = value
    batch = draw(_optional(st.integers(0, 4)))
    if batch is not None:
        bank["overdue_batch"] = f"{batch:02d}:30"
        bank["furnishing_time"] = f"{batch + draw(st.integers(2, 5)):02d}:30"
    return bank


@st.composite
def _data(draw: st.DrawFn, focus: Sequence[str], echoes: Sequence[Echo] = ()) -> dict[str, Any]:
    points = known_points()
    due_day = draw(st.integers(1, 28))
    anchor = START.replace(day=due_day)
    borrowers = draw(st.one_of(st.integers(1, 5), st.integers(6, MAX_BORROWERS)))
    term = draw(st.integers(1, 3))
    population: dict[str, Any] = {
        "borrowers": borrowers,
        "loan": {"principal": "1000..5000", "term": term, "due_day": due_day},
    }
    recycled = draw(_optional(_percent(20)))
    if recycled is not None:
        population["recycled_phones"] = recycled
    behaviour = draw(_borrowers())
    data: dict[str, Any] = {
        "name": "explore",
        "seed": draw(st.integers(0, 2**16)),
        "start": START.isoformat(),
        "duration": "",  # once the faults are drawn
        "population": population,
        "borrowers": behaviour,
    }
    bank = draw(_bank())
    if bank:
        data["bank"] = bank
    feedback = draw(_optional(st.integers(1, 48)))
    if feedback is not None:
        data["bureau"] = {"feedback_delay": f"{feedback} hours"}
    delivery = draw(_optional(st.integers(1, 600)))
    if delivery is not None:
        data["sms"] = {"delivery_delay": f"{delivery} seconds"}
    paid = datetime.combine(anchor, datetime.strptime(behaviour["pay_at"], "%H:%M").time())
    if draw(st.booleans()):
        # Half the candidates start as the incident did: the bank's link down while borrowers pay on the first due
        # date, until past the end of their grace (the bank then marks them overdue) or for one to four days. The
        # chains that follow (wrongful overdue, notices, negative records, corrections, reassurance SMS) are where
        # the other faults then hit: where and when the probe's incident set the platform to work (:class:`Echo`).
        # Drawn at random, the link down comes about once in a few hundred candidates, and a fault meeting what its
        # recovery or the bank's batch sets off far more rarely. Shrinking drops either when a finding does not
        # need it.
        begin = paid - timedelta(hours=1)
        deadline = _deadline({**data, "bank": bank})
        until = draw(
            st.one_of(
                st.integers(1, 48).map(lambda hours: deadline + timedelta(hours=hours)),
                st.integers(24, 96).map(lambda hours: begin + timedelta(hours=hours)),
            )
        )
        link_down = {"at": _LINK[0], _LINK[1]: {"status": 503}, "from": _stamp(begin), "until": _stamp(until)}
        moments = incident_moments({**data, "bank": bank, "faults": [link_down]})
        assert moments is not None
        other = _echo_fault(echoes, moments, points) if echoes else _fault(paid, points, focus)
        # How many: none to three, about evenly (a drawn list is empty more than half the time); fewer shrink first.
        faults = [link_down, *(draw(other) for _ in range(draw(st.integers(0, MAX_FAULTS - 1))))]
    else:
        # Never first the link down for a window: that is how a candidate drawn as the incident starts, and what
        # incident_moments reads it by.
        faults = draw(
            st.lists(_fault(paid, points, focus), max_size=MAX_FAULTS).filter(
                lambda drawn: not drawn or incident_moments({**data, "bank": bank, "faults": drawn}) is None
            )
        )
    if faults:
        data["faults"] = faults
    # The run goes on a while after the last payment and the last fault's window: what a platform puts right
    # a day or two later (reconciles, replays, corrects) is not judged half-done at the end of the run.
    last_due = _month_after(anchor, term - 1)
    busy = last_due + timedelta(days=int(behaviour["late_days"].partition("..")[2]) + _GRACE_DAYS)
    for fault in faults:
        if "until" in fault:
            busy = max(busy, datetime.strptime(fault["until"], "%Y-%m-%d %H:%M").date())
    if "disputes" in behaviour:
        # Borrowers who dispute do so the morning after the bureau loads a negative month — the last due month's
        # too, which the bank reports at the month's end — and the bank answers days later: a run that ends
        # before the answer judges the dispute still flagged (O1) whatever the platform did (explore "found"
        # that against the resilient platform with no fault at all).
        answered = timedelta(days=BankConfig().dispute_answer_days + 2)
        busy = max(busy, _month_after(last_due.replace(day=1), 1) + answered, last_due + _GRACE + answered)
    tail = draw(st.integers(_MIN_TAIL_DAYS, _MIN_TAIL_DAYS + 40))  # a longer one judges O1's window
    data["duration"] = f"{(busy - START).days + tail} days"
    data["expect"] = expectations(faults, recycled_phones=recycled is not None)
    return data


def expectations(faults: Sequence[Mapping[str, Any]], *, recycled_phones: bool) -> dict[str, dict[str, Any]]:
    """What a candidate expects: every invariant of the registry, but those its own partners' doing can break
    whatever the platform does (recycled numbers, files lost at the bureau)."""
    unjudged: tuple[str, ...] = _UNJUDGED_WITH_RECYCLED_PHONES if recycled_phones else ()
    if any(fault["at"] == _LOST_FILES[0] and _LOST_FILES[1] in fault for fault in faults):
        unjudged += _UNJUDGED_WITH_LOST_FILES
    return {key: dict(_PARAMETERS.get(key, {})) for key in ORACLES if key not in unjudged}


def _month_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def candidates(
    focus: Collection[str] = (),
    build: Callable[[Mapping[str, Any]], Scenario | None] | None = None,
    echoes: Collection[Echo] = (),
) -> st.SearchStrategy[Candidate]:
    """Scenarios to run: every invariant expected, then repaired until lint has nothing to say
    (:func:`repair`); a draw that cannot be repaired is rejected. Half the faults are drawn at the points in
    ``focus`` (where the platform meets the partners: :func:`~simulator.explore._search.touched_points`); in a
    candidate that starts as the incident did, half of the others from ``echoes`` (where and when the probe's
    incident set the platform to work: :func:`~simulator.explore._search.echoes`)."""
    fix = build or repair
    known = known_points()
    focused = sorted(point for point in focus if point in known)
    echoed = sorted(echo for echo in set(echoes) if echo.point in known and echo.moment in MOMENTS)

    @st.composite
    def candidate(draw: st.DrawFn) -> Candidate:
        data = draw(_data(focused, echoed))
        repaired = fix(data)
        assume(repaired is not None)
        assert repaired is not None
        return Candidate(repaired.raw, repaired)

    return candidate()


#: The scenario a search starts with, to see where and when the platform meets the partners: a few borrowers
#: paying on time, late, in part and early over two installments, and the bank's link down over the first due
#: date (so the bank marks some overdue, notifies them and the platform, and the platform has something to put
#: right). Its seed makes the draw of borrowers include one who pays on the due date in the outage (the seed
#: before it drew three early settlements and a late payer: no wrongful overdue, nothing for the platform to do).
PROBE: Final[Mapping[str, Any]] = {
    "name": "explore-probe",
    "seed": 4,
    "start": START.isoformat(),
    "duration": "50 days",
    "population": {"borrowers": 4, "loan": {"principal": "1000..5000", "term": 2, "due_day": 10}},
    "borrowers": {"on_time": "50%", "late_days": "2..5", "partial": "25%", "early": "25%", "pay_at": "20:00"},
    "bank": {"grace": "0 days"},
    "faults": [
        {"at": "bank.repayApply", "outage": {"status": 503}, "from": "2019-05-10 19:00", "until": "2019-05-12 19:00"}
    ],
    "expect": {key: dict(_PARAMETERS.get(key, {})) for key in ORACLES},
}


def repair(data: Mapping[str, Any]) -> Scenario | None:
    """``data`` as a scenario lint is silent about: what a warning names is taken out — the fault it is about,
    or the invariant the run cannot judge (a window longer than the run, disputes nobody files) — until no
    warning is left. ``None`` when an error or a warning about anything else remains."""
    current: dict[str, Any] = {key: value for key, value in data.items()}
    for _ in range(_REPAIR_ROUNDS):
        try:
            scenario = build_scenario(current, file="<explore>")
        except (ScenarioError, ConfigError):
            return None
        if not scenario.warnings:
            return scenario
        drop_faults: set[int] = set()
        drop_invariants: set[str] = set()
        for warning in scenario.warnings:
            fault = _FAULT_PATH.match(warning.path)
            if fault is not None:
                drop_faults.add(int(fault.group(1)))
            elif warning.path.startswith("expect."):
                drop_invariants.add(warning.path.split(".")[1])
            else:
                return None
        current = _without(current, drop_faults, drop_invariants)
        if not current["expect"]:
            return None
    return None


def _without(data: Mapping[str, Any], faults: set[int], invariants: set[str]) -> dict[str, Any]:
    out = dict(data)
    kept: Sequence[Any] = [fault for index, fault in enumerate(data.get("faults", ())) if index not in faults]
    if kept:
        out["faults"] = list(kept)
    else:
        out.pop("faults", None)
    out["expect"] = {key: value for key, value in data["expect"].items() if key not in invariants}
    return out
