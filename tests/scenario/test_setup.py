"""A scenario's world: the simulator configured as the scenario says, loans registered, and the borrowers'
actions — on time or late, in part, settling early, disputing — planned on the virtual clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.scenario import Repayment, ScenarioWorld, build_scenario, build_world

BASE: dict[str, Any] = {
    "name": "world-check",
    "seed": 4,
    "start": "2019-05-01",
    "duration": "45 days",
    "population": {"borrowers": 20, "loan": {"principal": "1000..2000", "term": 2, "due_day": 10}},
    "borrowers": {"on_time": "100%", "pay_at": "10:00"},
    "expect": {"ledgers_reconcile": {}},
}


def world(**borrowers: Any) -> ScenarioWorld:
    return build_world(build_scenario({**BASE, "borrowers": {**BASE["borrowers"], **borrowers}}))


def forward_to_the_bank(world: ScenarioWorld) -> list[Repayment]:
    """Each payment goes straight to the bank (the platform's part played by the test), and is kept."""
    paid: list[Repayment] = []

    def pay(repayment: Repayment) -> None:
        paid.append(repayment)
        body = repayment.body
        amount = body["amount"]
        lines = [
            {
                "installmentNo": body.get("installmentNo", 1),
                "paidPrincipal": amount,
                "paidInterest": "0.00",
                "paidFee": "0.00",
            }
        ]
        world.sim.call(
            "platform",
            "bank",
            "repayApply",
            {
                "reqNo": f"RQ{len(paid):04d}",
                "repayOuterNo": f"RP{len(paid):04d}",
                "loanOuterNo": body["loanOuterNo"],
                "repayAmount": amount,
                "repayMode": "PARTNER_COLLECT",
                "repayType": body["repayType"],
                "actualRepayDate": body["paidAt"],
                "repayList": lines,
            },
        )

    world.plan(pay)
    return paid


def test_every_borrower_has_a_registered_loan_and_is_told_to_the_platform() -> None:
    made = world()

    assert len(made.borrowers) == len(made.loans) == 20
    assert made.sim.bank is not None and len(made.sim.bank.state.accounts) == 20
    assert made.setup_body({"bank": "http://bank"})["runId"] == "world-check-4"


def test_on_time_borrowers_pay_each_installment_in_full_on_its_due_date() -> None:
    made = world()
    paid = forward_to_the_bank(made)
    made.sim.advance(to=made.scenario.end)

    assert len(paid) == 40
    assert {p.at.date().day for p in paid} == {10}
    assert all(p.body["repayType"] == "NORMAL_REPAY" for p in paid)
    bank = made.sim.bank
    assert bank is not None
    assert {bank.installment_balance(loan["loanOuterNo"], 2)[0] for loan in made.loans} == {Decimal("0.00")}  # type: ignore[index]


def test_partial_payers_pay_part_first_and_the_rest_within_grace_adding_up_to_what_was_owed() -> None:
    made = world(partial="100%")
    paid = forward_to_the_bank(made)
    made.sim.advance(to=made.scenario.end)

    first = [p for p in paid if p.body["installmentNo"] == 1 and p.body["loanOuterNo"] == made.loans[0]["loanOuterNo"]]
    owed = sum(Decimal(made.schedules[0]["installments"][0][k]) for k in ("duePrincipal", "dueInterest"))
    assert len(first) == 2
    assert Decimal("0.3") * owed <= Decimal(first[0].body["amount"]) <= Decimal("0.7") * owed
    assert sum(Decimal(p.body["amount"]) for p in first) == owed
    events = list(made.sim.journal.iter(kind="event", operation="borrowerRepaid"))
    assert len(events) == len(paid)


def test_early_settlers_pay_the_banks_quote_once_and_the_loan_is_settled() -> None:
    made = world(early="100%")
    paid = forward_to_the_bank(made)
    made.sim.advance(to=made.scenario.end)

    settlements = [p for p in paid if p.body["repayType"] == "EARLY_SETTLE"]
    settlers = {p.body["loanOuterNo"] for p in settlements}
    assert len(settlers) == len(settlements) == 20  # once each, a few days before an installment falls due
    last = {p.body["loanOuterNo"]: p for p in paid}
    assert all(last[loan].body["repayType"] == "EARLY_SETTLE" for loan in settlers)
    settled = {e.loan for e in made.sim.journal.iter(kind="event", operation="loanSettled")}
    assert settled == settlers


def test_borrowers_who_dispute_file_one_dispute_per_negative_month_at_the_bureau() -> None:
    made = world(on_time="0%", late_days="30..30", disputes="100%")
    forward_to_the_bank(made)
    made.sim.advance(to=made.scenario.end)

    filed = [e for e in made.sim.journal.iter(kind="request", operation="fileDispute")]
    assert filed and all(e.data["headers"]["x-lendsim-source"] == "borrower" for e in filed)
    assert len({(e.loan, e.data["body"]["Month"]) for e in filed}) == len(filed)
    assert made.sim.journal.count(kind="event", operation="disputeFiled") == len(filed)


def test_the_same_seed_plans_the_same_payments() -> None:
    def plan() -> list[tuple[str, str]]:
        made = world(partial="30%", early="10%", on_time="80%")
        paid = forward_to_the_bank(made)
        made.sim.advance(to=made.scenario.end)
        return [(p.at.isoformat(), p.body["amount"]) for p in paid]

    assert plan() == plan()
