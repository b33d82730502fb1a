"""The simulator: contracts, virtual clock, journal, faults and behaviours behind one dispatch function.

``Engine.handle(Request) → Response`` is the only way in. The ASGI app and the respx routes are thin
adapters over it, so a behaviour exists once. A request to a partner goes through a short pipeline of named steps
— route, decode and validate, journal the request, faults, behaviour, journal the answer, check the answer against
the contract, respond — each a method below: the first six read and fill in the request's :class:`Exchange`, the
last two (shared with the control API) take the answer. A step that has nothing to do is not called (no fault
registered anywhere: no faults step; an answer the core made: no check against the contract). Every partner request
and response is journaled, bad input included; the control API (``/_sim``) journals only what it changes.
Everything the engine journals goes through one helper, :meth:`Engine.record`, but a request and its answer, which
the pipeline hands to :meth:`Journal.add` positionally (the hot path).
"""

from __future__ import annotations

import copy
import hmac
import re
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Unpack
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson

from simulator._resources import bundled_contracts_dir
from simulator._suggest import closest, suggest
from simulator.clock import Calendar, ScheduledEvent, VirtualClock
from simulator.core._delivery import Deliveries
from simulator.core._exchange import Exchange, request_data
from simulator.core._faults import COMMON_ACTIONS, DELIVERY_ACTIONS, NO_FAULTS, Fault, Faults, parse_fault
from simulator.core._messages import (
    SOURCE_HEADER,
    VIRTUAL_TIME_HEADER,
    Call,
    Reply,
    Request,
    Response,
    TransportFault,
    dumps,
    invalid_request,
    make_call,
    no_operation,
    problem,
)
from simulator.core._mock import GenericMock, default_locale, is_json
from simulator.core._model import Deliverer, DeliveryResult, Model
from simulator.core._signing import SIGNED_PARTNERS, Signer, SigningConfig, Verifier
from simulator.errors import ConfigError, ContractError, DriftError
from simulator.journal import EntryFields, Journal, encode_data
from simulator.openapi import Contract, Operation, Violation, load_contract, load_contracts

__all__ = ["CONTROL", "DEFAULT_START", "MAX_BODY", "Behaviour", "Engine"]

#: Partner name of the control API; it is served under ``/_sim``.
CONTROL = "_sim"
#: The contract a platform under test implements: loaded for drivers, never served as a mock.
PLATFORM = "platform"
MAX_BODY = 1024 * 1024
#: What an ``id_prefix`` may be: short, and fit for any id field (letters, digits, dashes).
_ID_PREFIX = re.compile(r"[A-Za-z0-9-]{0,16}")
DEFAULT_START = datetime(2019, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
_NO_DELAY = timedelta(0)

Behaviour = Callable[[Call], Reply]


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
        auth: bool = True,
        credentials: Iterable[str] = (),
        locale: str | None = None,
        id_prefix: str = "",
    ) -> None:
        loaded = (
            dict(contracts)
            if isinstance(contracts, Mapping)
            else load_contracts(contracts if contracts is not None else bundled_contracts_dir())
        )
        #: The partners served from a contract given on its own (``--contract``) whose security schemes are enforced
        #: (``auth``): lendsim's own partners check what their models define, never their contracts' schemes.
        self._guarded: frozenset[str] = frozenset()
        if isinstance(credentials, str):
            raise ConfigError(f"credentials={credentials!r} is one string; pass a list of the secrets to accept")
        #: The secrets those partners accept (``serve --credential``); None: any of the form the contract asks for.
        self._accepted: frozenset[str] | None = frozenset(credentials) or None
        #: The partners served from a contract given on its own: a request they refuse is answered with the
        #: contract's declared error response (its example) where it gives one.
        self._mocked: frozenset[str] = frozenset()
        if locale is not None:
            _check_locale(locale)
        #: The Faker locale of what the mock generates for each partner served from a contract given on its own.
        locales: dict[str, str] = {}
        for path in extra_contracts:
            contract = load_contract(path)
            loaded[contract.name] = contract
            self._mocked |= {contract.name}
            locales[contract.name] = locale or default_locale(contract.document)
            if auth:
                self._guarded |= {contract.name}
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
        self._control_path = Path(control_path)
        self.control = _control_contract(self._control_path, self.points)
        self.seed = seed
        if not isinstance(id_prefix, str) or not _ID_PREFIX.fullmatch(id_prefix):
            raise ConfigError(
                f"id_prefix {id_prefix!r} is not up to 16 letters, digits and dashes; pass e.g. 's2-' (a shard's)"
            )
        #: What starts every id this world mints (exchange correlations, bureau submissions and disputes, signing
        #: nonces): a shard's mark (``s2-``), so the journals of a run's shards never name two things alike.
        self.id_prefix = id_prefix
        self.clock = VirtualClock(start, calendar)
        self.journal = (
            journal
            if isinstance(journal, Journal)
            else Journal(journal if journal is not None else ":memory:", wall_clock=wall_clock)
        )
        self.faults = Faults(seed, on_fire=self._fault_fired)
        #: Deliveries to the platform's receivers (:meth:`deliver`).
        self.deliveries = Deliveries(self.clock, self.faults, self.platform, self.record)
        self.control_token = control_token
        #: Signed partner traffic (:meth:`enable_signing`); None: off, nothing is signed or verified.
        self.signing: SigningConfig | None = None
        self._verifier: Verifier | None = None
        self.max_body = max_body
        self.strict = strict
        self.clock_mode = "manual"  # the serve adapter sets "realtime" when it maps wall time
        self.speed = 1.0
        self._start = start
        self._mock = GenericMock(seed, locales)
        self._serial = 0
        self._stamped: tuple[datetime | None, str] = (None, "")  # the last virtual time and its ISO text
        self.behaviours: dict[tuple[str, str], Behaviour] = {}
        from simulator.core._control import control_behaviours

        for operation_id, behaviour in control_behaviours(self).items():
            self.behaviours[(CONTROL, operation_id)] = behaviour

    @property
    def deliverer(self) -> Deliverer | None:
        """Sends deliveries to the platform's receivers; set by an adapter (HTTP or in-process)."""
        return self.deliveries.deliverer

    @deliverer.setter
    def deliverer(self, deliverer: Deliverer | None) -> None:
        self.deliveries.deliverer = deliverer

    @property
    def run_soon(self) -> Callable[[Callable[[], None]], object]:
        """How a background delivery's completion gets back into the engine's thread (the serve adapter sets the
        event loop's ``call_soon_threadsafe``); in-process it runs at once."""
        return self.deliveries.run_soon

    @run_soon.setter
    def run_soon(self, run_soon: Callable[[Callable[[], None]], object]) -> None:
        self.deliveries.run_soon = run_soon

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

    def record(self, kind: str, at: datetime | None = None, **fields: Unpack[EntryFields]) -> None:
        """Journal one entry at virtual time ``at`` (default now): everything the engine journals goes through here,
        but for a request and its answer, which :meth:`_journal_request` and :meth:`_journal_answer` (or
        :meth:`_lost`) hand to :meth:`Journal.add` with the fields positionally, in the journal's column order: the
        hot path."""
        self.journal.add(kind, self.clock.now() if at is None else at, **fields)

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
        self.record(
            "event",
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
        return self.handle(
            Request(operation.method, f"/{partner}{path}", query, headers, payload, ids=ids, internal=True)
        )

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
        attempt: int = 1,
    ) -> None:
        """Send ``body`` to the platform's receiver for webhook ``point`` (``"bank.repayResultNotify"``).

        The attempt runs on the clock ``after`` from now; a failed attempt is retried after each delay of
        ``retry`` in turn, then given up. Faults at ``point`` apply to each attempt: ``drop`` loses it,
        ``duplicate`` sends it N times, ``latency`` postpones it, ``outage`` fails it, ``timeout_after_commit``
        delivers it but reports a timeout (so the sender retries). ``on_result`` hears the last attempt.
        ``accept`` says what counts as acknowledged (default: any 2xx), e.g. a receipt answered ``{"code": 0}``.
        ``attempt``: the number the journal gives the first attempt, for a sender that sends again on its own (the
        SMS gateway re-pushing a receipt).
        """
        ids = {"borrower": borrower, "loan": loan, "serial": serial, "sms_out_id": sms_out_id}
        self.deliveries.send(
            point, body, ids=ids, retry=retry, after=after, on_result=on_result, accept=accept, attempt=attempt
        )

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
            for point, actions in model.point_actions.items():
                taken[point] = taken.get(point, common) | frozenset(actions)
        taken.update(self.extra_points)
        return taken

    def enable_signing(self, config: SigningConfig) -> None:
        """Sign partner traffic from now on: the bank verifies what the platform sends it (a 401 naming the rule when
        a request does not verify) and signs its deliveries (``simulator/core/_signing.py``, ``docs/signing.md``)."""
        self.signing = config
        self._verifier = Verifier(config)
        self.deliveries.signer = Signer(config, self.seed, self.id_prefix)
        # Not journaled: a journal opens with its marker (``core/_replay.py``), and a restarted ``serve --journal``
        # is told again (``--signing``); what signing did shows in the entries (401s, ``data.signature``).

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
        self.record("fault", partner=fault.at.split(".")[0], operation="faultAdded", data=fault.to_json())
        return fault

    def _fault_fired(self, fault: Fault) -> None:
        """Journal the first time ``fault`` acts on something at its point."""
        self.record("fault", partner=fault.at.split(".")[0], operation="faultFired", data=fault.to_json())

    def remove_fault(self, fault_id: str) -> Fault:
        fault = self.faults.remove(fault_id)
        self.record("fault", partner=fault.at.split(".")[0], operation="faultRemoved", data=fault.to_json())
        return fault

    def advance(
        self,
        *,
        to: datetime | None = None,
        by: timedelta | None = None,
        run: Callable[[list[ScheduledEvent]], None] | None = None,
    ) -> int:
        """Move virtual time forward, running every event that falls due. Returns how many ran.

        ``run`` runs the events due at one instant, all of them, its own way (at once, for a runner driving a
        platform over HTTP); the clock moves on only when it returns. Default: one after another, here.
        """
        if (to is None) == (by is None):
            raise ConfigError("give exactly one of to= (an instant) or by= (a duration)")
        before = self.clock.now()
        if run is None:
            ran = self.clock.advance_to(to) if to is not None else self.clock.advance_by(by or timedelta(0))
        else:
            target = to if to is not None else before.astimezone(UTC) + (by or timedelta(0))  # elapsed time
            ran = 0
            while events := self.clock.take_due(target):
                ran += len(events)
                run(events)
            self.clock.advance_to(target)
        self.record(
            "event",
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
        self.deliveries.reset()
        if self.signing is not None:  # nonces forgotten with the world; the bank's own counted from the start again
            self._verifier = Verifier(self.signing)
            self.deliveries.signer = Signer(self.signing, self.seed, self.id_prefix)
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

    def settings(self) -> dict[str, str]:
        """The rules this world runs by, setting by setting, as text: the calendar here, each partner's
        configuration in :class:`~simulator.Simulator`. Each start marker journals them, so that a server restarted
        on its journal refuses to rebuild the world by other rules (core/_replay.py)."""
        return {f"calendar.{name}": value for name, value in self.clock.calendar.settings().items()}

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
        if self._verifier is not None and partner in SIGNED_PARTNERS and (request.replay or not request.internal):
            refused = self._verify(self._verifier, request, path)
            if refused is not None:
                return refused
        exchange = self._route(contract, request, path)
        self._decode(exchange)
        self._journal_request(exchange)
        if self.faults.by_point:  # no fault anywhere: none at this operation's point (the usual case)
            self._fault(exchange)
        self._behave(exchange)
        reply = exchange.reply
        if reply is None:
            return self._lost(exchange)
        self._journal_answer(exchange)
        if exchange.answered:  # the core's own problems (validation, faults, 404/405/413) are not the contract's
            assert exchange.operation is not None
            self._check_answer(exchange.operation, reply, exchange.partner, exchange.correlation)
        # The answer as it goes back: as of the virtual instant a latency fault delays it to, or lost below HTTP by a
        # transport fault (the client waits until its own timeout, when known).
        delay, transport_fault = exchange.delay, exchange.transport_fault
        response = self._respond(
            reply,
            None,
            exchange.reply_json,
            exchange.now + delay if delay else None,
            delay,
            transport_fault,
            None if transport_fault is None else request.client_timeout,
        )
        if self._verifier is not None and exchange.plan.replayed and not request.internal:
            self.handle(replace(request, internal=True, replay=True))  # refused: its nonce was just used
        return response

    def _verify(self, verifier: Verifier, request: Request, path: str) -> Response | None:
        """A signed partner's check of a request's signature: None when it verifies, else the journaled 401 problem
        naming the rule (``skew``, ``nonce_reused``, ``signature_mismatch``, ``unknown_key``, ``signature_missing``);
        the request is refused before anything reads it (``Engine.refuse``)."""
        if request.verified:
            verifier.remember(request.headers, self.clock.now())
            return None
        refusal = verifier.verify(
            method=request.method,
            path=path,
            query=request.query,
            headers=request.headers,
            body=request.body,
            now=self.clock.now(),
        )
        if refusal is None:
            return None
        reply = problem(
            401,
            "Unauthorized",
            f"{refusal.rule}: {refusal.message}",
            errors=[Violation(refusal.field, refusal.rule, refusal.message)],
            rule=refusal.rule,
        )
        reply.headers["www-authenticate"] = 'HMAC realm="lendsim", headers="x-app-id x-key-id x-timestamp x-nonce"'
        return self.refuse(request, reply)

    def _route(self, contract: Contract, request: Request, path: str) -> Exchange:
        """The operation the request is for; a 404/405 when none matches, a 413 when its body was too large."""
        self._serial += 1
        correlation = f"{self.id_prefix}r{self._serial}"
        matched = contract.operations.match(request.method, path)
        if matched is None:
            missing = self._no_operation(contract, request.method, path)
            return Exchange(request, contract.name, self.clock.now(), correlation, None, {}, missing)
        operation, path_params = matched
        reply: Reply | None = None
        if request.body_too_large:
            reply = problem(
                413,
                "Payload Too Large",
                f"the body exceeds {self.max_body:,} bytes; send less",
                operation=operation.operation_id,
            )
        return Exchange(request, contract.name, self.clock.now(), correlation, operation, path_params, reply)

    def _decode(self, exchange: Exchange) -> None:
        """Parameters and body, decoded and checked against the operation; a 400/415 naming what is wrong."""
        operation = exchange.operation
        if operation is not None and exchange.reply is None:
            refused, exchange.params, exchange.body, exchange.plain = self._read(
                operation, exchange.path_params, exchange.request
            )
            if refused is not None:
                exchange.reply = (
                    self._mock.declared_error(operation, refused) if operation.partner in self._mocked else refused
                )
        else:  # nothing to decode: no operation, or a body too large
            exchange.params = {}
            exchange.body = None
            exchange.plain = False
        exchange.correlate()

    def _journal_request(self, exchange: Exchange) -> None:
        body = exchange.body
        data = request_data(exchange.request, body)
        text = None
        if exchange.plain or body is None:
            # Decoded from plain JSON (``Operation.decode``), or no body: orjson writes it without the walk the
            # journal's encoder makes to match json's text, which is where the two could differ (float notation),
            # and it reads back as the same value. The journal's encoder instead costs 11k instructions a request
            # (``bench/run instructions``). What orjson refuses (a lone surrogate in a header) the journal encodes.
            try:
                text = orjson.dumps(data).decode()
            except orjson.JSONEncodeError:
                text = None
        self.journal.add(
            "request",
            exchange.now,
            exchange.partner,
            exchange.operation_id,
            exchange.borrower,
            exchange.loan,
            exchange.serial,
            exchange.sms_out_id,
            None,
            exchange.correlation,
            data,
            text,
        )

    def _fault(self, exchange: Exchange) -> None:
        """The faults at the operation's point: a drop or a failed connection loses the request, an outage with a
        status answers it (even an invalid one: the partner never sees it)."""
        operation = exchange.operation
        if operation is None or exchange.request.body_too_large:
            return
        about = exchange.borrower or exchange.loan or exchange.sms_out_id or exchange.serial
        if about is None:  # it names no one: drawn for what it asks (a phone's SMS details), at this instant
            request = exchange.request
            about = f"{request.method} {request.path}?{request.query}@{exchange.now.isoformat()}"
        point = f"{exchange.partner}.{operation.operation_id}"
        plan = exchange.plan = self.faults.plan(point, exchange.now, None, about)
        outage = plan.outage
        if plan.dropped is not None:
            exchange.transport_fault = "timeout"
        elif outage is not None and outage.error is not None:
            exchange.transport_fault = outage.error
        elif outage is not None:
            exchange.reply = problem(
                outage.status or 503,
                "Service Unavailable",
                f"{exchange.partner} is down (fault {outage.id} at {outage.at})",
                operation=operation.operation_id,
            )

    def _behave(self, exchange: Exchange) -> None:
        """The behaviour answers what got this far (N times under a ``duplicate`` fault: the last answer goes back);
        a ``timeout_after_commit`` fault then loses its answer, a ``latency`` fault delays it."""
        operation = exchange.operation
        if operation is None or exchange.reply is not None or exchange.transport_fault is not None:
            return
        call = make_call(operation, exchange.params, exchange.body, exchange.request.headers, exchange.now)
        exchange.reply = self._run(operation, call)
        exchange.answered = True
        plan = exchange.plan
        if plan is NO_FAULTS:  # the usual request: no fault acts on it
            return
        if plan.copies > 1:  # not a range(1) loop for the usual one copy: 1.3k instructions a request
            for _ in range(plan.copies - 1):
                exchange.reply = self._run(operation, call)
        if plan.lost_answer:
            exchange.transport_fault = "timeout"
        if plan.delay is not None:
            exchange.delay = plan.delay
            timeout = exchange.request.client_timeout
            if timeout is not None and self._felt(plan.delay) >= timeout:
                exchange.transport_fault = "timeout"  # the client gives up before the answer comes
                exchange.gave_up = timeout

    def _felt(self, delay: timedelta) -> timedelta:
        """How long a client waits, by its own clock, for an answer ``delay`` late in virtual time: as long on a manual
        clock (a run, ``lendsim serve`` without ``--speed``), ``delay / speed`` when wall time drives the clock."""
        return delay / self.speed if self.clock_mode == "realtime" else delay

    def _lost(self, exchange: Exchange) -> Response:
        """A fault lost the exchange before any answer was made: journal that, answer nothing."""
        self.journal.add(
            "response",
            exchange.now,
            exchange.partner,
            exchange.operation_id,
            exchange.borrower,
            exchange.loan,
            exchange.serial,
            exchange.sms_out_id,
            None,
            exchange.correlation,
            {"transportFault": exchange.transport_fault},
        )
        return Response(0, {}, b"", transport_fault=exchange.transport_fault, hold=exchange.request.client_timeout)

    def _journal_answer(self, exchange: Exchange) -> None:
        """Journal the answer, under the ids the reply names (a behaviour knows the loan a serial belongs to), as of
        when it arrives: a latency fault's delay later (the client may have given up by then)."""
        reply = exchange.reply
        assert reply is not None
        if reply.borrower is not None:
            exchange.borrower = reply.borrower
        if reply.loan is not None:
            exchange.loan = reply.loan
        if reply.serial is not None:
            exchange.serial = reply.serial
        if reply.sms_out_id is not None:
            exchange.sms_out_id = reply.sms_out_id
        body = reply.body
        # The body is written once, for the journal and the wire; what the journal's encoder refuses (NaN, a
        # cycle) goes the journal's own way, which raises the JournalError that names the bad value.
        body_json: str | None
        try:
            body_json = encode_data(body)
        except (TypeError, ValueError, RecursionError):
            body_json = None
        exchange.reply_json = body_json
        data: dict[str, Any] = {"body": body}
        delay = exchange.delay
        if exchange.transport_fault is None and not delay:  # the usual answer: its body alone
            text = None if body_json is None else '{"body":' + body_json + "}"
        else:
            if exchange.transport_fault:
                data["transportFault"] = exchange.transport_fault
            if delay:
                data["delay"] = delay.total_seconds()
            if exchange.gave_up is not None:
                data["clientTimeout"] = exchange.gave_up.total_seconds()
            text = None if body_json is None else _with_body(body_json, data)
        self.journal.add(
            "response",
            exchange.now + delay if delay else exchange.now,
            exchange.partner,
            exchange.operation_id,
            exchange.borrower,
            exchange.loan,
            exchange.serial,
            exchange.sms_out_id,
            reply.status,
            exchange.correlation,
            data,
            text,
        )

    def _handle_control(self, request: Request, path: str) -> Response:
        """A control call: it journals what it changes (``clockAdvanced``, ``faultAdded``, ``reset`` …) and, when it
        is refused (a 4xx) or fails, the request and its answer (:meth:`refuse`); a good read journals nothing."""
        if self.control_token is not None and not _bearer(request.headers.get("authorization", ""), self.control_token):
            reply = problem(
                401,
                "Unauthorized",
                "the control API needs 'Authorization: Bearer <token>'; the token was printed when the "
                "server started (or set it with --control-token)",
            )
            reply.headers["www-authenticate"] = 'Bearer realm="lendsim"'
            return self.refuse(request, reply)
        if request.body_too_large:
            return self.refuse(request, problem(413, "Payload Too Large", f"the body exceeds {self.max_body:,} bytes"))
        if path == "/openapi.json" and request.method == "GET":
            return self._respond(Reply(200, self.control.document))
        matched = self.control.operations.match(request.method, path)
        if matched is None:
            return self.refuse(request, self._no_operation(self.control, request.method, path))
        operation, path_params = matched
        refused, params, body, _ = self._read(operation, path_params, request)
        if refused is not None:
            return self.refuse(request, refused, operation=operation.operation_id)
        reply = self._run(operation, Call(operation, params, body, request.headers, self.clock.now()))
        self._check_answer(operation, reply, CONTROL, None)
        if reply.status >= 400:
            return self.refuse(request, reply, operation=operation.operation_id)
        return self._respond(reply)

    def refuse(self, request: Request, reply: Reply, *, operation: str | None = None) -> Response:
        """Answer ``reply`` (a problem) to a request refused before it changed anything, journaling the request and
        the answer, both marked ``refused`` (a replay of the journal passes over them: ``core/_replay.py``).

        For what the adapters refuse before the engine reads a request (a body that never completes, a control
        call from a page of another site) and for the control API's own refusals. ``operation`` names the operation
        when known; otherwise the control operation the path matches, if any."""
        name, _, rest = request.path.lstrip("/").partition("/")
        contract = self.control if name == CONTROL else self.contracts.get(name)
        partner = name if contract is not None else None
        if operation is None and contract is not None:
            matched = contract.operations.match(request.method, "/" + rest)
            operation = matched[0].operation_id if matched is not None else None
        # not a request serial: a replay does not see refusals
        correlation = f"{self.id_prefix}q{len(self.journal) + 1}"
        data = request_data(request, None)
        data["refused"] = True
        self.record("request", partner=partner, operation=operation, correlation=correlation, data=data)
        self.record(
            "response",
            partner=partner,
            operation=operation,
            status=reply.status,
            correlation=correlation,
            data={"body": reply.body, "refused": True},
        )
        return self._respond(reply)

    def _read(
        self, operation: Operation, path_params: Mapping[str, str], request: Request
    ) -> tuple[Reply | None, Mapping[str, Any], Any, bool]:
        """(the problem to answer or None, the parameters, the body, whether the body is plain JSON)."""
        if self._guarded and operation.partner in self._guarded and operation.security:
            denial = operation.authorize(request.headers, request.query, self._accepted)
            if denial is not None:
                title = "Unauthorized" if denial.status == 401 else "Forbidden"
                refused = problem(denial.status, title, denial.detail, operation=operation.operation_id)
                refused.headers["WWW-Authenticate"] = denial.challenge
                return refused, {}, None, False
        try:
            params, errors = operation.validate_params(path_params, request.query, request.headers)
            body, body_errors, status, plain = operation.decode(request.body, request.headers.get("content-type"))
        except ContractError as exc:  # a big contract compiles an operation's schemas on its first request
            reason = (
                f"{operation.partner}.{operation.operation_id}: {exc.reason}; `lendsim lint` lists every such schema"
            )
            return problem(500, "Contract Error", reason, operation=operation.operation_id), {}, None, False
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
            incident = f"{self.id_prefix}{operation.partner}-{self._serial}-{len(self.journal) + 1}"
            self.record(
                "event",
                at=call.now,
                partner=operation.partner,
                operation="internalError",
                data={
                    "incident": incident,
                    "operation": operation.operation_id,
                    "error": repr(exc),
                    "traceback": traceback.format_exc(),
                },
            )
            return problem(
                500,
                "Internal Engine Error",
                f"the simulator failed on {operation.operation_id} (incident {incident}); the journal has the details "
                f"(kind=event, operation=internalError, data.incident={incident}). Please report it.",
                operation=operation.operation_id,
                incident=incident,
            )

    def _check_answer(self, operation: Operation, reply: Reply, partner: str, correlation: str | None) -> None:
        """An answer against its operation's contract: what it breaks is journaled as ``drift`` (raised in strict
        mode)."""
        try:
            errors = operation.validate_response(reply.status, reply.body, reply.content_type)
        except ContractError as exc:  # the response schema does not compile (a big contract's, on first use)
            errors = [Violation("response", "schema", exc.reason)]
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
        self.record(
            "drift",
            partner=partner,
            operation=operation.operation_id,
            correlation=correlation,
            status=reply.status,
            data={"errors": detail},
        )

    def _respond(
        self,
        reply: Reply,
        extra_headers: Mapping[str, str] | None = None,
        body_json: str | None = None,
        at: datetime | None = None,
        delay: timedelta = _NO_DELAY,
        transport_fault: TransportFault | None = None,
        hold: timedelta | None = None,
    ) -> Response:
        """The answer to send, stamped with the virtual time it arrives at (``at``, default now); ``body_json`` is the
        reply body already written as JSON, if it was; ``delay``, ``transport_fault`` and ``hold`` as
        :class:`Response` has them (a pipeline's answer: the step that sends it)."""
        if at is None:
            now = self.clock.now()
            if now is not self._stamped[0]:  # the clock hands out one datetime per instant: format it once
                self._stamped = (now, now.isoformat())
            headers = {VIRTUAL_TIME_HEADER: self._stamped[1]}
        else:
            headers = {VIRTUAL_TIME_HEADER: at.isoformat()}
        body = b""
        value = reply.body
        if value is not None:
            # type() first: an isinstance that fails (a dict, the usual body) looks up the value's __class__
            if type(value) is not dict and isinstance(value, str) and not is_json(reply.content_type):
                body = value.encode()  # text, a PDF…: sent as it is, not as a JSON string
            else:
                body = body_json.encode() if body_json is not None else dumps(value)
            headers["content-type"] = reply.content_type
        if reply.headers:
            headers.update(reply.headers)
        if extra_headers:
            headers.update(extra_headers)
        return Response(reply.status, headers, body, delay, transport_fault, hold)

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
        names = [*self.contracts, CONTROL]
        close = closest(partner, names)
        hint = f"/{close[0]}/…" if close else ", ".join(f"/{n}" for n in names)
        reply = problem(
            404,
            "Not Found",
            f"no partner is served at /{partner}; this server serves {', '.join('/' + n for n in names)}",
            suggestion=hint,
        )
        self.record("request", data=request_data(request, None))
        self.record("response", status=404, data={"body": reply.body})
        return reply

    def _no_operation(self, contract: Contract, method: str, path: str) -> Reply:
        return no_operation(contract, method, path, prefix="" if contract.name == CONTROL else f"/{contract.name}")


_CONTROL_CACHE: dict[tuple[Path, frozenset[str]], Contract] = {}


def _check_locale(locale: str) -> None:
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        raise ConfigError(
            f"--locale {locale!r} is not a locale Faker knows; {suggest(locale, AVAILABLE_LOCALES, n=3)}",
            field="locale",
        )


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


def _bearer(supplied: str, token: str) -> bool:
    """Whether an ``Authorization`` header value carries ``token`` in the Bearer scheme (named in any case, RFC 9110
    §11.1), compared in constant time: how long the comparison takes says nothing of how much of it matched."""
    scheme, _, credentials = supplied.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace")
    )


def _with_body(body_json: str, data: Mapping[str, Any]) -> str:
    """The JSON text of ``data`` (``{"body": …, **extra}``) with the body already written as ``body_json``."""
    if len(data) == 1:
        return '{"body":' + body_json + "}"
    extra = {key: value for key, value in data.items() if key != "body"}
    return '{"body":' + body_json + "," + encode_data(extra)[1:]
