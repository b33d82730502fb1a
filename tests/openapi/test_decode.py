"""Request bodies decode exactly as ``json.loads`` reads them, whichever parser did the work, except what no server
should take: nesting past the depth limit, non-finite numbers, integers past 4,300 digits, lone surrogates, a key
named twice (simulator/openapi/_decode.py)."""

from __future__ import annotations

import json

import pytest

from simulator.openapi import load_contract

CONTRACT = """\
openapi: 3.1.0
info: {title: Any, version: "1"}
paths:
  /things:
    post:
      operationId: put
      requestBody:
        required: true
        content:
          application/json:
            schema: {}
      responses: {200: {description: ok}}
"""


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("contract") / "any.yaml"
    path.write_text(CONTRACT)
    return load_contract(path).operation("put")


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": "1.00", "lines": [{"no": 1, "rate": 0.25}], "ok": true, "none": null}',
        b'{"big": 123456789012345678901234567890}',
        b'{"edge": 18446744073709551616, "neg": -9223372036854775809}',
        b'{"a": {"b": 1}, "c": {"b": 2}, "t": "12:00:00", "u": "a\\u003ab"}',
        b"[" * 64 + b"]" * 64,
        b'{"n": ' + b"9" * 4300 + b"}",
        b"\xef\xbb\xbf{}",
        '{"name": "张三"}'.encode("utf-16"),
    ],
)
def test_a_body_decodes_to_what_json_loads_gives(operation, body: bytes) -> None:  # type: ignore[no-untyped-def]
    decoded = operation.decode(body, "application/json")

    assert repr(decoded.value) == repr(json.loads(body))
    assert type(decoded.value) is type(json.loads(body))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'"\\ud800"', "body"),
        (b'{"name": "\\udc00"}', "body.name"),
        (b'{"lines": [{"memo": "ok"}, {"memo": "x\\uDFFF"}]}', "body.lines[1].memo"),
        (b'{"\\ud83d": 1}', "body (a key)"),
        (b'{"name": "' + "\udc00".encode("utf-8", "surrogatepass") + b'"}', "body.name"),  # raw, not escaped
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field_and_the_rule(operation, body: bytes, field: str) -> None:  # type: ignore[no-untyped-def]
    value, errors, status = operation.decode_body(body, "application/json")

    assert value is None and status == 400
    assert [(error.field, error.rule) for error in errors] == [(field, "unicode")]
    assert "lone surrogate" in errors[0].message


def test_a_surrogate_pair_is_a_character_and_is_taken(operation) -> None:  # type: ignore[no-untyped-def]
    value, errors, _ = operation.decode_body(
        b'{"name": "\\ud83d\\ude00", "n": 12345678901234567890}', "application/json"
    )

    assert errors == [] and value["name"] == "\U0001f600"


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        (b"[" * 65 + b"]" * 65, "body", "depth"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "body", "depth"),
        (b'[{"a":' * 33 + b"1" + b"}]" * 33, "body", "depth"),
        (b"[" * 5000 + b"]" * 5000, "body", "depth"),  # past orjson's and json's own limits
        (b'{"rate": NaN}', "body.rate", "finite"),
        (b'{"rate": [1, -Infinity]}', "body.rate[1]", "finite"),
        (b'{"rate": 1e400}', "body.rate", "finite"),
        (b'{"n": ' + b"9" * 4301 + b"}", "body.n", "digits"),
        (b'{"n": -' + b"9" * 5000 + b"}", "body.n", "digits"),
        (b'{"a": 1, "a": 2}', "body.a", "duplicateKey"),
        (b'{"x": {"t": "12:00", "t": "13:00"}}', "body.x.t", "duplicateKey"),
        (b'{"k\\u003a": 1, "k\\u003a": 2}', "body.k:", "duplicateKey"),
        (b'{"a": 1, "a": 2, "t": "\\u003A"}', "body.a", "duplicateKey"),  # the escaped colon evens the count
        (b'{"n": 12345678901234567890, "n": 1}', "body.n", "duplicateKey"),
        (b"\xff{}", "body", "unicode"),
    ],
)
def test_what_no_server_should_take_is_refused_naming_the_field_and_the_rule(  # type: ignore[no-untyped-def]
    operation, body: bytes, field: str, rule: str
) -> None:
    value, errors, status = operation.decode_body(body, "application/json")

    assert value is None and status == 400
    assert [(error.field, error.rule) for error in errors] == [(field, rule)]


def test_a_body_of_plain_json_says_so_and_a_long_integer_does_not(operation) -> None:  # type: ignore[no-untyped-def]
    assert operation.decode(b'{"n": 123456789012345678}', "application/json").plain is True
    assert operation.decode(b'{"n": 1234567890123456789}', "application/json").plain is False


def test_malformed_json_is_reported_with_json_own_position_and_reason(operation) -> None:  # type: ignore[no-untyped-def]
    value, errors, status = operation.decode_body(b'{"amount": ', "application/json")

    assert value is None and status == 400
    assert errors[0].message == "malformed JSON at line 1, column 12: Expecting value"
