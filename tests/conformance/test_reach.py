"""Where an answer came from: the operation itself, or a router in front of it (a wrong base path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.conformance._reach import describe_answer, from_operation
from simulator.openapi import Operation, load_contract

BANK = load_contract(Path(__file__).resolve().parents[2] / "contracts" / "bank.yaml")
PROBLEM = "application/problem+json"


def problem(status: int, **members: object) -> bytes:
    return json.dumps({"type": "urn:x", "title": "Not Found", "status": status, **members}).encode()


@pytest.fixture
def repay_result_query() -> Operation:
    return BANK.operation("repayResultQuery")  # documents 404: "the bank never received this repayment"


def test_the_operations_own_documented_404_came_from_it(repay_result_query: Operation) -> None:
    body = problem(404, detail="The bank never received a repayment X.", operation="repayResultQuery")

    assert from_operation(repay_result_query, 404, PROBLEM, body)


@pytest.mark.parametrize(
    ("status", "content_type", "body", "why"),
    [
        (404, PROBLEM, problem(404, detail="no operation matches", operation=None), "lendsim's router: no operation"),
        (404, PROBLEM, problem(404, operation="getLoan"), "routed to another operation"),
        (404, "application/json", b'{"detail": "Not Found"}', "a framework's 404: content type not documented"),
        (404, PROBLEM, b'{"detail": "Not Found"}', "the documented content type, not the documented body"),
        (404, "text/html", b"<h1>Not Found</h1>", "a web server's page"),
        (404, PROBLEM, b"", "no body where a problem is documented"),
        (405, PROBLEM, problem(405, operation=None), "a status the operation does not document"),
    ],
)
def test_a_routers_answer_did_not_come_from_the_operation(
    repay_result_query: Operation, status: int, content_type: str, body: bytes, why: str
) -> None:
    assert not from_operation(repay_result_query, status, content_type, body), why


@pytest.mark.parametrize("status", [200, 400, 409, 500, 503])
def test_any_other_status_came_from_the_service(repay_result_query: Operation, status: int) -> None:
    assert from_operation(repay_result_query, status, "text/plain", b"whatever")


def test_an_operation_without_a_documented_404_never_answers_404() -> None:
    register = BANK.operation("registerLoan")

    assert not from_operation(register, 404, PROBLEM, problem(404, operation="registerLoan"))


def test_a_body_kept_only_in_part_is_judged_by_status_and_content_type(repay_result_query: Operation) -> None:
    assert from_operation(repay_result_query, 404, PROBLEM, None)
    assert not from_operation(repay_result_query, 404, "text/html", None)


def test_an_answer_is_described_in_one_masked_line() -> None:
    body = problem(404, detail="no borrower with phone 13912345678\nat all")

    assert describe_answer(404, "application/problem+json; charset=utf-8", body) == (
        '404 application/problem+json "no borrower with phone 139****5678\\nat all"'
    )
    assert describe_answer(405, None, b"") == "405 no content type"
    page = describe_answer(404, "text/html", b"<html>\n  <h1>Not Found</h1>")
    assert page == '404 text/html "<html> <h1>Not Found</h1>"'
