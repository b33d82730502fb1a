"""``Operation.validate_response``: what the drift guard and the validation proxy hold an answer to."""

from __future__ import annotations

from simulator._resources import bundled_contracts_dir
from simulator.openapi import load_contract

GET_LOAN = load_contract(bundled_contracts_dir() / "bank.yaml").operation("getLoan")


def test_an_undeclared_status_is_named_with_the_declared_ones() -> None:
    [violation] = GET_LOAN.validate_response(418, {})

    assert (violation.field, violation.rule) == ("status", "declared")
    assert "418" in violation.message and "200" in violation.message and "404" in violation.message


def test_a_body_is_held_to_the_schema_of_its_status_and_media_type() -> None:
    errors = GET_LOAN.validate_response(404, {"title": 404}, "application/problem+json")

    assert ("response.title", "type") in {(e.field, e.rule) for e in errors}


def test_an_undeclared_content_type_counts_only_when_asked() -> None:
    assert GET_LOAN.validate_response(404, None, "text/html") == []

    [violation] = GET_LOAN.validate_response(404, None, "text/html", declared_type=True)
    assert (violation.field, violation.rule) == ("header.content-type", "contentType")
    assert "'text/html' is not declared for status 404" in violation.message
