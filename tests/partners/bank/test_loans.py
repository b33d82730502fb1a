"""Loans: registration (idempotent), the loan and its schedule as the bank's ledger sees them."""

from __future__ import annotations

from simulator.core import Engine
from simulator.partners.bank._common import differences
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
        {"field": "body.principal", "rule": "idempotency", "message": "differs from the first body"},
        {"field": "body.term", "rule": "idempotency", "message": "differs from the first body"},
    ]


def test_a_conflict_names_the_fields_never_the_first_registrants_personal_data(engine: Engine) -> None:
    register(engine)  # 张伟, 110105199003071239, 13912345678
    someone_else = {"name": "李娜", "certNo": "11010519491231002X", "phone": "13800138000"}

    response = register(engine, **someone_else)

    assert response.status == 409
    assert [error["field"] for error in response.json()["errors"]] == ["body.name", "body.certNo", "body.phone"]
    text = response.body.decode()
    for earlier in ("张伟", "110105199003071239", "13912345678", "1239", "5678"):
        assert earlier not in text


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


def test_each_kind_of_difference_is_named_without_either_value() -> None:
    first = {"name": "张伟", "phone": "13912345678", "lines": [1, 2]}
    second = {"name": "李娜", "certNo": "11010519491231002X", "lines": [1, 2, 3]}

    found = differences(first, second)

    assert [(v.field, v.message) for v in found] == [
        ("body.name", "differs from the first body"),
        ("body.phone", "was in the first body and is missing now"),
        ("body.lines", "holds a different number of items than in the first body"),
        ("body.certNo", "was not in the first body"),
    ]
