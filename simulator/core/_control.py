"""The control API's behaviours (contracts/control.yaml, served under ``/_sim``).

They are ordinary behaviours bound by operationId, so the control API is validated against its contract
like any partner. They only call the Engine's Python API: the two ways in stay equal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator._version import __version__
from simulator.clock import parse_duration
from simulator.core._messages import Call, Reply, problem
from simulator.core._replay import record_start
from simulator.errors import ClockError, ConfigError, JournalError
from simulator.masking import NAME_KEYS, mask_value

if TYPE_CHECKING:
    from simulator.core._engine import Engine

__all__ = ["LAST_YEAR", "control_behaviours"]

#: The contracts' instants are years 1970–2099 (``DateTime`` in contracts/control.yaml): the clock stops there.
LAST_YEAR = 2099

# query parameter of GET /journal → Journal.query keyword
_JOURNAL_FILTERS = {
    "kind": "kind",
    "partner": "partner",
    "operation": "operation",
    "borrower": "borrower",
    "loan": "loan",
    "serial": "serial",
    "smsOutId": "sms_out_id",
    "correlation": "correlation",
}


def control_behaviours(sim: Engine) -> dict[str, Callable[[Call], Reply]]:
    def health(call: Call) -> Reply:
        return Reply(200, {"status": "ok", "version": __version__})

    def get_clock(call: Call) -> Reply:
        return Reply(200, sim.clock_json())

    def advance_clock(call: Call) -> Reply:
        body = call.body or {}
        try:
            to = datetime.fromisoformat(body["to"]) if "to" in body else None
            by = parse_duration(body["by"]) if to is None else None
            target = (to or sim.clock.now() + (by or timedelta(0))).astimezone(sim.clock.calendar.tz)
            if target.year > LAST_YEAR:
                return problem(
                    409,
                    "Conflict",
                    f"advancing to {target.isoformat()} would pass the end of {LAST_YEAR}, the last year the "
                    "contracts' instants can express; reset (POST /_sim/reset) or advance less",
                    operation=call.operation.operation_id,
                    now=sim.clock.now().isoformat(),
                )
            ran = sim.advance(to=to) if to is not None else sim.advance(by=by)
        except ClockError as exc:
            return problem(
                409, "Conflict", str(exc), operation=call.operation.operation_id, now=sim.clock.now().isoformat()
            )
        except ConfigError as exc:
            return problem(400, "Bad Request", str(exc), operation=call.operation.operation_id)
        return Reply(200, {"clock": sim.clock_json(), "eventsRun": ran})

    def query_journal(call: Call) -> Reply:
        filters: dict[str, Any] = {
            keyword: call.params[name]
            for name, keyword in _JOURNAL_FILTERS.items()
            if call.params.get(name) is not None
        }
        try:
            page = sim.journal.query(
                after=call.params.get("after") or 0, limit=call.params.get("limit") or 100, **filters
            )
        except JournalError as exc:
            return problem(400, "Bad Request", str(exc), operation=call.operation.operation_id)
        # The journal keeps what was sent (oracles judge it); what people read is masked.
        items = [mask_value(entry.to_json(), name_keys=NAME_KEYS) for entry in page.items]
        return Reply(200, {"items": items, "next": page.next})

    def get_state(call: Call) -> Reply:
        return Reply(200, sim.snapshot())

    def reset(call: Call) -> Reply:
        body = call.body or {}
        start = datetime.fromisoformat(body["start"]) if "start" in body else None
        sim.reset(start=start, seed=body.get("seed"))
        record_start(sim, "reset")  # what a restarted server rebuilds the world from (core/_replay.py)
        return Reply(200, {"clock": sim.clock_json()})

    def list_faults(call: Call) -> Reply:
        return Reply(200, {"items": [fault.to_json() for fault in sim.faults]})

    def add_fault(call: Call) -> Reply:
        try:
            fault = sim.add_fault(call.body or {})
        except ConfigError as exc:
            from simulator.openapi import Violation

            field = f"body.{exc.field}" if exc.field else "body"
            return problem(
                400,
                "Bad Request",
                str(exc),
                operation=call.operation.operation_id,
                errors=[Violation(field, "fault", str(exc))],
            )
        return Reply(201, fault.to_json())

    def remove_fault(call: Call) -> Reply:
        try:
            sim.remove_fault(str(call.params["faultId"]))
        except ConfigError as exc:
            return problem(404, "Not Found", str(exc), operation=call.operation.operation_id)
        return Reply(204)

    return {
        "health": health,
        "getClock": get_clock,
        "advanceClock": advance_clock,
        "queryJournal": query_journal,
        "getState": get_state,
        "reset": reset,
        "listFaults": list_faults,
        "addFault": add_fault,
        "removeFault": remove_fault,
    }
