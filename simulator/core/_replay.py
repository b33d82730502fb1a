"""Rebuild an engine's world from its journal: what a restarted ``lendsim serve --journal FILE`` remembers.

The engine is deterministic given its start, its seed, its contracts and what reached it: the requests (each at the
virtual time it arrived), the control API's changes (clock advances, faults added and removed, a reset) and what the
platform answered to each delivery. The journal holds all of them, so the world — loans, repayments, postings,
the clock, faults, deliveries waiting for their retries — is rebuilt by handing them to a fresh engine in their
order: :func:`replay`.

A journal a server writes starts with a marker (:func:`record_start`, an ``event`` of ``_sim`` named
``serverStarted``, or ``reset`` after ``POST /_sim/reset``) holding the seed and whether deliveries went to a
platform; its virtual time is the world's start. Each restart appends another marker.

What the engine journals while it replays is not stored again: each entry is checked against the one recorded
at that place (kind, virtual time, ids, status; the data of deliveries, faults and successful answers) and
taken from the recording. The first difference stops the replay with a :class:`~simulator.errors.JournalError`
naming the entry: the engine, its contracts or its version is not the one that wrote the file, and a world rebuilt
from it would answer what the first never said.

Between the recorded entries, virtual time moves as it moved then: to each request's time (the serve adapter's
real-time driver moves it without journaling), and to the time of each entry the clock's events produced. A
delivery the platform answered in the background is answered again with the recorded outcome where its entry
stands. One still waiting when the server stopped (its answer was never journaled) is reported
``interrupted`` once the world is rebuilt (:meth:`Replayed.interrupt`), and retried as any failed attempt is.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

from simulator._version import __version__
from simulator.core._messages import SOURCE_HEADER, Request
from simulator.core._model import DeliveryResult
from simulator.errors import JournalError
from simulator.journal import Entry, Journal, encode_data

if TYPE_CHECKING:
    from simulator.core._engine import Engine
    from simulator.openapi import Operation

__all__ = ["INTERRUPTED", "MARKERS", "Replayed", "contract_digests", "record_start", "replay", "starting_point"]

#: The events that open a journal (a server's start, a reset) and each restart.
MARKERS: Final = ("serverStarted", "reset")
#: The error of a delivery attempt whose answer was never journaled: the server stopped while it was under way.
INTERRUPTED: Final = "interrupted: the server stopped before the platform's answer was journaled"
_CONTROL: Final = "_sim"


def record_start(engine: Engine, operation: str, *, deliveries: bool | None = None, resumed: bool = False) -> None:
    """Journal the marker a replay starts from (``serverStarted`` or ``reset``), at the world's current instant.

    ``deliveries`` says whether deliveries go to a platform from here on (default: whether the engine has a
    deliverer now)."""
    data: dict[str, Any] = {
        "seed": engine.seed,
        "deliveries": engine.deliverer is not None if deliveries is None else deliveries,
        "lendsim": __version__,
        "contracts": contract_digests(engine),
        "settings": engine.settings(),
    }
    if resumed:
        data["resumed"] = True
    engine.record("event", partner=_CONTROL, operation=operation, data=data)


def contract_digests(engine: Engine) -> dict[str, str]:
    """Each served contract's SHA-256 (of its document as JSON with sorted keys), by partner."""
    return {
        name: hashlib.sha256(json.dumps(contract.document, sort_keys=True, default=str).encode()).hexdigest()
        for name, contract in sorted(engine.contracts.items())
    }


def starting_point(journal: Journal) -> tuple[datetime, int] | None:
    """The start instant and the seed of the world ``journal`` records, from its first marker; None when it is empty.

    Raises JournalError when it holds entries but does not open with a marker (an earlier lendsim, another command)."""
    page = journal.query(limit=1)
    if not page.items:
        return None
    first = page.items[0]
    if not _is_marker(first):
        raise JournalError(
            f"the journal {journal.path!r} holds {len(journal):,} entries but no record of how its world started "
            "(it was written by another command or an earlier lendsim), so the world cannot be rebuilt from it; "
            "start over with --fresh (the file is kept aside)"
        )
    return first.virtual_time, int(first.data.get("seed", 0))


@dataclass
class Replayed:
    """What a replay rebuilt: how many entries it went through, and the deliveries still waiting for an answer."""

    entries: int
    requests: int
    waiting: _Recorded = field(repr=False)

    def interrupt(self) -> int:
        """Report each delivery still waiting as failed (:data:`INTERRUPTED`), journaled where the engine journals
        now: it is retried as any failed attempt is. Returns how many there were."""
        return self.waiting.interrupt()


def replay(engine: Engine, journal: Journal) -> Replayed:
    """Rebuild ``engine``'s world from ``journal`` (a fresh engine, of the contracts that wrote it); see the module.

    Nothing is appended to ``journal``. Raises JournalError when the journal does not open with a marker, was
    written against other contracts, or the engine does not reproduce what it recorded."""
    recorded = _Recorded()
    entries = _Lookahead(journal.iter())
    first = entries.peek()
    if first is None:
        return Replayed(0, 0, recorded)
    starting_point(journal)  # opens with a marker
    _check_contracts(engine, first, journal.path)
    _check_settings(engine, first, journal.path)
    own, deliverer = engine.journal, engine.deliverer
    checker = _Checker(entries, journal.path)
    engine.journal = checker
    requests = 0
    try:
        while (entry := entries.peek()) is not None:
            if entry.kind == "request":
                requests += 1
            _step(engine, entry, entries, recorded)
            checker.check(entry)
    finally:
        engine.journal = own
        engine.deliverer = deliverer
        checker.close()
    return Replayed(entries.taken, requests, recorded)


def _step(engine: Engine, entry: Entry, entries: _Lookahead, recorded: _Recorded) -> None:
    """Do again what ``entry`` records reaching the engine; what the engine journals meanwhile is checked and taken.

    An input (a request from outside, a clock advance, a fault added or removed) is done again once the clock has
    caught up with it. Anything else is what the engine did on its own — its clock's events (and the calls between
    partners they make), a background delivery's answer: the clock moves to its time, which does it again, and a
    delivery still waiting there gets the answer recorded for it."""
    clock = engine.clock
    if _is_marker(entry):
        entries.take()
        if entry.seq == 1 and (entry.virtual_time != clock.now() or entry.data.get("seed") != engine.seed):
            engine.reset(start=entry.virtual_time, seed=int(entry.data.get("seed", 0)))
        engine.deliverer = recorded if entry.data.get("deliveries") else None
        return
    data = entry.data
    if _passed_over(entry):
        entries.take()
        return
    if entry.kind == "request" and SOURCE_HEADER not in data.get("headers", {}):
        _catch_up(engine, entry.virtual_time)
        engine.handle(_request(entry))
    elif entry.kind == "event" and entry.partner == _CONTROL and entry.operation == "clockAdvanced":
        _catch_up(engine, datetime.fromisoformat(data["from"]))
        engine.advance(to=datetime.fromisoformat(data["to"]))
    elif entry.kind == "fault" and entry.operation == "faultAdded":
        _catch_up(engine, entry.virtual_time)
        engine.add_fault({key: value for key, value in data.items() if key not in ("id", "createdAt")})
    elif entry.kind == "fault" and entry.operation == "faultRemoved":
        _catch_up(engine, entry.virtual_time)
        engine.remove_fault(str(data["id"]))
    else:
        clock.advance_to(max(clock.now(), entry.virtual_time))
        if entry.kind == "delivery" and entries.peek() is entry:
            recorded.answer(entry)


def _catch_up(engine: Engine, when: datetime) -> None:
    """Move the clock to ``when`` if it is later, as real time moved it (unjournaled) before an input arrived; an
    event due now but not run yet stays pending, as it was then."""
    if when > engine.clock.now():
        engine.clock.advance_to(when)


def _request(entry: Entry) -> Request:
    """The request a ``request`` entry records, as the adapter handed it over (its body written as JSON again)."""
    data = entry.data
    text = encode_data(data["body"]) if "body" in data else str(data.get("bodyText", ""))
    return Request(
        method=str(data.get("method", "GET")),
        path=str(data.get("path", "/")),
        query=str(data.get("query", "")),
        headers=dict(data.get("headers", {})),
        body=text.encode(),
        body_too_large=bool(data.get("bodyTooLarge", False)),
        verified=True,  # a request the journal records as taken (a refused one is passed over)
    )


def _passed_over(entry: Entry) -> bool:
    """What changed nothing and is not the engine's to do again: a refused request and its answer (``refused``:
    ``Engine.refuse``), and a failure the server's adapter caught (an ``internalError`` of ``_sim``)."""
    if entry.kind == "event":
        return entry.partner == _CONTROL and entry.operation == "internalError"
    return entry.data.get("refused") is True


def _is_marker(entry: Entry) -> bool:
    return entry.kind == "event" and entry.partner == _CONTROL and entry.operation in MARKERS


def _check_contracts(engine: Engine, first: Entry, path: str) -> None:
    recorded = first.data.get("contracts")
    if not isinstance(recorded, Mapping):
        return
    served = contract_digests(engine)
    if dict(recorded) == served:
        return
    names = sorted(set(recorded) | set(served))
    differ = [name for name in names if recorded.get(name) != served.get(name)]
    raise JournalError(
        f"the journal {path!r} was written against other contracts (they differ for: {', '.join(differ)}), so its "
        f"world cannot be rebuilt here; serve the contracts it was written with (lendsim "
        f"{first.data.get('lendsim', '?')}), or start over with --fresh (the file is kept aside)"
    )


def _check_settings(engine: Engine, first: Entry, path: str) -> None:
    """The world is rebuilt by the rules it ran by (the calendar, the partners' configuration), or not at all: by
    others, what it answered would be answered differently (a cut-off, a grace period), or not stop at all."""
    recorded = first.data.get("settings")
    if not isinstance(recorded, Mapping):  # a journal from before settings were journaled
        return
    now = engine.settings()
    differ = [name for name in sorted(set(recorded) | set(now)) if recorded.get(name) != now.get(name)]
    if not differ:
        return
    shown = "; ".join(
        f"{name}: {recorded.get(name, '(none)')} then, {now.get(name, '(none)')} now" for name in differ[:5]
    )
    more = f" and {len(differ) - 5} more" if len(differ) > 5 else ""
    raise JournalError(
        f"the world in the journal {path!r} ran by other rules than this server's ({shown}{more}), so it cannot be "
        "rebuilt here; give the --rules file and --calendar it started with, or start over with --fresh (the file is "
        "kept aside)"
    )


class _Lookahead:
    """The recorded entries in order, one visible ahead."""

    __slots__ = ("_entries", "_next", "taken")

    def __init__(self, entries: Iterator[Entry]) -> None:
        self._entries = entries
        self._next: Entry | None = next(entries, None)
        self.taken = 0

    def peek(self) -> Entry | None:
        return self._next

    def take(self) -> None:
        self._next = next(self._entries, None)
        self.taken += 1


# Whose data must be what was recorded: what the platform was told, the faults, what was delivered. A refusal's text
# may differ (a body longer than the journal keeps of it is replayed cut); its status may not.
def _data_checked(kind: str, status: int | None) -> bool:
    return kind in ("delivery", "fault") or (kind == "response" and status is not None and 200 <= status < 300)


class _Checker(Journal):
    """Stands in for the journal while the engine replays: each entry the engine journals is compared with the one
    recorded at that place and taken from the recording; nothing is stored (its own in-memory database stays
    empty)."""

    def __init__(self, entries: _Lookahead, path: str) -> None:
        super().__init__()
        self._recorded = entries
        self._source = path
        self._differs: str | None = None
        self._produced = 0

    def add(self, kind: str, virtual_time: datetime, *fields: Any, **named: Any) -> int:
        """:meth:`Journal.add`'s arguments (positional or named, as the engine gives them), checked against the
        entry recorded at this place instead of stored."""
        given = _ADD.bind(self, kind, virtual_time, *fields, **named).arguments
        data, data_json = given.get("data"), given.get("data_json")
        status = given.get("status")
        self._produced += 1
        if self._differs is not None:
            return self._produced
        expected = self._recorded.peek()
        ids = (given.get(name) or None for name in _ID_FIELDS)
        made = cast(_Fields, (kind, *ids, status, given.get("correlation") or None))
        if expected is None:
            self._differs = f"the journal ends, but replaying it journals {_describe(made, virtual_time)}"
            return self._produced
        wanted = _fields(expected)
        same = made == wanted and virtual_time == expected.virtual_time
        if same and _data_checked(kind, status):
            same = dict(expected.data) == _as_stored(data, data_json)
        if not same:
            self._differs = (
                f"seq {expected.seq} records {_describe(wanted, expected.virtual_time)}, but replaying it journals "
                f"{_describe(made, virtual_time)}"
            )
            return self._produced
        self._recorded.take()
        return expected.seq

    def clear(self) -> None:
        """A reset while replaying: the recording goes on (a reset marker opens it)."""

    def check(self, entry: Entry) -> None:
        """After a step: the engine journaled what was recorded, and did something with ``entry``."""
        if self._differs is None and self._recorded.peek() is entry:
            self._differs = f"seq {entry.seq} records {_describe_entry(entry)}, which replaying it does not reproduce"
        if self._differs is not None:
            raise JournalError(
                f"cannot rebuild the world from the journal {self._source!r}: {self._differs}; it was written by "
                "another lendsim or other contracts, or changed since — serve it with what wrote it, or start over "
                "with --fresh (the file is kept aside)"
            )


def _as_stored(data: Mapping[str, Any] | None, data_json: str | None) -> dict[str, Any]:
    """``data`` as the journal would give it back (its JSON round trip)."""
    if not data:
        return {}
    value: dict[str, Any] = json.loads(data_json if data_json is not None else encode_data(dict(data)))
    return value


_ADD: Final = inspect.signature(Journal.add)
_ID_FIELDS: Final = ("partner", "operation", "borrower", "loan", "serial", "sms_out_id")

# kind, partner, operation, borrower, loan, serial, sms_out_id, status, correlation
_Fields = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, int | None, str | None]


def _fields(entry: Entry) -> _Fields:
    return (
        entry.kind,
        entry.partner,
        entry.operation,
        entry.borrower,
        entry.loan,
        entry.serial,
        entry.sms_out_id,
        entry.status,
        entry.correlation,
    )


def _describe(fields: _Fields, at: datetime) -> str:
    kind, partner, operation, *_ = fields
    status = fields[7]
    what = " ".join(part for part in (kind, partner, operation) if part)
    return f"{what}{f' {status}' if status is not None else ''} at {at.isoformat()}"


def _describe_entry(entry: Entry) -> str:
    return _describe(_fields(entry), entry.virtual_time)


class _Recorded:
    """The deliverer while replaying: each attempt waits for the outcome recorded for it (:meth:`answer`)."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], deque[Future[DeliveryResult]]] = {}

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> Future[DeliveryResult]:
        future: Future[DeliveryResult] = Future()
        self._waiting.setdefault((f"{operation.method} {operation.path}", encode_data(body)), deque()).append(future)
        return future

    def answer(self, entry: Entry) -> None:
        """Give the attempt ``entry`` records its outcome (if none waits for it, the checker names the entry)."""
        key = (str(entry.data.get("receiver")), encode_data(entry.data.get("body")))
        waiting = self._waiting.get(key)
        if not waiting:
            return
        future = waiting.popleft()
        if not waiting:
            del self._waiting[key]
        future.set_result(DeliveryResult(entry.status, entry.data.get("error"), entry.data.get("answer")))

    def interrupt(self) -> int:
        futures = [future for waiting in self._waiting.values() for future in waiting]
        self._waiting.clear()
        for future in futures:
            future.set_result(DeliveryResult(None, INTERRUPTED))
        return len(futures)
