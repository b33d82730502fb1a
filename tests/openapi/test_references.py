"""A contract's ``$ref``s are kept, never expanded: validators compile against the document, lazily and a bounded
number at once beyond 64 operations; synthesis follows references as it reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.core import Engine
from simulator.errors import ContractError
from simulator.openapi import load_contract
from simulator.openapi._contract import COMPILED_AT_ONCE, EAGER_OPERATIONS
from simulator.openapi._synth import Synthesizer
from tests.core.helpers import call


def _document(paths: dict[str, Any], schemas: dict[str, Any], version: str = "3.1.0") -> dict[str, Any]:
    return {
        "openapi": version,
        "info": {"title": "x", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _post(operation_id: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation_id,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
        }
    }


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _ladder(rungs: int) -> dict[str, Any]:
    """S0 refers twice to S1, which refers twice to S2, …: written out it is 2**rungs copies of the last."""
    schemas: dict[str, Any] = {
        f"S{i}": {
            "type": "object",
            "properties": {
                "a": {"$ref": f"#/components/schemas/S{i + 1}"},
                "b": {"$ref": f"#/components/schemas/S{i + 1}"},
            },
        }
        for i in range(rungs)
    }
    schemas[f"S{rungs}"] = {"type": "integer", "format": "int32"}
    return schemas


def test_references_that_would_expand_to_2_to_the_40_copies_load_validate_and_synthesize(tmp_path: Path) -> None:
    path = _write(tmp_path, _document({"/x": _post("x", {"$ref": "#/components/schemas/S0"})}, _ladder(40)))

    operation = load_contract(path).operation("x")

    _, errors, _ = operation.decode_body(b'{"a": {"b": {"a": "deep"}}}', "application/json")
    assert [(e.field, e.rule) for e in errors] == [("body.a.b.a", "type")]
    assert operation.decode_body(b'{"a": {"b": {"a": {}}}}', "application/json")[1] == []
    media = operation.responses["200"].media("application/json")
    assert media is not None and media.schema is not None
    value = Synthesizer(7).value(media.schema)
    assert isinstance(value, dict)
    assert operation.validate_response(200, value, "application/json") == []


def test_a_recursive_schema_validates_nested_values_and_synthesizes_a_finite_value(tmp_path: Path) -> None:
    node = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 3},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    path = _write(tmp_path, _document({"/tree": _post("tree", {"$ref": "#/components/schemas/Node"})}, {"Node": node}))
    operation = load_contract(path).operation("tree")
    deep: dict[str, Any] = {"name": "a"}
    for _ in range(12):
        deep = {"name": "b", "children": [deep]}
    inner = deep
    for _ in range(12):
        inner = inner["children"][0]
    inner["name"] = "toolong"

    _, errors, _ = operation.decode_body(json.dumps(deep).encode(), "application/json")

    assert [e.rule for e in errors] == ["maxLength"]
    assert errors[0].field.startswith("body.children[0].children[0]")
    media = operation.responses["200"].media("application/json")
    assert media is not None and media.schema is not None
    assert operation.validate_response(200, Synthesizer(1).value(media.schema), "application/json") == []


def _many(count: int, bad: int | None = None) -> dict[str, Any]:
    """``count`` operations, each with its own body schema (the one numbered ``bad`` does not compile)."""
    schemas = {
        f"S{i}": {"type": "object", "properties": {"n": {"type": "integer", "maximum": i}}} for i in range(count)
    }
    if bad is not None:
        schemas[f"S{bad}"]["properties"]["n"] = {"type": "string", "pattern": "(unclosed"}
    paths = {f"/op{i}": _post(f"op{i}", {"$ref": f"#/components/schemas/S{i}"}) for i in range(count)}
    return _document(paths, schemas)


def test_a_big_contract_compiles_a_bounded_number_of_validators_and_recompiles_what_it_forgot(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, _many(EAGER_OPERATIONS + 16)))
    assert contract.compiled_validators == 0

    for i in range(EAGER_OPERATIONS + 16):
        _, errors, _ = contract.operation(f"op{i}").decode_body(json.dumps({"n": i + 1}).encode(), "application/json")
        assert [e.rule for e in errors] == ["maximum"]
        assert contract.compiled_validators <= COMPILED_AT_ONCE

    # op0's validator was forgotten long ago: it compiles again and still says the same.
    assert contract.operation("op0").decode_body(b'{"n": 1}', "application/json")[1][0].rule == "maximum"
    assert contract.operation("op0").decode_body(b'{"n": 0}', "application/json")[1] == []


def test_operations_that_answer_with_one_component_share_its_validator(tmp_path: Path) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    paths = {
        f"/op{i}": {
            "get": {
                "operationId": f"op{i}",
                "responses": {"default": {"description": "error", "content": {"application/json": {"schema": error}}}},
            }
        }
        for i in range(EAGER_OPERATIONS + 1)
    }
    schemas = {"Error": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}}
    contract = load_contract(_write(tmp_path, _document(paths, schemas)))

    for i in range(EAGER_OPERATIONS + 1):
        assert [e.rule for e in contract.operation(f"op{i}").validate_response(500, {})] == ["required"]

    assert contract.compiled_validators == 1


def test_a_schema_that_does_not_compile_fails_a_small_contract_at_load(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r"POST /op3 requestBody\.content\.application/json: invalid schema"):
        load_contract(_write(tmp_path, _many(4, bad=3)))


def test_a_schema_that_does_not_compile_in_a_big_contract_is_answered_500_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path, _many(EAGER_OPERATIONS + 1, bad=3))
    engine = Engine(extra_contracts=[path])  # loads: a big contract's validators compile on first use

    assert call(engine, "POST", "/partner/op2", {"n": 1}).status == 200
    response = call(engine, "POST", "/partner/op3", {"n": "x"})

    assert response.status == 500
    problem = json.loads(response.body)
    assert problem["title"] == "Contract Error"
    assert problem["detail"].startswith("partner.op3: invalid schema: ")
    assert "`lendsim lint` lists every such schema" in problem["detail"]


def test_a_30_contract_upgrades_nullable_reached_through_a_reference(tmp_path: Path) -> None:
    schemas = {
        "Maybe": {"type": "string", "nullable": True},
        "Holder": {"type": "object", "properties": {"v": {"$ref": "#/components/schemas/Maybe"}}},
    }
    document = _document({"/h": _post("h", {"$ref": "#/components/schemas/Holder"})}, schemas, version="3.0.3")
    operation = load_contract(_write(tmp_path, document)).operation("h")

    assert operation.decode_body(b'{"v": null}', "application/json")[1] == []
    assert [e.rule for e in operation.decode_body(b'{"v": 1}', "application/json")[1]] == ["type"]
