"""Replay a scenario against a platform: population, borrower actions, clock ticks, faults, then the verdicts.

The run is deterministic for a scenario and seed: every draw (loan terms, who pays late and by how much) comes
from RNGs keyed by the seed and the borrower, so a shard of borrowers replays the same way on its own.

A run ends one of three ways (:attr:`RunResult.status`): **passed** — every invariant the scenario expects
was exercised and held; **failed** — one was violated or not exercised (or the scenario expects none);
**error** — the platform failed a call of the harness (:class:`~simulator.errors.PlatformError`: not reachable,
set-up refused, a tick, a borrower's payment or the ledger answered with an error). The run stops at the
first such error: nothing after it would be the scenario's doing, so no invariant is judged.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from simulator.clock import format_duration
from simulator.errors import PlatformError
from simulator.journal import Journal
from simulator.oracles import Verdict, evaluate
from simulator.run._drivers import PlatformDriver
from simulator.run._instants import DEFAULT_CONCURRENCY, ConcurrentInstants
from simulator.run._timeouts import declared_timeouts
from simulator.scenario import WHOLE, Repayment, Scenario, ScenarioWorld, Shard, build_world
from simulator.world import Simulator

__all__ = ["RunResult", "Status", "run_scenario"]

DEFAULT_TICK = timedelta(hours=1)

Status = Literal["passed", "failed", "error"]
#: ``lendsim run``'s exit code for each status.
EXIT_CODES: dict[Status, int] = {"passed": 0, "failed": 1, "error": 2}


@dataclass
class RunResult:
    """What a run did and what the invariants say about it (no verdicts when it ended in ``error``)."""

    scenario: Scenario
    seed: int
    borrowers: int
    sim: Simulator
    verdicts: list[Verdict]
    wall_seconds: float
    events: int
    error: PlatformError | None = None  # the platform failed a call of the harness: the run stopped there

    @property
    def status(self) -> Status:
        """``error`` if the platform failed the harness; ``passed`` if every expected invariant was exercised and
        held; else ``failed`` (one violated or not exercised, or no invariant expected at all)."""
        if self.error is not None:
            return "error"
        if self.verdicts and all(verdict.held for verdict in self.verdicts):
            return "passed"
        return "failed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


class _Run:
    def __init__(self, world: ScenarioWorld, driver: PlatformDriver) -> None:
        self.world = world
        self.sim = world.sim
        self.driver = driver

    def pay(self, repayment: Repayment) -> None:
        """A borrower pays in the platform's app (which stamps it with its own clock)."""
        body = dict(repayment.body)
        claimed = self.sim.platform_now(repayment.at)
        if claimed != repayment.at:
            body["paidAt"] = claimed.isoformat()
        self._call("borrowerRepay", body)

    def journal_ledger(self, ledger: Mapping[str, Any]) -> None:
        """The platform's ledger (O4), one entry per loan it names (a big run's ledger is never one entry that a
        merge or a reader must hold whole), and the state it holds for each repayment if it says (O6)."""
        loans = ledger.get("loans")
        listed: list[Any] = loans if isinstance(loans, list) else []
        named = [loan for loan in listed if _named(loan)]
        rest = {**ledger, "loans": [loan for loan in listed if not _named(loan)]} if named else ledger
        if not named or len(rest) > 1 or rest["loans"]:  # what names no loan, or an empty ledger: as it came
            self.sim.event("platform", "platformLedger", data=rest)
        for loan in named:
            self.sim.event("platform", "platformLedger", loan=loan["loanOuterNo"], data={"loans": [loan]})
        for loan in ledger.get("loans") or ():
            repayments = loan.get("repayments") if isinstance(loan, Mapping) else None
            for repayment in repayments if isinstance(repayments, list) else ():
                if not isinstance(repayment, Mapping):
                    continue  # what a platform over HTTP says is not trusted to have the contract's shape
                key = repayment.get("repayOuterNo")
                state = {"repayOuterNo": key, "repayStatus": repayment.get("repayStatus")}
                self.sim.event("platform", "platformRepayStatus", loan=loan.get("loanOuterNo"), serial=key, data=state)

    def _call(self, operation_id: str, body: Any = None) -> Any:
        """A call of the harness; a :class:`PlatformError` stops the run (it propagates out of the clock)."""
        return self.driver.call(operation_id, body)

    def set_up(self, partners: Mapping[str, str]) -> None:
        """setupRun, and the client timeouts the platform declares in its answer (journaled; over HTTP they decide
        which latency is a timeout)."""
        answer = self._call("setupRun", self.world.setup_body(partners))
        declared = declared_timeouts(answer, self.sim.contracts)
        timeouts = getattr(self.driver, "client_timeouts", None)
        if timeouts is not None:
            timeouts.declare(declared)
            data = timeouts.to_json()
        else:  # in-process the platform's httpx clients say their own timeouts on every request
            data = {"declared": {partner: format_duration(value) for partner, value in sorted(declared.items())}}
        self.sim.event("platform", "clientTimeouts", data=data)

    def ticks(self, every: timedelta, end: datetime) -> None:
        def tick() -> None:
            self._call("tick", {"now": self.sim.platform_now().isoformat()})
            if self.sim.clock.now() + every < end:
                self.sim.clock.schedule_in(every, tick, name="tick")

        self.sim.clock.schedule_in(every, tick, name="tick")


def run_scenario(
    scenario: Scenario,
    driver: PlatformDriver,
    *,
    seed: int | None = None,
    borrowers: int | None = None,
    tick: timedelta = DEFAULT_TICK,
    progress: Callable[[float], None] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    journal: Journal | None = None,
    shard: Shard = WHOLE,
) -> RunResult:
    """Replay ``scenario`` against the platform behind ``driver`` and judge it with the scenario's invariants.

    ``journal``: the empty journal the run writes to (a new one in memory by default), for a caller that keeps it
    in a file, stamps its entries with the wall clock, or needs what a run stopped by a signal had done.

    ``shard``: replay only that shard's borrowers (all of them by default), and judge nothing: a shard's journal is
    judged merged with the others' (``simulator.run._shards``), so its result has no verdicts.

    Over HTTP the events of one virtual instant go to the platform at once, ``concurrency`` at most (different
    borrowers' work; a tick or a batch alone): 1 sends one request at a time. In-process they run one after
    another whatever ``concurrency`` says (nothing waits on a network there).
    """
    with _collector_for_a_long_run():
        return _run_scenario(
            scenario,
            driver,
            seed=seed,
            borrowers=borrowers,
            tick=tick,
            progress=progress,
            concurrency=concurrency,
            journal=journal,
            shard=shard,
        )


def _instants(driver: PlatformDriver, concurrency: int) -> ConcurrentInstants | None:
    """How an instant's events run: at once for a driver that waits on a network (it has a lock and releases it
    while it waits), one after another otherwise (None: the clock runs them)."""
    lock, released = getattr(driver, "lock", None), getattr(driver, "released", None)
    if concurrency <= 1 or lock is None or released is None:
        return None
    return ConcurrentInstants(lock, released, concurrency)


@contextmanager
def _collector_for_a_long_run() -> Iterator[None]:
    """Fewer young-generation collections while the world grows (it only grows during a run): ~5 % of a
    replay's CPU time (docs/benchmarks.md). The thresholds come back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run_scenario(
    scenario: Scenario,
    driver: PlatformDriver,
    *,
    seed: int | None,
    borrowers: int | None,
    tick: timedelta,
    progress: Callable[[float], None] | None,
    concurrency: int,
    journal: Journal | None,
    shard: Shard,
) -> RunResult:
    wall_start = time.perf_counter()
    world = build_world(scenario, seed=seed, borrowers=borrowers, journal=journal, shard=shard)
    run = _Run(world, driver)
    sim = world.sim
    lock: AbstractContextManager[Any] = getattr(driver, "lock", None) or nullcontext()
    instants = _instants(driver, concurrency)
    events = 0
    try:
        with lock:
            partners = driver.start(sim)
            try:
                world.add_faults()
                run.set_up(partners)
                world.plan(run.pay)
                run.ticks(tick, scenario.end)
                steps = 20
                span = scenario.end - scenario.start
                for step in range(1, steps + 1):
                    events += sim.advance(to=scenario.start + span * step / steps, run=instants)
                    if progress is not None:
                        progress(step / steps)
                ledger = run._call("platformLedger")
                run.journal_ledger(ledger if isinstance(ledger, Mapping) else {"loans": []})
            finally:
                if instants is not None:
                    instants.close()
                driver.stop()
    except PlatformError as exc:
        sim.event("platform", "platformError", data={"operation": exc.operation, "error": str(exc)})
        wall = time.perf_counter() - wall_start
        return RunResult(scenario, world.seed, world.size, sim, [], wall, events, exc)
    if shard.count > 1:  # judged with the other shards, once their journals are merged
        return RunResult(scenario, world.seed, world.size, sim, [], time.perf_counter() - wall_start, events)
    grace = sim.bank.config.grace_days if sim.bank is not None else 3
    verdicts = evaluate(sim.journal, scenario.expect, calendar=sim.clock.calendar, end=scenario.end, grace_days=grace)
    wall = time.perf_counter() - wall_start
    return RunResult(scenario, world.seed, world.size, sim, verdicts, wall, events)


def _named(loan: Any) -> bool:
    """A ledger's loan with a number of its own (what a platform over HTTP says is not trusted to have one)."""
    return isinstance(loan, Mapping) and isinstance(loan.get("loanOuterNo"), str) and bool(loan["loanOuterNo"])
