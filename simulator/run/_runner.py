"""Replay a scenario against a platform: population, borrower actions, clock ticks, faults, then the verdicts.

The run is deterministic for a scenario and seed: every draw (loan terms, who pays late and by how much) comes
from RNGs keyed by the seed and the borrower, so a shard of borrowers replays the same way on its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from simulator.clock import parse_duration
from simulator.errors import ConfigError
from simulator.oracles import Verdict, evaluate
from simulator.partners.bank import BankConfig
from simulator.partners.bureau import BureauConfig
from simulator.partners.sms import SmsConfig
from simulator.population import Population
from simulator.run._drivers import PlatformDriver, PlatformError
from simulator.scenario import Scenario
from simulator.scenario._model import parse_int_range, parse_money_range, parse_share
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


def _first_due(start: date, due_day: int) -> date:
    if start.day <= due_day:
        return start.replace(day=due_day)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, due_day)


def _month_before(day: date) -> date:
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return date(year, month, min(day.day, 28))


class _Run:
    def __init__(self, scenario: Scenario, driver: PlatformDriver, seed: int, size: int) -> None:
        self.scenario = scenario
        self.driver = driver
        self.seed = seed
        self.size = size
        sms = scenario.sms
        self.sim = Simulator(
            seed=seed,
            start=scenario.start,
            calendar=scenario.calendar,
            bank=BankConfig.from_mapping(scenario.bank),
            bureau=BureauConfig.from_mapping(scenario.bureau),
            sms=SmsConfig(delivery_delay=parse_duration(sms["delivery_delay"])) if "delivery_delay" in sms else None,
            population=Population(
                seed,
                size,
                as_of=scenario.start.date(),
                recycled_share=parse_share(scenario.population.get("recycled_phones", 0)),
            ),
        )
        self.errors: dict[str, int] = {}

    # -- set-up --------------------------------------------------------------------------------

    def loans(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Register every borrower's loan at the bank; return (borrowers, loans for the platform, schedules)."""
        spec = self.scenario.population.get("loan", {})
        low, high = parse_money_range(spec.get("principal", "1000..20000"))
        terms = parse_int_range(spec.get("term", 3))
        due_days = parse_int_range(spec.get("due_day", "1..28"))
        rate = str(spec.get("annual_rate", "0.0720"))
        population = self.sim.population
        assert population is not None
        borrowers, loans, schedules = [], [], []
        for index in range(self.size):
            person = population.borrower(index)
            rng = random.Random(f"{self.seed}:loan:{index}")
            principal = Decimal(rng.randint(int(low), int(high)))
            term = rng.randint(terms.low, terms.high)
            due_day = rng.randint(due_days.low, due_days.high)
            first_due = _first_due(self.scenario.start.date(), due_day)
            loan_no = f"LN{self.seed % 100000:05d}{index:07d}"
            body = {
                "loanOuterNo": loan_no,
                "borrowerId": person.borrower_id,
                "creditContractNo": f"CC{self.seed % 100000:05d}{index:07d}",
                "principal": f"{principal:.2f}",
                "annualRate": rate,
                "term": term,
                "dueDay": due_day,
                "disburseDate": _month_before(first_due).isoformat(),
                "repayMethod": "EQUAL_INSTALLMENT",
                "name": person.name,
                "certType": "ID_CARD",
                "certNo": person.id_number,
                "phone": person.phone,
            }
            response = self.sim.call("harness", "bank", "registerLoan", body)
            if response.status not in (200, 201):
                raise ConfigError(f"the bank refused loan {loan_no} ({response.status}): {response.body[:300]!r}")
            schedule = response.json()["schedule"]
            borrowers.append(
                {
                    "borrowerId": person.borrower_id,
                    "name": person.name,
                    "certNo": person.id_number,
                    "phone": person.phone,
                    "bankCardNo": person.card,
                }
            )
            loans.append(
                {
                    k: body[k]
                    for k in ("loanOuterNo", "borrowerId", "principal", "term", "dueDay", "disburseDate", "annualRate")
                }
            )
            schedules.append({"loan": loan_no, "borrower": person.borrower_id, "installments": schedule})
        return borrowers, loans, schedules

    def plan_repayments(self, schedules: list[dict[str, Any]]) -> int:
        """Schedule each borrower's repayments in the app: on time, or late by a drawn number of days."""
        behaviour = self.scenario.borrowers
        on_time = parse_share(behaviour.get("on_time", 1))
        late = parse_int_range(behaviour.get("late_days", "1..10"))
        pay_at = time_of_day.fromisoformat(str(behaviour.get("pay_at", "10:00")))
        calendar = self.sim.clock.calendar
        end = self.scenario.end
        planned = 0
        for index, loan in enumerate(schedules):
            rng = random.Random(f"{self.seed}:pay:{index}")
            for installment in loan["installments"]:
                due = date.fromisoformat(installment["dueDate"])
                day = due if rng.random() < on_time else due + timedelta(days=rng.randint(late.low, late.high))
                when = calendar.at(day, pay_at)
                if not self.scenario.start <= when < end:
                    continue
                amount = sum(Decimal(installment[key]) for key in ("duePrincipal", "dueInterest", "dueCharge"))
                body = {
                    "borrowerId": loan["borrower"],
                    "loanOuterNo": loan["loan"],
                    "amount": f"{amount:.2f}",
                    "installmentNo": installment["installmentNo"],
                    "repayType": "NORMAL_REPAY" if day <= due else "OVERDUE_REPAY",
                    "paidAt": when.isoformat(),
                }
                self.sim.clock.schedule(
                    when, self._repay(body, installment["dueDate"]), name="borrower repays", borrower=loan["borrower"]
                )
                planned += 1
        return planned

    def _repay(self, body: dict[str, Any], due_date: str) -> Callable[[], None]:
        def repay() -> None:
            self.sim.event(
                "platform",
                "borrowerRepaid",
                borrower=body["borrowerId"],
                loan=body["loanOuterNo"],
                data={
                    "installmentNo": body["installmentNo"],
                    "amount": body["amount"],
                    "paidAt": body["paidAt"],
                    "dueDate": due_date,
                },
            )
            self._call("borrowerRepay", body)

        return repay

    def _call(self, operation_id: str, body: Any = None) -> Any:
        try:
            return self.driver.call(operation_id, body)
        except PlatformError as exc:
            message = str(exc)
            if message not in self.errors:
                self.sim.event("platform", "platformError", data={"operation": operation_id, "error": message})
            self.errors[message] = self.errors.get(message, 0) + 1
            return None

    def ticks(self, every: timedelta) -> None:
        def tick() -> None:
            self._call("tick", {"now": self.sim.clock.now().isoformat()})
            if self.sim.clock.now() + every < self.scenario.end:
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
    wall_start = time.perf_counter()
    run_seed = scenario.seed if seed is None else seed
    size = borrowers if borrowers is not None else int(scenario.population.get("borrowers", 100))
    run = _Run(scenario, driver, run_seed, size)
    sim = run.sim
    lock: AbstractContextManager[Any] = getattr(driver, "lock", None) or nullcontext()
    with lock:
        partners = driver.start(sim)
        try:
            people, loans, schedules = run.loans()
            for fault in scenario.faults:
                sim.add_fault(fault)
            run._call(
                "setupRun",
                {
                    "runId": f"{scenario.name}-{run_seed}",
                    "start": scenario.start.isoformat(),
                    "partners": dict(partners),
                    "borrowers": people,
                    "loans": loans,
                    "timezone": sim.clock.calendar.name,
                },
            )
            run.plan_repayments(schedules)
            run.ticks(tick)
            events = 0
            steps = 20
            span = scenario.end - scenario.start
            for step in range(1, steps + 1):
                events += sim.advance(to=scenario.start + span * step / steps)
                if progress is not None:
                    progress(step / steps)
            ledger = run._call("platformLedger")
            sim.event("platform", "platformLedger", data=ledger if isinstance(ledger, Mapping) else {"loans": []})
        finally:
            driver.stop()
    grace = sim.bank.config.grace_days if sim.bank is not None else 3
    verdicts = evaluate(sim.journal, scenario.expect, calendar=sim.clock.calendar, end=scenario.end, grace_days=grace)
    errors = [f"{message} (×{count})" if count > 1 else message for message, count in run.errors.items()]
    return RunResult(scenario, run_seed, size, sim, verdicts, time.perf_counter() - wall_start, events, errors)
