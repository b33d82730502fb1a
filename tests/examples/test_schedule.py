"""When the bank's schedule cannot be read, the resilient platform books on the one the loan's terms give, and takes
the bank's once it answers: the schedule worked out from the terms is the bank's to the cent, a payment made while
the bank's is unreadable is split as the bank splits it, and one split on a schedule that turns out different
(the bank added a penalty) is split again when the bank's arrives. When a day's reconciliation file never comes,
the bank's split of what it posted that day is taken from its schedule."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from lendsim_examples import Problem, resilient
from lendsim_examples._schedule import EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, contract_schedule
from simulator import Simulator
from simulator.cli import cli
from simulator.run import InProcessDriver, run_scenario
from simulator.scenario import load_scenario
from tests.examples.helpers import Run, at, run_platform
from tests.partners.bank.helpers import loan_body

#: Found by ``lendsim explore --platform resilient`` (seed 2), kept as they were written.
FINDINGS = Path(__file__).parent / "findings"
#: The bank's schedule query dropped from set-up on (and, below, the reconciliation file that would tell the
#: bank's split too): whatever the platform knows of the schedule, it worked out itself.
NO_SCHEDULE = {"at": "bank.repayPlanQuery", "drop": {}}
NO_FILE = {"at": "bank.reconciliationFile", "drop": {}}


def test_the_schedule_the_terms_give_is_the_banks_to_the_cent() -> None:
    sim = Simulator(seed=18, start=at(2, 10), strict=True)
    draw = random.Random(18)
    for index in range(200):
        method = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL)[index % 2]
        principal = Decimal(draw.randint(10_000, 50_000_000)) / 100
        rate = Decimal(f"0.{draw.randint(1, 360_000):06d}")
        term, due_day = draw.randint(1, 60), draw.randint(1, 28)
        disbursed = date(2019, 1, 1) + timedelta(days=draw.randint(0, 700))
        body = loan_body(
            loanOuterNo=f"LN{index:06d}",
            principal=f"{principal:.2f}",
            annualRate=str(rate),
            term=term,
            dueDay=due_day,
            disburseDate=disbursed.isoformat(),
            repayMethod=method,
        )
        answer = sim.call("harness", "bank", "registerLoan", body)
        assert answer.status == 201, answer.body
        banks = [
            (row["installmentNo"], row["dueDate"], row["duePrincipal"], row["dueInterest"])
            for row in answer.json()["schedule"]
        ]

        ours = contract_schedule(principal, rate, term, due_day, disbursed, method)

        assert [
            (no, row.due_date.isoformat(), f"{row.due.principal:.2f}", f"{row.due.interest:.2f}")
            for no, row in ours.items()
        ] == banks, body


@contextmanager
def quiet_days(method: str, *faults: dict[str, object]) -> Iterator[Run]:
    """The example loan (the bank's is ``EQUAL_PRINCIPAL``) from 1 May on, the platform's product ``method``."""
    platform = resilient.create(repay_method=method)
    with run_platform(platform, start=at(5, 1), disbursed="2019-04-10", faults=faults) as run:
        yield run


def test_with_no_schedule_and_no_file_all_along_a_payment_is_still_booked_as_the_bank_books_it() -> None:
    with quiet_days(EQUAL_PRINCIPAL, NO_SCHEDULE, NO_FILE) as run:
        run.repay(1, "1018.00", at(5, 9, 10))
        run.advance(at(5, 20), every=timedelta(hours=1))

        assert run.platform_requests("bank", "repayPlanQuery")  # it kept asking ...
        assert run.platform.loans[next(iter(run.platform.loans))].plan[1].due.principal == Decimal("1000.00")
        assert run.bank_paid()[0] == ("1000.00", "18.00", "0.00", "0.00")  # ... and never needed the answer
        assert run.platform_paid() == run.bank_paid()
        statuses = [row["status"] for row in run.platform.platform_ledger()["loans"][0]["installments"]]
        assert statuses == ["REPAYED", "WAIT_REPAY", "WAIT_REPAY"]


def test_it_asks_again_after_one_two_four_hours_then_once_a_day() -> None:
    with quiet_days(EQUAL_PRINCIPAL, NO_SCHEDULE) as run:
        run.advance(at(5, 5), every=timedelta(minutes=30))

        asked = [e.virtual_time for e in run.sim.journal.iter(kind="request", operation="repayPlanQuery")]
        gaps = [(later - earlier) / timedelta(hours=1) for earlier, later in pairwise(asked)]
        assert gaps == [1, 2, 4, 8, 16, 24, 24]


def test_a_late_payment_split_without_the_penalty_is_split_again_when_the_banks_schedule_arrives() -> None:
    until = {"until": at(5, 16).isoformat()}
    with quiet_days(EQUAL_PRINCIPAL, {**NO_SCHEDULE, **until}, NO_FILE) as run:
        run.advance(at(5, 15, 10), every=timedelta(hours=6))
        owed = run.schedule()[0]  # the harness reads the bank's ledger: the penalty since the grace
        amount = sum(Decimal(owed[name]) for name in ("duePrincipal", "dueInterest", "dueFundPenalty"))
        run.repay(1, f"{amount:.2f}", at(5, 15, 10), repay_type="OVERDUE_REPAY")
        run.advance(at(5, 15, 12), every=timedelta(hours=1))
        before = run.platform_paid()[0]

        run.advance(at(5, 17, 12), every=timedelta(hours=1))

        penalty = owed["dueFundPenalty"]
        assert Decimal(penalty) > 0
        assert before == (f"{Decimal('1000.00') + Decimal(penalty):.2f}", "18.00", "0.00", "0.00")  # all principal
        assert run.bank_paid()[0] == ("1000.00", "18.00", "0.00", penalty)
        assert run.platform_paid() == run.bank_paid()
        assert any("the bank's schedule differs" in text for text in run.platform.breaks)


@pytest.mark.parametrize(
    ("finding", "faults"),
    [
        # the schedule query and the reconciliation file dropped all run: an on-time payment booked all as principal
        ("resilient-no-schedule-ledgers-reconcile", {"bank.repayPlanQuery", "bank.reconciliationFile"}),
        # no file all run, a payment 4 days late at 00:00 without its penalty: the schedule read then showed none,
        # the bank charged 4.04 as it posted and took it first
        ("resilient-no-file-penalty-ledgers-reconcile", {"bank.reconciliationFile"}),
    ],
)
def test_what_explore_found_against_the_resilient_platform_at_seed_2_passes_now(finding: str, faults: set[str]) -> None:
    """Each scenario ``lendsim explore`` found against the resilient platform at seed 2 (docs/benchmarks.md,
    Detection), kept as it was written: replayed as its header says, O4 holds — and the faults it is about fired, so
    the platform never had the bank's split from a file (or a schedule) to go by."""
    path = FINDINGS / f"{finding}.yaml"
    replay = CliRunner().invoke(cli, ["run", str(path), "--platform", "resilient"])

    assert replay.exit_code == 0, replay.output
    assert re.search(r"held\s+O4 ledgers_reconcile\s+1\s+0", replay.output), replay.output
    result = run_scenario(load_scenario(str(path)), InProcessDriver(resilient.create()))
    journal = result.sim.journal
    added = {entry.data["id"]: entry.data["at"] for entry in journal.iter(kind="fault", operation="faultAdded")}
    fired = {added[entry.data["id"]] for entry in journal.iter(kind="fault", operation="faultFired")}
    assert result.passed
    assert faults <= fired


def test_a_rate_that_is_not_a_fraction_is_refused_at_set_up_naming_it() -> None:
    loan = {"loanOuterNo": "LN1", "borrowerId": "B1", "principal": "3000.00", "term": 3, "dueDay": 10}
    body = {
        "runId": "r",
        "start": "2019-05-01T00:00:00+08:00",
        "partners": {name: f"http://127.0.0.1:9/{name}" for name in ("bank", "bureau", "sms")},
        "loans": [{**loan, "disburseDate": "2019-04-10", "annualRate": "7.2%"}],
    }

    with pytest.raises(Problem) as refused:
        resilient.create().setup_run(body)

    assert refused.value.status == 400
    assert "annualRate '7.2%'" in refused.value.detail and "'0.0720'" in refused.value.detail


def test_a_product_method_the_platform_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown repay_method 'BALLOON'; use EQUAL_INSTALLMENT or EQUAL_PRINCIPAL"):
        resilient.create(repay_method="BALLOON")
