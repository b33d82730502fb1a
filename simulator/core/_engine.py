"""The simulator: contracts, virtual clock, journal, faults and behaviours behind one dispatch function.

``Engine.handle(Request) → Response`` is the only way in. The ASGI app and the respx routes are thin
adapters over it, so a behaviour exists once. Every partner request and response is journaled, bad input
included; the control API (``/_sim``) journals only what it changes.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson

from simulator._resources import bundled_contracts_dir
from simulator.clock import Calendar, VirtualClock
from simulator.core._faults import (
    COMMON_ACTIONS,
    DELIVERY_ACTIONS,
    NO_FAULTS,
    Fault,
    FaultPlan,
    Faults,
    TransportFault,
    parse_fault,
)
from simulator.core._messages import (
    Call,
    Reply,
    Request,
    Response,
    dumps,
    invalid_request,
    make_call,
    no_operation,
    problem,
)
from simulator.core._mock import GenericMock
from simulator.core._world import Deliverer, DeliveryResult, Model
from simulator.errors import ConfigError, DriftError
from simulator.journal import Journal, encode_data
from simulator.openapi import Contract, Operation, Violation, load_contract, load_contracts

__all__ = ["CONTROL", "DEFAULT_START", "MAX_BODY", "SOURCE_HEADER", "VIRTUAL_TIME_HEADER", "Behaviour", "Engine"]

#: Partner name of the control API; it is served under ``/_sim``.
CONTROL = "_sim"
#: The contract a platform under test implements: loaded for drivers, never served as a mock.
PLATFORM = "platform"
VIRTUAL_TIME_HEADER = "x-lendsim-virtual-time"
MAX_BODY = 1024 * 1024
DEFAULT_START = datetime(2019, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))

Behaviour = Callable[[Call], Reply]

# Request fields that tie a message to a borrower, a loan, a business serial or an SMS.
_CORRELATION_FIELDS = {
    "borrowerId": "borrower",
    "loanOuterNo": "loan",
    "repayOuterNo": "serial",
    "OutId": "sms_out_id",
    "out_id": "sms_out_id",
}
_ID_COLUMNS = ("borrower", "loan", "serial", "sms_out_id")
# (field, index in _ID_COLUMNS), last listed first: a later match overwrites, so the first field listed wins.
_CORRELATION_LAST_FIRST = tuple(
    (field, _ID_COLUMNS.index(column)) for field, column in reversed(_CORRELATION_FIELDS.items())
)
_NO_DELAY = timedelta(0)
# Headers worth keeping in the journal; the rest (and any credential) stay out of it.
_JOURNALED_HEADERS = frozenset(
    ("content-type", "content-length", "user-agent", "x-request-id", "idempotency-key", "x-lendsim-source")
)
#: Header naming the partner that made an internal call (e.g. the bank sending an SMS through the gateway).
SOURCE_HEADER = "x-lendsim-source"


class Engine:
    """The dispatch engine: contracts, clock, journal, faults and behaviours on one virtual clock."""

    def __init__(
        self,
        *,
        contracts: str | Path | Mapping[str, Contract] | None = None,
        extra_contracts: Iterable[str | Path] = (),
        start: datetime = DEFAULT_START,
        seed: int = 0,
        calendar: Calendar | None = None,
        journal: Journal | str | Path | None = None,
        wall_clock: Callable[[], float] | None = None,
        control_token: str | None = None,
        max_body: int = MAX_BODY,
        strict: bool = False,
    ) -> None:
        loaded = (
            dict(contracts)
            if isinstance(contracts, Mapping)
            else load_contracts(contracts if contracts is not None else bundled_contracts_dir())
        )
        for path in extra_contracts:
            contract = load_contract(path)
            loaded[contract.name] = contract
        control = loaded.pop("control", None) or loaded.pop(CONTROL, None)
        control_path = (
            control.path if control is not None and control.path else bundled_contracts_dir() / "control.yaml"
        )
        platform = loaded.pop(PLATFORM, None)
        #: What the platform under test implements: where deliveries (callbacks, receipts) go.
        self.platform = platform or load_contract(bundled_contracts_dir() / "platform.yaml")
        self.contracts: dict[str, Contract] = loaded
        self.models: dict[str, Model] = {}
        #: Points no partner model owns (the platform's clock), with the actions they take.
        self.extra_points: dict[str, frozenset[str]] = {}
        #: Deliveries held back by a ``reorder`` fault, by (point, what they are about), to send after the next one.
        self._held: dict[tuple[str, str | None], list[Callable[[], None]]] = {}
        self._control_path = Path(control_path)
        self.control = _control_contract(self._control_path, self.points)
        self.seed = seed
        self.clock = VirtualClock(start, calendar)
        self.journal = (
            journal
            if isinstance(journal, Journal)
            else Journal(journal if journal is not None else ":memory:", wall_clock=wall_clock)
        )
        self.faults = Faults(seed)
        self.control_token = control_token
        self.max_body = max_body
        self.strict = strict
        self.clock_mode = "manual"  # the serve adapter sets "realtime" when it maps wall time
        self.speed = 1.0
        self._start = start
        self._mock = GenericMock(seed)
        self._serial = 0
        self._stamped: tuple[datetime | None, str] = (None, "")  # the last virtual time and its ISO text
        self.behaviours: dict[tuple[str, str], Behaviour] = {}
        #: Sends deliveries to the platform's receivers; set by an adapter (HTTP or in-process).
        self.deliverer: Deliverer | None = None
        #: How a background delivery's completion gets back into the engine's thread (the serve adapter
        #: sets the event loop's ``call_soon_threadsafe``); in-process it runs at once.
        self.run_soon: Callable[[Callable[[], None]], object] = lambda action: action()
        from simulator.core._control import control_behaviours

        for operation_id, behaviour in control_behaviours(self).items():
            self.behaviours[(CONTROL, operation_id)] = behaviour

    # -- the Python API -------------------------------------------------------------------------

    def install(self, model: Model) -> None:
        """Bind a partner model's behaviours to its contract's operations (by operationId)."""
        contract = self.contracts.get(model.partner)
        if contract is None:
            raise ConfigError(
                f"cannot install a {model.partner!r} model: no such contract is loaded "
                f"(loaded: {', '.join(self.contracts) or 'none'})"
            )
        for operation_id, behaviour in model.behaviours().items():
            contract.operation(operation_id)  # ContractError with a did-you-mean if it does not exist
            self.behaviours[(model.partner, operation_id)] = behaviour
        self.models[model.partner] = model
        self.control = _control_contract(self._control_path, self.points)

    def event(
        self,
        partner: str,
        name: str,
        *,
        borrower: str | None = None,
        loan: str | None = None,
        serial: str | None = None,
        sms_out_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Journal something a model did on its own (a batch run, a posting, a file made available)."""
        self.journal.add(
            "event",
            self.clock.now(),
            partner=partner,
            operation=name,
            borrower=borrower,
            loan=loan,
            serial=serial,
            sms_out_id=sms_out_id,
            data=data,
        )

    def call(
        self,
        source: str,
        partner: str,
        operation_id: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        query: str = "",
        borrower: str | None = None,
        loan: str | None = None,
    ) -> Response:
        """One partner calling another (the bank sending an SMS, furnishing the bureau), through dispatch.

        Faults at ``partner.operationId`` apply, the request is validated and journaled (with its source),
        exactly as if it had come over the network. ``borrower``/``loan`` tie it to them in the journal when the
        body does not say (a bureau file names accounts, not loans).
        """
        operation = self.contracts[partner].operation(operation_id)
        path = operation.path
        for name, value in (params or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        headers = {SOURCE_HEADER: source}
        payload = b""
        if body is not None:
            payload = dumps(body)
            headers["content-type"] = "application/json"
        ids = {key: value for key, value in (("borrower", borrower), ("loan", loan)) if value is not None}
        return self.handle(Request(operation.method, f"/{partner}{path}", query, headers, payload, ids=ids))

    def deliver(
        self,
        point: str,
        body: Any,
        *,
        borrower: str | None = None,
        loan: str | None = None,
        serial: str | None = None,
        sms_out_id: str | None = None,
        retry: Sequence[timedelta] = (),
        after: timedelta = timedelta(0),
        on_result: Callable[[DeliveryResult], None] | None = None,
        accept: Callable[[DeliveryResult], bool] | None = None,
    ) -> None:
        """Send ``body`` to the platform's receiver for webhook ``point`` (``"bank.repayResultNotify"``).

        The attempt runs on the clock ``after`` from now; a failed attempt is retried after each delay of
        ``retry`` in turn, then given up. Faults at ``point`` apply to each attempt: ``drop`` loses it,
        ``duplicate`` sends it N times, ``latency`` postpones it, ``outage`` fails it, ``timeout_after_commit``
        delivers it but reports a timeout (so the sender retries). ``on_result`` hears the last attempt.
        ``accept`` says what counts as acknowledged (default: any 2xx), e.g. a receipt answered ``{"code": 0}``.
        """
        delivery = _Delivery(self, point, body, borrower, loan, serial, sms_out_id, retry, on_result, accept)
        self.clock.schedule_in(after, partial(delivery.attempt, 0), name=f"deliver {point}", borrower=borrower)

    def _hold(
        self,
        about: tuple[str, str | None],
        release: Callable[[], None],
        within: timedelta,
        point: str,
        borrower: str | None,
    ) -> None:
        """Keep a delivery back (a ``reorder`` fault): it goes out right after the next delivery about the same
        thing, or after ``within`` if none comes."""
        held = self._held.setdefault(about, [])
        held.append(release)

        def give_up_waiting() -> None:
            waiting = self._held.get(about)
            if waiting is not None and release in waiting:
                waiting.remove(release)
                if not waiting:
                    del self._held[about]
                release()

        self.clock.schedule_in(within, give_up_waiting, name=f"deliver {point} (reordered)", borrower=borrower)

    def _attempt(
        self,
        point: str,
        partner: str,
        hook: str,
        body: Any,
        plan: FaultPlan,
        number: int,
        ids: Mapping[str, str | None],
        finished: Callable[[DeliveryResult], None],
    ) -> None:
        """One delivery attempt (N copies under a ``duplicate`` fault); the first copy's outcome decides retries."""
        receiver = self.platform.webhooks.get(hook) or self.platform.operations.by_id.get(hook)
        copies = plan.copies
        forced: DeliveryResult | None = None
        if plan.dropped is not None:
            forced = DeliveryResult(None, "dropped")
        elif plan.outage is not None:
            forced = DeliveryResult(plan.outage.status, plan.outage.error)
        commit_then_timeout = plan.lost_answer

        def record(result: DeliveryResult, first: bool) -> None:
            self.journal.add(
                "delivery",
                self.clock.now(),
                partner=partner,
                operation=hook,
                status=result.status,
                **ids,
                data={
                    "attempt": number + 1,
                    "point": point,
                    "body": body,
                    "error": result.error,
                    "receiver": f"{receiver.method} {receiver.path}" if receiver else None,
                },
            )
            if first:
                finished(DeliveryResult(None, "timeout") if commit_then_timeout and result.ok else result)

        if forced is not None or self.deliverer is None or receiver is None:
            record(forced or DeliveryResult(None, "no_receiver"), True)
            return
        headers = {VIRTUAL_TIME_HEADER: self.clock.now().isoformat(), SOURCE_HEADER: partner}
        for copy_number in range(copies):
            outcome = self.deliverer(receiver, body, headers)
            first = copy_number == 0
            if isinstance(outcome, DeliveryResult):
                record(outcome, first)
            else:  # an adapter sending in the background: finish in the engine's thread when it is done

                def done(future: Future[DeliveryResult], first: bool = first) -> None:
                    self.run_soon(lambda: record(_delivery_outcome(future), first))

                outcome.add_done_callback(done)

    @property
    def points(self) -> frozenset[str]:
        """Every named injection point: ``partner.operationId`` for each served operation."""
        return frozenset(self.point_actions)

    @property
    def point_actions(self) -> Mapping[str, frozenset[str]]:
        """The fault actions each injection point takes: the common ones everywhere, ``reorder`` at deliveries,
        and what a model declares for its own points (``Model.point_actions``)."""
        common = frozenset(COMMON_ACTIONS)
        taken: dict[str, frozenset[str]] = {
            f"{name}.{operation.operation_id}": common
            for name, contract in self.contracts.items()
            for operation in contract
        }
        for name, contract in self.contracts.items():
            for hook in contract.webhooks:
                taken[f"{name}.{hook}"] = common | frozenset(DELIVERY_ACTIONS)
        for model in self.models.values():
            for point in model.points:
                taken.setdefault(point, common)
            for point, actions in getattr(model, "point_actions", {}).items():
                taken[point] = taken.get(point, common) | frozenset(actions)
        taken.update(self.extra_points)
        return taken

    def declare_point(self, point: str, actions: Iterable[str]) -> None:
        """Name an injection point no model owns (the world's ``platform.clock``) and the actions it takes."""
        self.extra_points[point] = frozenset(actions)
        self.control = _control_contract(self._control_path, self.points)

    def add_fault(self, spec: Mapping[str, Any]) -> Fault:
        """Add a fault in the scenario vocabulary: ``{"at": "bank.repayApply", "outage": {"status": 503}}``."""
        fault = parse_fault(
            spec,
            fault_id=self.faults.next_id(),
            points=self.point_actions,
            tz=self.clock.calendar.tz,
            now=self.clock.now(),
        )
        self.faults.add(fault)
        self.journal.add(
            "fault", self.clock.now(), partner=fault.at.split(".")[0], operation="faultAdded", data=fault.to_json()
        )
        return fault

    def remove_fault(self, fault_id: str) -> Fault:
        fault = self.faults.remove(fault_id)
        self.journal.add(
            "fault", self.clock.now(), partner=fault.at.split(".")[0], operation="faultRemoved", data=fault.to_json()
        )
        return fault

    def advance(self, *, to: datetime | None = None, by: timedelta | None = None) -> int:
        """Move virtual time forward, running every event that falls due. Returns how many ran."""
        if (to is None) == (by is None):
            raise ConfigError("give exactly one of to= (an instant) or by= (a duration)")
        before = self.clock.now()
        ran = self.clock.advance_to(to) if to is not None else self.clock.advance_by(by or timedelta(0))
        self.journal.add(
            "event",
            self.clock.now(),
            partner=CONTROL,
            operation="clockAdvanced",
            data={"from": before.isoformat(), "to": self.clock.now().isoformat(), "eventsRun": ran},
        )
        return ran

    def reset(self, *, start: datetime | None = None, seed: int | None = None) -> None:
        """Back to an empty world: clock at ``start``, journal and faults cleared, seed optionally changed."""
        if seed is not None:
            self.seed = seed
            self._mock.reseed(seed)
        self._start = start or self._start
        self.clock.reset(self._start)
        self.journal.clear()
        self.faults.clear(seed=self.seed)
        self._held.clear()
        self._serial = 0
        for model in self.models.values():
            model.reset()

    def clock_json(self) -> dict[str, Any]:
        upcoming = self.clock.next_event_time()
        return {
            "now": self.clock.now().isoformat(),
            "timezone": self.clock.calendar.name,
            "mode": self.clock_mode,
            "speed": self.speed,
            "pendingEvents": self.clock.pending,
            "nextEventAt": upcoming.isoformat() if upcoming is not None else None,
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "clock": self.clock_json(),
            "seed": self.seed,
            "partners": {
                name: {
                    "operations": len(c.operations),
                    "state": self.models[name].snapshot() if name in self.models else {},
                }
                for name, c in self.contracts.items()
            },
            "faults": [fault.to_json() for fault in self.faults],
            "journal": {"entries": len(self.journal)},
        }

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request addressed to ``/{partner}/…`` or ``/_sim/…``."""
        partner, _, rest = request.path.lstrip("/").partition("/")
        path = "/" + rest
        if partner == CONTROL:
            return self._handle_control(request, path)
        contract = self.contracts.get(partner)
        if contract is None:
            if request.path in ("", "/") and request.method == "GET":
                return self._respond(Reply(200, self._index()))
            return self._respond(self._unknown_partner(request, partner))
        if path == "/openapi.json" and request.method == "GET":
            return self._respond(Reply(200, contract.document))

        now = self.clock.now()
        self._serial += 1
        correlation = f"r{self._serial}"
        matched = contract.operations.match(request.method, path)
        operation = matched[0] if matched else None
        op_id = operation.operation_id if operation else None
        params: Mapping[str, Any] = {}
        body: Any = None
        plain = False  # the body holds plain JSON only (orjson may write it for the journal)
        reply: Reply | None = None
        plan = NO_FAULTS

        if matched is None:
            reply = self._no_operation(contract, request.method, path)
        elif request.body_too_large:
            reply = problem(
                413, "Payload Too Large", f"the body exceeds {self.max_body:,} bytes; send less", operation=op_id
            )
        else:
            assert operation is not None
            plan = self.faults.plan(f"{partner}.{op_id}", now)
            reply, params, body, plain = self._decode(operation, matched[1], request)

        # The ids as locals, not a dict passed as **ids: a call with ** builds a new dict every time.
        borrower, loan, serial, sms_out_id = _correlate(params, body, request.ids)
        journaled, journaled_json = _journaled_request(request, body, plain)
        self.journal.record(  # add(), positionally: kind, time, partner, operation, the ids, status, correlation, data
            "request",
            now,
            partner,
            op_id,
            borrower,
            loan,
            serial,
            sms_out_id,
            None,
            correlation,
            journaled,
            journaled_json,
        )
        transport_fault: TransportFault | None = None
        delay = _NO_DELAY
        outage = plan.outage
        if plan.dropped is not None:
            transport_fault = "timeout"
        elif outage is not None:
            if outage.error is not None:
                transport_fault = outage.error
            else:
                reply = problem(
                    outage.status or 503,
                    "Service Unavailable",
                    f"{partner} is down (fault {outage.id} at {outage.at})",
                    operation=op_id,
                )
        behaviour_answered = reply is None and transport_fault is None
        if behaviour_answered:
            assert operation is not None
            call = make_call(operation, params, body, request.headers, now)
            reply = self._run(operation, call)
            for _ in range(plan.copies - 1):  # a duplicate fault: the same call again; the last answer goes back
                reply = self._run(operation, call)
            if plan.lost_answer:
                transport_fault = "timeout"
            if plan.delay is not None:
                delay = plan.delay
        if reply is None:  # lost before any answer was made
            self.journal.add(
                "response",
                now,
                partner=partner,
                operation=op_id,
                borrower=borrower,
                loan=loan,
                serial=serial,
                sms_out_id=sms_out_id,
                correlation=correlation,
                data={"transportFault": transport_fault},
            )
            return Response(0, {}, b"", transport_fault=transport_fault)
        if reply.borrower is not None:
            borrower = reply.borrower
        if reply.loan is not None:
            loan = reply.loan
        if reply.serial is not None:
            serial = reply.serial
        if reply.sms_out_id is not None:
            sms_out_id = reply.sms_out_id
        extra: dict[str, Any] = {}
        if transport_fault:
            extra["transportFault"] = transport_fault
        if delay:
            extra["delay"] = delay.total_seconds()
        # The body is written once, for the journal and the wire; what the journal's encoder refuses (NaN, a
        # cycle) goes the journal's own way, which raises the JournalError that names the bad value.
        try:
            body_json: str | None = encode_data(reply.body)
        except (TypeError, ValueError, RecursionError):
            body_json = None
        self.journal.record(
            "response",
            now,
            partner,
            op_id,
            borrower,
            loan,
            serial,
            sms_out_id,
            reply.status,
            correlation,
            {"body": reply.body, **extra} if extra else {"body": reply.body},
            None if body_json is None else _with_body(body_json, extra),
        )
        if behaviour_answered and operation is not None:
            # The core's own problems (validation, faults, 404/405/413) are not the contract's to declare.
            self._check_drift(operation, reply, partner, correlation)
        response = self._respond(reply, body_json=body_json)
        response.delay = delay
        response.transport_fault = transport_fault
        return response

    def _handle_control(self, request: Request, path: str) -> Response:
        if self.control_token is not None:
            supplied = request.headers.get("authorization", "")
            if supplied != f"Bearer {self.control_token}":
                return self._respond(
                    problem(
                        401,
                        "Unauthorized",
                        "the control API needs 'Authorization: Bearer <token>'; the token was printed when the "
                        "server started (or set it with --control-token)",
                    ),
                    extra_headers={"www-authenticate": 'Bearer realm="lendsim"'},
                )
        if request.body_too_large:
            return self._respond(problem(413, "Payload Too Large", f"the body exceeds {self.max_body:,} bytes"))
        if path == "/openapi.json" and request.method == "GET":
            return self._respond(Reply(200, self.control.document))
        matched = self.control.operations.match(request.method, path)
        if matched is None:
            return self._respond(self._no_operation(self.control, request.method, path))
        operation, path_params = matched
        reply, params, body, _ = self._decode(operation, path_params, request)
        if reply is None:
            reply = self._run(operation, Call(operation, params, body, request.headers, self.clock.now()))
            self._check_drift(operation, reply, CONTROL, None)
        return self._respond(reply)

    def _decode(
        self, operation: Operation, path_params: Mapping[str, str], request: Request
    ) -> tuple[Reply | None, Mapping[str, Any], Any, bool]:
        """(the problem to answer or None, the parameters, the body, whether the body is plain JSON)."""
        params, errors = operation.validate_params(path_params, request.query, request.headers)
        body, body_errors, status, plain = operation.decode(request.body, request.headers.get("content-type"))
        if body_errors and status == 415:
            return invalid_request(operation.operation_id, body_errors, 415), params, None, False
        if body_errors:
            errors.extend(body_errors)
        if errors:
            return invalid_request(operation.operation_id, errors), params, body, plain
        return None, params, body, plain

    def _run(self, operation: Operation, call: Call) -> Reply:
        behaviour = self.behaviours.get((operation.partner, operation.operation_id), self._mock)
        try:
            return behaviour(call)
        except Exception as exc:
            if self.strict:
                raise
            # A bug in a behaviour: journal it in full, answer without a traceback.
            self.journal.add(
                "event",
                call.now,
                partner=operation.partner,
                operation="internalError",
                data={"operation": operation.operation_id, "error": repr(exc), "traceback": traceback.format_exc()},
            )
            return problem(
                500,
                "Internal Engine Error",
                f"the simulator failed on {operation.operation_id}; the journal has the details "
                "(kind=event, operation=internalError). Please report it.",
                operation=operation.operation_id,
            )

    def _check_drift(self, operation: Operation, reply: Reply, partner: str, correlation: str | None) -> None:
        errors = operation.validate_response(reply.status, reply.body, reply.content_type)
        if reply.headers:
            spec = operation.response(reply.status)
            if spec is not None:
                errors.extend(
                    Violation(f"header.{h}", "declared", "header not declared by the contract")
                    for h in reply.headers
                    if h.lower() not in spec.headers
                )
        if not errors:
            return
        detail = [error.to_json() for error in errors]
        if self.strict:
            raise DriftError(
                f"{partner}.{operation.operation_id} answered {reply.status} outside its contract: {detail}"
            )
        self.journal.add(
            "drift",
            self.clock.now(),
            partner=partner,
            operation=operation.operation_id,
            correlation=correlation,
            status=reply.status,
            data={"errors": detail},
        )

    def _respond(
        self, reply: Reply, *, extra_headers: Mapping[str, str] | None = None, body_json: str | None = None
    ) -> Response:
        """The answer to send; ``body_json`` is the reply body already written as JSON, if it was."""
        now = self.clock.now()
        if now is not self._stamped[0]:  # the clock hands out one datetime per instant: format it once
            self._stamped = (now, now.isoformat())
        headers = {VIRTUAL_TIME_HEADER: self._stamped[1]}
        body = b""
        if reply.body is not None:
            body = body_json.encode() if body_json is not None else dumps(reply.body)
            headers["content-type"] = reply.content_type
        if reply.headers:
            headers.update(reply.headers)
        if extra_headers:
            headers.update(extra_headers)
        return Response(reply.status, headers, body)

    # -- not found, not allowed --------------------------------------------------------------------

    def _index(self) -> dict[str, Any]:
        return {
            "service": "lendsim",
            "partners": {
                name: {"title": c.title, "openapi": f"/{name}/openapi.json"} for name, c in self.contracts.items()
            },
            "control": f"/{CONTROL}",
        }

    def _unknown_partner(self, request: Request, partner: str) -> Reply:
        from difflib import get_close_matches

        names = [*self.contracts, CONTROL]
        close = get_close_matches(partner, names, n=1)
        hint = f"/{close[0]}/…" if close else ", ".join(f"/{n}" for n in names)
        reply = problem(
            404,
            "Not Found",
            f"no partner is served at /{partner}; this server serves {', '.join('/' + n for n in names)}",
            suggestion=hint,
        )
        self.journal.add("request", self.clock.now(), data=request_data(request, None))
        self.journal.add("response", self.clock.now(), status=404, data={"body": reply.body})
        return reply

    def _no_operation(self, contract: Contract, method: str, path: str) -> Reply:
        return no_operation(contract, method, path, prefix="" if contract.name == CONTROL else f"/{contract.name}")


_CONTROL_CACHE: dict[tuple[Path, frozenset[str]], Contract] = {}


def _control_contract(path: Path, points: frozenset[str]) -> Contract:
    """The control contract with ``FaultPoint`` narrowed to this simulator's injection points.

    So the served /_sim/openapi.json tells clients (and schemathesis) which points exist, and an unknown
    point is rejected by validation like any other enum value, with a did-you-mean.
    """
    key = (path, points)
    if key not in _CONTROL_CACHE:
        document = copy.deepcopy(dict(load_contract(path, name=CONTROL).document))
        schemas = document.get("components", {}).get("schemas", {})
        if "FaultPoint" in schemas and points:
            schemas["FaultPoint"] = {**schemas["FaultPoint"], "enum": sorted(points)}
        _CONTROL_CACHE[key] = load_contract(path, name=CONTROL, document=document)
    return _CONTROL_CACHE[key]


def _delivery_outcome(future: Future[DeliveryResult]) -> DeliveryResult:
    try:
        return future.result()
    except Exception as exc:  # the adapter failed to send: report it as a failed attempt, with the reason
        return DeliveryResult(None, f"error: {exc!r}")


def _correlate(
    params: Mapping[str, Any], body: Any, known: Mapping[str, str]
) -> tuple[str | None, str | None, str | None, str | None]:
    """(borrower, loan, serial, sms_out_id) a request names: from its parameters, else its body (the first field
    listed for a column), else ``known`` (what an internal call says it is about)."""
    ids: list[str | None] = [None, None, None, None]
    for source in (body, params):  # the parameters last: they win
        if source and (type(source) is dict or isinstance(source, Mapping)):
            get = source.get
            for field, index in _CORRELATION_LAST_FIRST:
                value = get(field)
                if isinstance(value, str):
                    ids[index] = value
    if known:
        for index, column in enumerate(_ID_COLUMNS):
            if ids[index] is None:
                ids[index] = known.get(column)
    return ids[0], ids[1], ids[2], ids[3]


def _plain_json(data: dict[str, Any]) -> str | None:
    """JSON text of journal data holding plain JSON only (no NaN, no other types), through orjson: what the
    journal's json encoder would write. None (the journal encodes it) if orjson refuses anything in it."""
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # a lone surrogate in a path, a non-str key: the journal's own way
        return None


def _with_body(body_json: str, extra: Mapping[str, Any]) -> str:
    """The JSON text of ``{"body": <body_json>, **extra}`` without writing the body again."""
    if not extra:
        return '{"body":' + body_json + "}"
    return '{"body":' + body_json + "," + encode_data(extra)[1:]


def _journaled_request(request: Request, body: Any, plain: bool) -> tuple[dict[str, Any], str | None]:
    """:func:`request_data` and its JSON text where orjson writes it (None: the journal encodes it).

    A body of plain JSON is not written again: its raw bytes go into the text as they came, which read back as the
    value they were decoded to (``plain``: orjson read them as json reads them).
    """
    if body is None or not plain:
        data = request_data(request, body)
        return data, _plain_json(data) if body is None else None
    data = _request_head(request)
    try:
        head = orjson.dumps(data)
    except orjson.JSONEncodeError:  # a lone surrogate in the path or a header: the journal's own way
        data["body"] = body
        return data, None
    data["body"] = body
    return data, b"".join((head[:-1], b',"body":', request.body, b"}")).decode()


def request_data(request: Request, body: Any) -> dict[str, Any]:
    """What the journal keeps of a request: method, path, query, the headers worth keeping, the body (or its
    first 4 KiB as text when it is no JSON)."""
    data = _request_head(request)
    if body is not None:
        data["body"] = body
    elif request.body:
        data["bodyText"] = request.body[:4096].decode("utf-8", "replace")
    if request.body_too_large:
        data["bodyTooLarge"] = True
    return data


def _request_head(request: Request) -> dict[str, Any]:
    """The start of :func:`request_data`: method, path, query and the headers worth keeping."""
    data: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        data["query"] = request.query
    headers: dict[str, str] = {}
    for name, value in request.headers.items():  # a loop, not a comprehension: no function made per request
        if name in _JOURNALED_HEADERS:
            headers[name] = value
    if headers:
        data["headers"] = headers
    return data


class _Delivery:
    """One webhook delivery and its retries (:meth:`Engine.deliver`).

    A plain object whose scheduled steps are bound methods, not closures calling themselves: those would be
    reference cycles, which outlive their delivery wherever the cycle collector does not reach them (``lendsim
    serve`` freezes what survives a middle-generation collection, and a delivery waiting for its retries does).
    """

    __slots__ = (
        "about",
        "accept",
        "body",
        "borrower",
        "delays",
        "engine",
        "hook",
        "ids",
        "on_result",
        "partner",
        "point",
    )

    def __init__(
        self,
        engine: Engine,
        point: str,
        body: Any,
        borrower: str | None,
        loan: str | None,
        serial: str | None,
        sms_out_id: str | None,
        retry: Sequence[timedelta],
        on_result: Callable[[DeliveryResult], None] | None,
        accept: Callable[[DeliveryResult], bool] | None,
    ) -> None:
        self.engine = engine
        self.point = point
        self.partner, _, self.hook = point.partition(".")
        self.body = body
        self.ids = {"borrower": borrower, "loan": loan, "serial": serial, "sms_out_id": sms_out_id}
        self.delays = list(retry)
        self.about = (point, serial or loan or sms_out_id)
        self.borrower = borrower
        self.on_result = on_result
        self.accept = accept

    def attempt(self, number: int, postponed: bool = False) -> None:
        engine, point = self.engine, self.point
        plan = engine.faults.plan(point, engine.clock.now())
        delay = plan.delay
        if delay is not None and not postponed:  # a delayed delivery: the same attempt, later
            engine.clock.schedule_in(
                delay, partial(self.attempt, number, True), name=f"deliver {point}", borrower=self.borrower
            )
            return
        within = plan.reorder
        # Held back until the next one about the same thing is sent (which itself goes out: a swap).
        if within is not None and not postponed and self.about not in engine._held:
            engine._hold(self.about, partial(self.attempt, number, True), within, point, self.borrower)
            return
        engine._attempt(
            point, self.partner, self.hook, self.body, plan, number, self.ids, partial(self.finished, number)
        )
        for release in engine._held.pop(self.about, ()):  # what a reorder fault held back now arrives after this
            release()

    def finished(self, number: int, result: DeliveryResult) -> None:
        acknowledged = self.accept(result) if self.accept is not None else result.ok
        if not acknowledged and number < len(self.delays):
            self.engine.clock.schedule_in(
                self.delays[number],
                partial(self.attempt, number + 1),
                name=f"retry {self.point}",
                borrower=self.borrower,
            )
        elif self.on_result is not None:
            self.on_result(result)
