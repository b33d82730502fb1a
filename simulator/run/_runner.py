"""Replay a scenario against a platform: population, borrower actions, clock ticks, faults, then the verdicts.

The run is deterministic for a scenario and seed: every draw (loan terms, who pays late and by how much) comes
from RNGs keyed by the seed and the borrower, so a shard of borrowers replays the same way on its own.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulator.oracles import Verdict, evaluate
from simulator.run._drivers import PlatformDriver, PlatformError
from simulator.scenario import Repayment, Scenario, ScenarioWorld, build_world
from simulator.world import Simulator

__all__ = ["RunResult", "run_scenario"]

DEFAULT_TICK = timedelta(hours=1)


@dataclass
class RunResult:
    """What a run did and what the invariants say about it."""

    scenario: Scenario
    seed: int
    borrowers: int
    sim: Simulator
    verdicts: list[Verdict]
    wall_seconds: float
    events: int
    errors: list[str] = field(default_factory=list)  # the platform failed an operation (each once, with a count)

    @property
    def passed(self) -> bool:
        return all(verdict.held for verdict in self.verdicts)


class _Run:
    def __init__(self, world: ScenarioWorld, driver: PlatformDriver) -> None:
        self.world = world
        self.sim = world.sim
        self.driver = driver
        self.errors: dict[str, int] = {}

    def pay(self, repayment: Repayment) -> None:
        """A borrower pays in the platform's app (which stamps it with its own clock)."""
        body = dict(repayment.body)
        claimed = self.sim.platform_now(repayment.at)
        if claimed != repayment.at:
            body["paidAt"] = claimed.isoformat()
        self._call("borrowerRepay", body)

    def journal_ledger(self, ledger: Mapping[str, Any]) -> None:
        """The platform's ledger (O4), and the state it holds for each repayment if it says (O6)."""
        self.sim.event("platform", "platformLedger", data=ledger)
        for loan in ledger.get("loans") or ():
            repayments = loan.get("repayments") if isinstance(loan, Mapping) else None
            for repayment in repayments if isinstance(repayments, list) else ():
                if not isinstance(repayment, Mapping):
                    continue  # what a platform over HTTP says is not trusted to have the contract's shape
                key = repayment.get("repayOuterNo")
                state = {"repayOuterNo": key, "repayStatus": repayment.get("repayStatus")}
                self.sim.event("platform", "platformRepayStatus", loan=loan.get("loanOuterNo"), serial=key, data=state)

    def _call(self, operation_id: str, body: Any = None) -> Any:
        try:
            return self.driver.call(operation_id, body)
        except PlatformError as exc:
            message = str(exc)
            if message not in self.errors:
                self.sim.event("platform", "platformError", data={"operation": operation_id, "error": message})
            self.errors[message] = self.errors.get(message, 0) + 1
            return None

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
) -> RunResult:
    """Replay ``scenario`` against the platform behind ``driver`` and judge it with the scenario's invariants."""
    with _collector_for_a_long_run():
        return _run_scenario(scenario, driver, seed=seed, borrowers=borrowers, tick=tick, progress=progress)


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
) -> RunResult:
    wall_start = time.perf_counter()
    world = build_world(scenario, seed=seed, borrowers=borrowers)
    run = _Run(world, driver)
    sim = world.sim
    lock: AbstractContextManager[Any] = getattr(driver, "lock", None) or nullcontext()
    with lock:
        partners = driver.start(sim)
        try:
            world.add_faults()
            run._call("setupRun", world.setup_body(partners))
            world.plan(run.pay)
            run.ticks(tick, scenario.end)
            events = 0
            steps = 20
            span = scenario.end - scenario.start
            for step in range(1, steps + 1):
                events += sim.advance(to=scenario.start + span * step / steps)
                if progress is not None:
                    progress(step / steps)
            ledger = run._call("platformLedger")
            run.journal_ledger(ledger if isinstance(ledger, Mapping) else {"loans": []})
        finally:
            driver.stop()
    grace = sim.bank.config.grace_days if sim.bank is not None else 3
    verdicts = evaluate(sim.journal, scenario.expect, calendar=sim.clock.calendar, end=scenario.end, grace_days=grace)
    errors = [f"{message} (×{count})" if count > 1 else message for message, count in run.errors.items()]
    wall = time.perf_counter() - wall_start
    return RunResult(scenario, world.seed, world.size, sim, verdicts, wall, events, errors)
