"""``Lendsim``: what the pytest fixture yields — a simulator routed in-process, with the clock in the test's hands."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx

from simulator.core import DEFAULT_START, DeliveryResult, Fault
from simulator.journal import Journal
from simulator.openapi import Operation
from simulator.testing._routes import mock_router
from simulator.testing._transport import SimulatorTransport, base_url
from simulator.world import Simulator

__all__ = ["InvariantFailure", "Lendsim", "PlatformHandler"]


class InvariantFailure(AssertionError):
    """``lendsim.check()`` found invariants violated; the message lists each with its chain of events."""


#: A platform's receiver in a test: given the receiver's operationId (``repayResultNotify``, ``bankNotice``,
#: ``smsReport``), the body and the headers, it answers with a status, a (status, body) pair or an httpx.Response.
PlatformHandler = Callable[[str, Any, Mapping[str, str]], "int | tuple[int, Any] | httpx.Response"]


class Lendsim:
    """The simulated bank, bureau and SMS gateway for one test, routed through respx while active."""

    def __init__(
        self,
        *,
        seed: int = 0,
        start: datetime = DEFAULT_START,
        passthrough_hosts: Iterable[str] = (),
        strict: bool = False,
    ) -> None:
        self.sim = Simulator(seed=seed, start=start, strict=strict)
        self._passthrough = tuple(passthrough_hosts)

    @contextmanager
    def routing(self) -> Iterator[Lendsim]:
        """Route every httpx client (sync or async, created anywhere) to the simulator while inside."""
        with mock_router(self.sim, passthrough_hosts=self._passthrough):
            yield self

    # -- where the platform finds the partners -------------------------------------------------

    def base_url(self, partner: str) -> str:
        """The base URL to configure in the platform for ``partner`` ("bank", "bureau", "sms")."""
        if partner not in self.sim.contracts and partner != "_sim":
            raise ValueError(f"no partner {partner!r}; the simulator serves {', '.join(self.sim.contracts)}")
        return base_url(partner)

    def transport(self, partner: str) -> SimulatorTransport:
        """An httpx transport (sync and async) straight to ``partner``, for code that accepts one."""
        self.base_url(partner)
        return SimulatorTransport(self.sim, partner)

    # -- time ----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.sim.clock.now()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0, to: datetime | None = None
    ) -> int:
        """Move virtual time on (by a duration, or to an instant); callbacks and receipts due meanwhile are
        delivered to the platform's handler. Returns the number of events that ran."""
        if to is not None:
            return self.sim.advance(to=to)
        return self.sim.advance(by=timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))

    # -- faults ----------------------------------------------------------------------------------

    def fault(self, at: str, *, for_: timedelta | None = None, **spec: Any) -> Fault:
        """Inject a fault in the scenario vocabulary, from now (for ``for_`` if given):
        ``lendsim.fault("bank.repayApply", outage={"status": 503}, for_=timedelta(hours=6))``."""
        full: dict[str, Any] = {"at": at, **{key.rstrip("_"): value for key, value in spec.items()}}
        full.setdefault("from", self.now)
        if for_ is not None:
            full["until"] = self.now + for_
        return self.sim.add_fault(full)

    # -- the platform's receivers ------------------------------------------------------------------

    def platform(self, handler: PlatformHandler | Any) -> None:
        """Deliver callbacks, notices and SMS receipts to ``handler``: a callable
        ``(operation_id, body, headers) -> status | (status, body) | httpx.Response``, or the platform's ASGI app."""
        if _is_asgi(handler):
            client = httpx.Client(transport=_SyncASGI(handler), base_url="http://platform")

            def send(operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
                response = client.request(operation.method, operation.path, json=body, headers=dict(headers))
                return DeliveryResult(response.status_code, None, _json_or_text(response))

        else:

            def send(operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
                answer = handler(operation.operation_id, body, headers)
                if isinstance(answer, httpx.Response):
                    return DeliveryResult(answer.status_code, None, _json_or_text(answer))
                if isinstance(answer, tuple):
                    return DeliveryResult(int(answer[0]), None, answer[1])
                return DeliveryResult(int(answer))

        self.sim.deliverer = send

    # -- what happened -------------------------------------------------------------------------------

    def check(self, expect: Mapping[str, Mapping[str, Any] | None] | None = None) -> None:
        """Judge the journal with invariants (all of O1–O8 that apply in-process by default: every one but
        ``ledgers_reconcile``, which needs the platform's ledger) and fail with :class:`InvariantFailure`
        listing each violation and its chain of events."""
        from simulator.oracles import INVARIANTS, describe_chain, evaluate

        wanted = dict(expect) if expect is not None else {key: {} for key in INVARIANTS if key != "ledgers_reconcile"}
        grace = self.sim.bank.config.grace_days if self.sim.bank is not None else 3
        verdicts = evaluate(self.sim.journal, wanted, calendar=self.sim.clock.calendar, end=self.now, grace_days=grace)
        broken = [verdict for verdict in verdicts if not verdict.held]
        if broken:
            lines = []
            for verdict in broken:
                lines.append(f"{verdict.invariant} {verdict.key}: {len(verdict.violations)} violation(s)")
                for violation in verdict.violations[:5]:
                    lines.append(f"  loan {violation.loan or '-'}: {violation.message}")
                    lines.extend(f"    {line}" for line in describe_chain(self.sim.journal, violation.chain))
            raise InvariantFailure("lendsim: invariants violated\n" + "\n".join(lines))

    @property
    def journal(self) -> Journal:
        return self.sim.journal

    def requests(self, partner: str, operation: str | None = None) -> list[Any]:
        """The bodies the platform sent to ``partner`` (optionally one operation), in order."""
        return [
            entry.data.get("body")
            for entry in self.sim.journal.iter(kind="request", partner=partner, operation=operation)
            if "x-lendsim-source" not in entry.data.get("headers", {})
        ]


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _is_asgi(handler: Any) -> bool:
    call = getattr(handler, "__call__", None)  # noqa: B004 - instances of ASGI app classes count too
    target = handler if inspect.isfunction(handler) or inspect.ismethod(handler) else call
    return inspect.iscoroutinefunction(target) and len(inspect.signature(target).parameters) == 3


class _SyncASGI(httpx.BaseTransport):
    """Call an ASGI app from synchronous code (deliveries run inside the clock, which is synchronous)."""

    def __init__(self, app: Any) -> None:
        self._transport = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._transport.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

        # On its own thread and loop: the test calling lendsim.advance() may itself be running in an event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, call()).result()
