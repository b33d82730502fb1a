"""Loans: registration (idempotent), the loan and its schedule as the bank's ledger sees them."""

from __future__ import annotations

from simulator.core import Engine
from tests.partners.bank.helpers import LOAN_NO, events, loan_body, register


def test_registering_a_loan_builds_its_schedule(engine: Engine) -> None:
    response = register(engine)

    assert response.status == 201
    loan = response.json()
    assert (loan["status"], loan["outstandingPrincipal"], loan["term"]) == ("ACTIVE", "3000.00", 3)
    assert [(i["dueDate"], i["duePrincipal"], i["dueInterest"], i["status"]) for i in loan["schedule"]] == [
        ("2019-03-10", "1000.00", "18.00", "WAIT_REPAY"),
        ("2019-04-10", "1000.00", "12.00", "WAIT_REPAY"),
        ("2019-05-10", "1000.00", "6.00", "WAIT_REPAY"),
    ]
    (registered,) = events(engine, "loanRegistered")
    assert (registered.borrower, registered.loan) == ("B000123", LOAN_NO)


def test_a_term_and_due_day_written_as_whole_decimals_are_the_integers_the_contract_admits(engine: Engine) -> None:
    response = register(engine, term=3.0, dueDay=10.0)  # JSON Schema's "integer" includes 3.0 (schemathesis sends it)

    assert response.status == 201
    loan = response.json()
    assert loan["term"] == 3 and [i["dueDate"] for i in loan["schedule"]][-1] == "2019-05-10"


def test_registering_the_same_loan_again_returns_it_unchanged(engine: Engine) -> None:
    first = register(engine)

    again = register(engine)

    assert again.status == 200
    assert again.json() == first.json()
    assert len(events(engine, "loanRegistered")) == 1


def test_registering_a_loan_number_again_with_other_data_is_a_conflict_naming_each_field(engine: Engine) -> None:
    register(engine)

    response = register(engine, principal="3500.00", term=6)

    assert response.status == 409
    problem = response.json()
    assert problem["type"] == "urn:lendsim:problem:idempotency-conflict"
    assert problem["errors"] == [
        {"field": "body.principal", "rule": "idempotency", "message": "was '3000.00', now '3500.00'"},
        {"field": "body.term", "rule": "idempotency", "message": "was 3, now 6"},
    ]


def test_get_loan_and_the_repayment_plan_show_the_same_installments(engine: Engine) -> None:
    register(engine)

    loan = engine.call("platform", "bank", "getLoan", params={"loanOuterNo": LOAN_NO})
    plan = engine.call("platform", "bank", "repayPlanQuery", params={"loanOuterNo": LOAN_NO})

    assert loan.status == plan.status == 200
    assert plan.json() == {"loanOuterNo": LOAN_NO, "totalInstallmentNo": 3, "installments": loan.json()["schedule"]}


def test_an_unknown_loan_is_404_saying_how_to_register_it(engine: Engine) -> None:
    for operation in ("getLoan", "repayPlanQuery"):
        response = engine.call("platform", "bank", operation, params={"loanOuterNo": "LN-NOPE"})

        assert response.status == 404
        assert "No loan LN-NOPE is registered" in response.json()["detail"]
        assert "registerLoan" in response.json()["detail"]


def test_a_disbursement_date_outside_1900_to_2099_is_refused_by_the_contract(engine: Engine) -> None:
    response = engine.call("platform", "bank", "registerLoan", loan_body(disburseDate="9999-12-01"))

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "body.disburseDate"
