"""Request validation: every kind of bad input becomes Violations naming the field and the rule."""

from __future__ import annotations

import pytest

from simulator.openapi import Operation, load_contract

CONTRACT = """\
openapi: 3.1.0
info: {title: Bank, version: "1"}
paths:
  /repayments/{repayOuterNo}:
    post:
      operationId: repay
      parameters:
        - {name: repayOuterNo, in: path, required: true, schema: {type: string, maxLength: 8}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10}}
        - {name: dryRun, in: query, schema: {type: boolean}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [amount, lines]
              properties:
                amount: {type: string, pattern: '^[0-9]+\\.[0-9]{2}$'}
                at: {type: string, format: date-time}
                lines:
                  type: array
                  items:
                    type: object
                    required: [installmentNo]
                    properties: {installmentNo: {type: integer, minimum: 1}}
      responses: {200: {description: ok}}
"""


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Operation:
    path = tmp_path_factory.mktemp("contracts") / "bank.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return load_contract(path).operation("repay")


def body_errors(operation: Operation, body: bytes, content_type: str = "application/json") -> list[tuple[str, str]]:
    _, errors, _ = operation.decode_body(body, content_type)
    return [(e.field, e.rule) for e in errors]


def test_a_valid_body_decodes_with_no_errors(operation: Operation) -> None:
    value, errors, _ = operation.decode_body(
        b'{"amount": "10.00", "lines": [{"installmentNo": 1}]}', "application/json"
    )

    assert errors == []
    assert value == {"amount": "10.00", "lines": [{"installmentNo": 1}]}


def test_malformed_json_is_reported_with_its_position(operation: Operation) -> None:
    _, errors, status = operation.decode_body(b'{"amount": ', "application/json")

    assert status == 400
    assert errors[0].field == "body" and errors[0].rule == "json"
    assert "line 1, column 12" in errors[0].message


def test_a_missing_required_body_is_reported(operation: Operation) -> None:
    assert body_errors(operation, b"") == [("body", "required")]


def test_a_missing_field_names_the_field(operation: Operation) -> None:
    assert body_errors(operation, b'{"lines": []}') == [("body.amount", "required")]


def test_an_unknown_field_names_the_field(operation: Operation) -> None:
    assert body_errors(operation, b'{"amount": "1.00", "lines": [], "amont": 1}') == [
        ("body.amont", "additionalProperties")
    ]


def test_a_wrong_type_deep_in_the_body_names_the_path(operation: Operation) -> None:
    assert body_errors(operation, b'{"amount": "1.00", "lines": [{"installmentNo": "one"}]}') == [
        ("body.lines[0].installmentNo", "type")
    ]


def test_money_as_a_float_breaks_the_pattern_rule(operation: Operation) -> None:
    assert body_errors(operation, b'{"amount": "10.5", "lines": []}') == [("body.amount", "pattern")]


def test_formats_are_checked(operation: Operation) -> None:
    assert body_errors(operation, b'{"amount": "1.00", "lines": [], "at": "2019-05-10"}') == [("body.at", "format")]


def test_a_wrong_content_type_is_a_415(operation: Operation) -> None:
    _, errors, status = operation.decode_body(b"amount=1", "application/x-www-form-urlencoded")

    assert status == 415
    assert errors[0].field == "header.content-type"
    assert "send application/json" in errors[0].message


def test_json_with_a_charset_or_a_json_suffix_is_accepted(operation: Operation) -> None:
    ok = b'{"amount": "1.00", "lines": []}'
    assert body_errors(operation, ok, "application/json; charset=utf-8") == []
    assert body_errors(operation, ok, "application/vnd.bank+json") == []


def test_query_parameters_are_coerced_to_their_schema_types(operation: Operation) -> None:
    values, errors = operation.validate_params({"repayOuterNo": "R1"}, "limit=5&dryRun=true&tags=a&tags=b", {})

    assert errors == []
    assert values == {"repayOuterNo": "R1", "limit": 5, "dryRun": True, "tags": ["a", "b"]}


def test_a_query_parameter_out_of_range_names_the_rule(operation: Operation) -> None:
    _, errors = operation.validate_params({"repayOuterNo": "R1"}, "limit=50", {})

    assert [(e.field, e.rule) for e in errors] == [("query.limit", "maximum")]


def test_a_query_parameter_of_the_wrong_type_is_a_type_error(operation: Operation) -> None:
    _, errors = operation.validate_params({"repayOuterNo": "R1"}, "limit=ten", {})

    assert [(e.field, e.rule) for e in errors] == [("query.limit", "type")]


def test_an_unknown_query_parameter_suggests_the_closest(operation: Operation) -> None:
    _, errors = operation.validate_params({"repayOuterNo": "R1"}, "limt=5", {})

    assert [(e.field, e.rule) for e in errors] == [("query.limt", "additionalProperties")]
    assert "did you mean 'limit'?" in errors[0].message


def test_a_path_parameter_breaking_its_schema_is_reported(operation: Operation) -> None:
    _, errors = operation.validate_params({"repayOuterNo": "R" * 20}, "", {})

    assert [(e.field, e.rule) for e in errors] == [("path.repayOuterNo", "maxLength")]
