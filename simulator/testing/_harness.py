"""``Lendsim``: what the pytest fixture yields — a simulator routed in-process, with the clock in the test's hands."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from simulator._resources import bundled_scenario, bundled_scenario_names
from simulator.core import DEFAULT_START, DeliveryResult, Fault, SigningConfig, dumps
from simulator.domain import CENT
from simulator.errors import ConfigError
from simulator.journal import Journal
from simulator.openapi import Operation
from simulator.scenario import Repayment, Scenario, ScenarioWorld, build_world, load_scenario
from simulator.scenario._events import journal_borrower_repaid
from simulator.testing._routes import mock_router
from simulator.testing._transport import SimulatorTransport, base_url
from simulator.testing._travel import ClockFollower
from simulator.world import Simulator

if TYPE_CHECKING:
    from simulator.oracles import Verdict

__all__ = ["InvariantFailure", "Lendsim", "PlatformHandler"]


class InvariantFailure(AssertionError):
    """``lendsim.check()`` found invariants violated, or not exercised that had to be; the message lists each
    violation with its chain of events, and each invariant that judged nothing with what it looks for."""


#: A platform's receiver in a test: given the receiver's operationId (``repayResultNotify``, ``bankNotice``,
#: ``smsReport``), the body and the headers, it answers with a status, a (status, body) pair or an httpx.Response.
PlatformHandler = Callable[[str, Any, Mapping[str, str]], "int | tuple[int, Any] | httpx.Response"]


class Lendsim:
    """The simulated bank, bureau and SMS gateway for one test: an empty world, or a catalog scenario's.

    Use it as a context manager (the pytest fixture does): while inside, every httpx client is routed to the
    simulator, and with ``freeze_time=True`` the platform's ``datetime.now()`` follows the virtual clock.
    """

    def __init__(
        self,
        *,
        scenario: str | os.PathLike[str] | Scenario | None = None,
        seed: int | None = None,
        borrowers: int | None = None,
        start: datetime | None = None,
        passthrough_hosts: Iterable[str] = (),
        strict: bool = False,
        freeze_time: bool = False,
    ) -> None:
        if not isinstance(freeze_time, bool):
            raise ConfigError(f"freeze_time must be True or False, got {freeze_time!r}", field="freeze_time")
        #: The scenario this world was built from (None: an empty world, no loans until the test registers some).
        self.scenario: Scenario | None = _load(scenario) if scenario is not None else None
        self.world: ScenarioWorld | None = None
        if self.scenario is None:
            if borrowers is not None:
                raise ConfigError(
                    f"borrowers={borrowers!r} sizes a scenario's population, and no scenario was given; add "
                    "scenario='xiaomi-minsheng-2019' (a catalog name) or the path of a scenario file",
                    field="borrowers",
                )
            self.sim = Simulator(seed=seed or 0, start=start or DEFAULT_START, strict=strict)
        else:
            if start is not None:
                raise ConfigError(
                    f"start={start!r}: a scenario starts when it says ({self.scenario.start.isoformat()} for "
                    f"{self.scenario.name!r}); drop start=, or change 'start:' in the scenario file",
                    field="start",
                )
            self.world = build_world(self.scenario, seed=seed, borrowers=borrowers, strict=strict)
            self.sim = self.world.sim
            self.world.add_faults()
        self._passthrough = tuple(passthrough_hosts)
        self._follower = ClockFollower(self.sim.clock) if freeze_time else None
        self._router: Any = None
        self._planned = False

    def __enter__(self) -> Lendsim:
        """Route every httpx client (sync or async, created anywhere) to the simulator; with ``freeze_time``,
        put the process's wall clock on the virtual one."""
        self._router = mock_router(self.sim, passthrough_hosts=self._passthrough)
        self._router.__enter__()
        if self._follower is not None:
            self._follower.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._follower is not None:
            self._follower.stop()
        if self._router is not None:
            self._router.__exit__(*exc_info)
            self._router = None

    def close(self) -> None:
        """Close the journal (the fixture does it after the test)."""
        self.sim.journal.close()

    # -- the scenario's world --------------------------------------------------------------------

    @property
    def borrowers(self) -> list[dict[str, Any]]:
        """The scenario's borrowers as ``setupRun`` tells a platform of them (empty without a scenario)."""
        return self.world.borrowers if self.world is not None else []

    @property
    def loans(self) -> list[dict[str, Any]]:
        """The scenario's loans, registered at the bank, as ``setupRun`` tells a platform of them."""
        return self.world.loans if self.world is not None else []

    def setup_body(self) -> dict[str, Any]:
        """The whole ``setupRun`` body (run id, start, partner base URLs, borrowers, loans, time zone)."""
        world = self._world("setup_body")
        return world.setup_body({partner: base_url(partner) for partner in self.sim.contracts})

    def on_repay(self, pay: Callable[[Repayment], object]) -> int:
        """Say what the platform does when one of the scenario's borrowers pays in its app: each payment is
        journaled (``borrowerRepaid``, what invariant O1 judges by) and handed to ``pay`` at its virtual
        instant as a :class:`~simulator.scenario.Repayment` (``at``, ``body`` — the platform contract's
        ``borrowerRepay`` body — and ``due_date``). Returns how many payments the scenario plans."""
        world = self._world("on_repay")
        if self._planned:
            raise ConfigError("on_repay() was called already; the scenario's payments are planned once")
        if self.now != world.scenario.start:
            raise ConfigError(
                f"on_repay() plans payments from the scenario's start ({world.scenario.start.isoformat()}) but "
                f"the clock is at {self.now.isoformat()} already; call on_repay() before advancing the clock"
            )
        self._planned = True

        def repaid(repayment: Repayment) -> None:
            self._follow()
            pay(repayment)

        return world.plan(repaid)

    def run_until_end(self) -> int:
        """Advance to the scenario's end; returns the number of events that ran."""
        return self.advance(to=self._world("run_until_end").scenario.end)

    def _world(self, what: str) -> ScenarioWorld:
        if self.world is None:
            raise ConfigError(
                f"{what}() needs a scenario; start from one with @pytest.mark.lendsim(scenario='xiaomi-minsheng-2019') "
                "(a catalog name or a scenario file), or Lendsim(scenario=...)",
                field="scenario",
            )
        return self.world

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
            ran = self.sim.advance(to=to)
        else:
            ran = self.sim.advance(by=timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))
        self._follow()
        return ran

    def every(self, interval: timedelta, job: Callable[[], object], *, name: str = "platform job") -> None:
        """Run one of the platform's own due jobs (outbox retries, reconciliation, reminders) every ``interval``
        of virtual time, the first time one ``interval`` from now: what its scheduler does in production."""
        if interval <= timedelta(0):
            raise ConfigError(f"every() needs a positive interval, got {interval!r}", field="interval")

        def run() -> None:
            self.sim.clock.schedule_in(interval, run, name=name)
            self._follow()
            job()

        self.sim.clock.schedule_in(interval, run, name=name)

    def _follow(self) -> None:
        if self._follower is not None:
            self._follower.follow()

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
                # the bytes the simulator signs (signing on): its own JSON writer, not httpx's
                sent = {**headers, "content-type": "application/json"}
                response = client.request(operation.method, operation.path, content=dumps(body), headers=sent)
                return DeliveryResult(response.status_code, None, _json_or_text(response))

        else:

            def send(operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
                answer = handler(operation.operation_id, body, headers)
                if isinstance(answer, httpx.Response):
                    return DeliveryResult(answer.status_code, None, _json_or_text(answer))
                if isinstance(answer, tuple):
                    return DeliveryResult(int(answer[0]), None, answer[1])
                return DeliveryResult(int(answer))

        def deliver(operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
            self._follow()
            return send(operation, body, headers)

        self.sim.deliverer = deliver

    def signing(self, **settings: Any) -> dict[str, Any]:
        """Sign partner traffic from now on (docs/signing.md; ``settings`` as a scenario's ``signing:`` section): the
        bank refuses what does not verify and signs its deliveries. Returns the keys as ``setupRun`` tells a
        platform them (its own key, the bank's keys, the window)."""
        config = SigningConfig.from_mapping(settings)
        self.sim.enable_signing(config)
        return config.to_json()

    # -- what happened -------------------------------------------------------------------------------

    def check(self, expect: Mapping[str, Mapping[str, Any] | None] | None = None) -> list[Verdict]:
        """Judge the journal with invariants and return the verdicts; fail with :class:`InvariantFailure` when one
        is violated (each violation listed with its chain of events) — or when one that had to judge something
        did not.

        ``expect`` names the invariants (a scenario-style mapping, ``{"sms_unique": {}}``). Without it: every
        invariant that applies in-process (O1–O8 but ``ledgers_reconcile``, which needs the platform's ledger),
        with the parameters the scenario's ``expect:`` gives. An invariant named — in ``expect`` or in the
        scenario's ``expect:`` — must be *exercised*: one that judged nothing (no loan, message, record of the
        kind it is about) fails the check, since it proves nothing. Of the default set, the check fails only
        when none judged anything.
        """
        from simulator.oracles import INVARIANTS, describe_chain, evaluate

        if expect is not None:
            wanted = dict(expect)
            named = set(wanted)
            why = "named in check()"
        else:
            given = self.scenario.expect if self.scenario is not None else {}
            wanted = {key: given.get(key, {}) for key in INVARIANTS if key != "ledgers_reconcile"}
            named = set(given) & set(wanted)
            why = "expected by the scenario"
        grace = self.sim.bank.config.grace_days if self.sim.bank is not None else 3
        verdicts = evaluate(self.sim.journal, wanted, calendar=self.sim.clock.calendar, end=self.now, grace_days=grace)
        lines = []
        for verdict in verdicts:
            if verdict.violated:
                lines.append(f"{verdict.invariant} {verdict.key}: {len(verdict.violations)} violation(s)")
                for violation in verdict.violations[:5]:
                    lines.append(f"  loan {violation.loan or '-'}: {violation.message}")
                    lines.extend(f"    {line}" for line in describe_chain(self.sim.journal, violation.chain))
        idle = [verdict for verdict in verdicts if not verdict.exercised]
        for verdict in idle:
            if verdict.key in named:
                lines.append(
                    f"{verdict.invariant} {verdict.key}: not exercised — {verdict.reason} (at "
                    f"{self.now.isoformat()}); it is {why}, so it must judge something: drive the platform "
                    "(and the clock) until that happens, or leave it out"
                )
        if verdicts and len(idle) == len(verdicts) and not named:
            lines.append(
                "no invariant judged anything: nothing they look at happened in this test (no payment told with "
                "borrower_repaid(), no SMS, delivery, bureau record or dispute); name the invariants the test is "
                'about, lendsim.check({"sms_unique": {}}), and make them happen'
            )
        if lines:
            raise InvariantFailure("lendsim: invariants not held\n" + "\n".join(lines))
        return verdicts

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

    def borrower_repaid(
        self,
        loan: str,
        amount: str | Decimal,
        *,
        installment: int | None = None,
        paid_at: datetime | None = None,
        due_date: date | str | None = None,
        borrower: str | None = None,
        repay_type: str = "NORMAL_REPAY",
    ) -> None:
        """Tell lendsim that a borrower paid ``amount`` of ``loan`` in the platform's app (at ``paid_at``, now if
        not given): the ``borrowerRepaid`` event a scenario journals for each payment, which invariant O1 judges
        by. Without ``installment`` the payment pays what is due, oldest installment first."""
        try:
            money = Decimal(str(amount)).quantize(CENT)
        except ArithmeticError:
            raise ConfigError(f"amount must be an amount like '1018.00', got {amount!r}", field="amount") from None
        if borrower is None:
            registered = self.sim.journal.last(kind="request", partner="bank", operation="registerLoan", loan=loan)
            borrower = registered.borrower if registered is not None else None
        body: dict[str, Any] = {
            "borrowerId": borrower,
            "loanOuterNo": loan,
            "amount": f"{money:.2f}",
            "repayType": repay_type,
            "paidAt": (paid_at or self.now).isoformat(),
        }
        if installment is not None:
            body["installmentNo"] = installment
        journal_borrower_repaid(self.sim, body, due_date.isoformat() if isinstance(due_date, date) else due_date)


def _load(scenario: str | os.PathLike[str] | Scenario) -> Scenario:
    """A Scenario as given, a catalog name (``"xiaomi-minsheng-2019"``) or the path of a scenario file."""
    if isinstance(scenario, Scenario):
        return scenario
    text = os.fspath(scenario)
    if isinstance(scenario, str) and not text.endswith((".yaml", ".yml")) and "/" not in text and os.sep not in text:
        return load_scenario(str(bundled_scenario(text)))
    if not Path(text).is_file():
        raise ConfigError(
            f"no scenario file {text!r} (looked in {Path(text).resolve().parent}); give a path relative to the "
            f"test file or the working directory, or a catalog name: {', '.join(bundled_scenario_names())}",
            field="scenario",
        )
    return load_scenario(text)


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
