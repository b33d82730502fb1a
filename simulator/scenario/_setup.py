"""A scenario's world: the simulator configured as the scenario says, its borrowers' loans registered at the
bank, the fault timeline, and the borrowers' actions planned on the virtual clock.

The runner and the pytest plugin build worlds the same way; only what receives a borrower's payment differs
(the platform under test, through a driver or the test's own code). Every draw (loan terms, who pays late,
early, in part, who disputes) comes from RNGs keyed by the seed and the borrower, so a shard of borrowers
replays the same way on its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any, Final

from simulator.clock import parse_duration
from simulator.core import SigningConfig
from simulator.domain import CENT, ZERO
from simulator.errors import ConfigError
from simulator.journal import Journal
from simulator.partners.bank import BankConfig
from simulator.partners.bureau import BureauConfig, is_negative
from simulator.partners.sms import SmsConfig
from simulator.population import Population
from simulator.scenario._events import journal_borrower_repaid
from simulator.scenario._model import Scenario, parse_int_range, parse_money_range, parse_share
from simulator.world import Simulator

__all__ = ["Repayment", "ScenarioWorld", "Shard", "build_world"]

DEFAULT_BORROWERS = 100
#: When borrowers who dispute look at their credit report (local time, each day).
LOOK_AT = time_of_day(9, 0)


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``: the run's world for a contiguous slice of its borrowers.

    Borrower ``i`` is the same person, with the same loan and the same behaviour, in whichever shard holds them
    (every draw is keyed by the seed and ``i``); a shard registers, and tells the platform of, only its own. What
    a shard mints carries its :attr:`prefix` (``s2-``), and it tells the platform a ``runId`` of its own, so the
    journals of a run's shards meet in one without two things named alike. One shard of one is the whole run,
    unmarked."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ConfigError(f"shard {self.index} of {self.count} does not exist; shards are 0 to {self.count - 1}")

    def borrowers(self, size: int) -> range:
        """The borrowers (by index) of this shard of a population of ``size``: a contiguous slice, the slices of
        the ``count`` shards as even as can be (sizes differ by one at most)."""
        if self.count > size:
            raise ConfigError(
                f"{self.count} shards for {size} borrower{'s' if size != 1 else ''}: give each shard one at least "
                f"(--shards {size} or fewer, or more --borrowers)",
                field="shards",
            )
        return range(size * self.index // self.count, size * (self.index + 1) // self.count)

    @property
    def prefix(self) -> str:
        """What starts every id this shard's world mints (``s2-``; nothing for a run of one shard)."""
        return "" if self.count == 1 else f"s{self.index + 1}-"

    def __str__(self) -> str:
        return f"shard {self.index + 1} of {self.count}"


WHOLE: Final = Shard()


@dataclass(frozen=True, slots=True)
class Repayment:
    """A borrower paying in the platform's app: the ``borrowerRepay`` body and when it happens.

    Planned repayments carry no amount yet: the borrower pays what the app shows as owed when they pay
    (penalties accrued by then included), or a ``portion`` of it for the first part of a partial repayment,
    or the bank's settlement quote. :meth:`ScenarioWorld.plan` hands ``pay`` the body with the amount.
    """

    at: datetime
    body: Mapping[str, Any]
    due_date: str | None  # the installment's due date (None for an early settlement)
    portion: Decimal | None = None  # the first part of a partial repayment: this share of what is owed

    @property
    def settles(self) -> bool:
        return bool(self.body["repayType"] == "EARLY_SETTLE")


@dataclass
class ScenarioWorld:
    """The simulator for one run of a scenario, its borrowers and loans as the platform is told of them."""

    scenario: Scenario
    seed: int
    size: int
    sim: Simulator
    shard: Shard = WHOLE
    borrowers: list[dict[str, Any]] = field(default_factory=list)  # setupRun's borrowers
    loans: list[dict[str, Any]] = field(default_factory=list)  # setupRun's loans
    schedules: list[dict[str, Any]] = field(default_factory=list)  # per loan: borrower, installments
    _paid: dict[tuple[str, int], Decimal] = field(default_factory=dict, repr=False)  # by the borrowers, in the app

    def setup_body(self, partners: Mapping[str, str]) -> dict[str, Any]:
        """What ``setupRun`` tells the platform: the run, where the partners are, the borrowers and their loans."""
        run_id = f"{self.scenario.name}-{self.seed}"
        body = {
            "runId": run_id if self.shard.count == 1 else f"{run_id}-{self.shard.prefix.rstrip('-')}",
            "start": self.scenario.start.isoformat(),
            "partners": dict(partners),
            "borrowers": self.borrowers,
            "loans": self.loans,
            "timezone": self.sim.clock.calendar.name,
        }
        if self.sim.signing is not None:  # the platform's key to sign with, the bank's keys to verify with
            body["signing"] = self.sim.signing.to_json()
        return body

    def add_faults(self) -> None:
        """Put the scenario's fault timeline in place (after set-up, so registering loans is never faulted)."""
        for fault in self.scenario.faults:
            self.sim.add_fault(fault)

    # -- borrowers' actions ----------------------------------------------------------------------------

    def repayments(self) -> list[Repayment]:
        """Every payment the scenario's borrowers make within the run, in the order of the loans.

        Per installment a borrower pays on the due date (``on_time``) or late by a drawn number of days; a
        share pay part of it first (``partial``: 30–70 % on the day, the rest within the grace days), and a
        share settle the whole loan early (``early``: a few days before an installment falls due).
        """
        behaviour = self.scenario.borrowers
        on_time = parse_share(behaviour.get("on_time", 1))
        early = parse_share(behaviour.get("early", 0))
        partial = parse_share(behaviour.get("partial", 0))
        late = parse_int_range(behaviour.get("late_days", "1..10"))
        pay_at = time_of_day.fromisoformat(str(behaviour.get("pay_at", "10:00")))
        grace = self.sim.bank.config.grace_days if self.sim.bank is not None else 3
        calendar = self.sim.clock.calendar
        start, end = self.scenario.start, self.scenario.end
        planned: list[Repayment] = []
        for loan in self.schedules:
            rng = random.Random(f"{self.seed}:pay:{loan['index']}")
            settles = rng.random() < early
            for installment in loan["installments"]:
                due = date.fromisoformat(installment["dueDate"])
                if settles:
                    day = due - timedelta(days=rng.randint(1, 10))
                    when = calendar.at(day, pay_at)
                    if start <= when < end:
                        planned.append(_settlement(loan, when))
                        break
                day = due if rng.random() < on_time else due + timedelta(days=rng.randint(late.low, late.high))
                parts: list[tuple[date, Decimal | None]] = [(day, None)]
                if rng.random() < partial:
                    portion = Decimal(rng.randint(30, 70)) / 100
                    parts = [(day, portion), (day + timedelta(days=rng.randint(0, grace)), None)]
                for when_day, share in parts:
                    when = calendar.at(when_day, pay_at)
                    if start <= when < end:
                        kind = "NORMAL_REPAY" if when_day <= due else "OVERDUE_REPAY"
                        planned.append(_repayment(loan, installment, share, kind, when))
        return planned

    def plan(self, pay: Callable[[Repayment], None]) -> int:
        """Schedule the borrowers' payments (each journaled as ``borrowerRepaid``, then handed to ``pay``) and
        disputes on the clock; returns how many payments were planned."""
        planned = self.repayments()
        for repayment in planned:
            self.sim.clock.schedule(
                repayment.at, self._repay(repayment, pay), name="borrower repays", borrower=repayment.body["borrowerId"]
            )
        share = parse_share(self.scenario.borrowers.get("disputes", 0))
        if share:
            self._disputes(share)
        return len(planned)

    def _repay(self, repayment: Repayment, pay: Callable[[Repayment], None]) -> Callable[[], None]:
        def repay() -> None:
            amount = self._amount(repayment)
            if amount is None or amount <= ZERO:
                return  # nothing owed any more: the borrower has nothing to pay
            body = {**repayment.body, "amount": f"{amount:.2f}"}
            if not repayment.settles:
                key = (body["loanOuterNo"], body["installmentNo"])
                self._paid[key] = self._paid.get(key, ZERO) + amount
            journal_borrower_repaid(self.sim, body, repayment.due_date)
            pay(Repayment(repayment.at, body, repayment.due_date))

        return repay

    def _amount(self, repayment: Repayment) -> Decimal | None:
        """What the app shows the borrower as owed now: the bank's balance of the installment less what the
        borrower paid that has not reached the bank's books yet (or the settlement quote)."""
        bank = self.sim.bank
        if bank is None:
            return None
        loan = repayment.body["loanOuterNo"]
        if repayment.settles:
            return bank.settlement_quote(loan, repayment.at)
        no = int(repayment.body["installmentNo"])
        balance = bank.installment_balance(loan, no)
        if balance is None:
            return None
        owed, posted = balance
        in_flight = max(self._paid.get((loan, no), ZERO) - posted, ZERO)
        amount = owed - in_flight
        if repayment.portion is not None:
            amount = (amount * repayment.portion).quantize(CENT)
        return amount

    def _disputes(self, share: float) -> None:
        """Each morning, borrowers look at what the bureau loaded since yesterday; a drawn share of those with a
        negative month file a dispute (异议) about it at the bureau, once per loan and month."""
        people = {person["borrowerId"]: person for person in self.borrowers}
        owner = {loan["loanOuterNo"]: loan["borrowerId"] for loan in self.loans}
        disputed: set[tuple[str, str]] = set()
        seen = 0
        calendar = self.sim.clock.calendar

        def look() -> None:
            nonlocal seen
            for entry in self.sim.journal.iter(kind="event", partner="bureau", operation="recordLoaded", after=seen):
                seen = entry.seq
                data = entry.data
                loan, month = entry.loan or "", str(data.get("Month") or "")
                if loan not in owner or not month or not is_negative(data.get("segment")) or (loan, month) in disputed:
                    continue
                if random.Random(f"{self.seed}:dispute:{loan}").random() >= share:
                    continue
                disputed.add((loan, month))
                person = people[owner[loan]]
                body = {
                    "IDType": "10",
                    "IDNum": person["certNo"],
                    "Name": person["name"],
                    "AcctCode": loan,
                    "Month": month,
                    "reason": "我已按时还款，不存在逾期。",
                    "channel": "BUREAU",
                }
                self.sim.call("borrower", "bureau", "fileDispute", body, borrower=owner[loan], loan=loan)
            tomorrow = calendar.local_date(self.sim.clock.now()) + timedelta(days=1)
            if calendar.at(tomorrow, LOOK_AT) < self.scenario.end:
                self.sim.clock.schedule(calendar.at(tomorrow, LOOK_AT), look, name="borrowers look at the bureau")

        first = calendar.at(self.scenario.start.date(), LOOK_AT)
        self.sim.clock.schedule(
            first if first >= self.scenario.start else first + timedelta(days=1),
            look,
            name="borrowers look at the bureau",
        )


def _repayment(
    loan: Mapping[str, Any], installment: Mapping[str, Any], portion: Decimal | None, kind: str, when: datetime
) -> Repayment:
    body = {
        "borrowerId": loan["borrower"],
        "loanOuterNo": loan["loan"],
        "amount": "0.00",  # what the app shows as owed when the borrower pays
        "installmentNo": installment["installmentNo"],
        "repayType": kind,
        "paidAt": when.isoformat(),
    }
    return Repayment(when, body, installment["dueDate"], portion)


def _settlement(loan: Mapping[str, Any], when: datetime) -> Repayment:
    body = {
        "borrowerId": loan["borrower"],
        "loanOuterNo": loan["loan"],
        "amount": "0.00",  # the bank's settlement quote when the borrower pays
        "repayType": "EARLY_SETTLE",
        "paidAt": when.isoformat(),
    }
    return Repayment(when, body, None)


def _first_due(start: date, due_day: int) -> date:
    if start.day <= due_day:
        return start.replace(day=due_day)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, due_day)


def _month_before(day: date) -> date:
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return date(year, month, min(day.day, 28))


def build_world(
    scenario: Scenario,
    *,
    seed: int | None = None,
    borrowers: int | None = None,
    strict: bool = False,
    journal: Journal | None = None,
    shard: Shard = WHOLE,
) -> ScenarioWorld:
    """The simulator configured by ``scenario`` with every borrower's loan registered at the bank (no faults
    yet: :meth:`ScenarioWorld.add_faults` puts them in place). ``journal``: the (empty) journal the run writes
    to; a new one in memory by default. ``shard``: the part of the population this world holds (all of it by
    default); its slice of the borrowers is registered, the others are the other shards'."""
    run_seed = scenario.seed if seed is None else seed
    size = borrowers if borrowers is not None else int(scenario.population.get("borrowers", DEFAULT_BORROWERS))
    if size < 1:
        raise ConfigError(f"a run needs at least one borrower, got {size}", field="borrowers")
    shard.borrowers(size)  # a ConfigError if there are more shards than borrowers
    sms = scenario.sms
    sim = Simulator(
        seed=run_seed,
        start=scenario.start,
        calendar=scenario.calendar,
        strict=strict,
        journal=journal,
        id_prefix=shard.prefix,
        bank=BankConfig.from_mapping(scenario.bank),
        bureau=BureauConfig.from_mapping(scenario.bureau),
        sms=SmsConfig(delivery_delay=parse_duration(sms["delivery_delay"])) if "delivery_delay" in sms else None,
        population=Population(
            run_seed,
            size,
            as_of=scenario.start.date(),
            recycled_share=parse_share(scenario.population.get("recycled_phones", 0)),
        ),
    )
    world = ScenarioWorld(scenario, run_seed, size, sim, shard)
    _register_loans(world)
    if scenario.signing is not None:  # after the harness registered the loans (the harness does not sign)
        sim.enable_signing(SigningConfig.from_mapping(scenario.signing))
    return world


def _register_loans(world: ScenarioWorld) -> None:
    spec = world.scenario.population.get("loan", {})
    low, high = parse_money_range(spec.get("principal", "1000..20000"))
    terms = parse_int_range(spec.get("term", 3))
    due_days = parse_int_range(spec.get("due_day", "1..28"))
    rate = str(spec.get("annual_rate", "0.0720"))
    sim, seed = world.sim, world.seed
    population = sim.population
    assert population is not None
    for index in world.shard.borrowers(world.size):
        person = population.borrower(index)
        rng = random.Random(f"{seed}:loan:{index}")
        principal = Decimal(rng.randint(int(low), int(high)))
        term = rng.randint(terms.low, terms.high)
        due_day = rng.randint(due_days.low, due_days.high)
        first_due = _first_due(world.scenario.start.date(), due_day)
        loan_no = f"LN{seed % 100000:05d}{index:07d}"
        body = {
            "loanOuterNo": loan_no,
            "borrowerId": person.borrower_id,
            "creditContractNo": f"CC{seed % 100000:05d}{index:07d}",
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
        response = sim.call("harness", "bank", "registerLoan", body)
        if response.status not in (200, 201):
            raise ConfigError(f"the bank refused loan {loan_no} ({response.status}): {response.body[:300]!r}")
        world.borrowers.append(
            {
                "borrowerId": person.borrower_id,
                "name": person.name,
                "certNo": person.id_number,
                "phone": person.phone,
                "bankCardNo": person.card,
            }
        )
        world.loans.append(
            {
                k: body[k]
                for k in ("loanOuterNo", "borrowerId", "principal", "term", "dueDay", "disburseDate", "annualRate")
            }
        )
        world.schedules.append(
            {
                "loan": loan_no,
                "borrower": person.borrower_id,
                "index": index,
                "installments": response.json()["schedule"],
            }
        )
