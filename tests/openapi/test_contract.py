"""Loading contracts: errors name the file, the JSON pointer and the line; operations are indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import ContractError
from simulator.openapi import load_contract, load_contracts

MINIMAL = """\
openapi: 3.1.0
info: {title: Shop, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Items'}
              example: [{id: a1}]
  /items/{itemId}:
    get:
      operationId: getItem
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string, pattern: '^[a-z][0-9]$'}}
      responses:
        200: {description: ok}
  /items/special:
    get:
      operationId: special
      responses:
        200: {description: ok}
components:
  schemas:
    Item: {type: object, properties: {id: {type: string}}}
    Items: {type: array, items: {$ref: '#/components/schemas/Item'}}
"""


def write(tmp_path: Path, text: str, name: str = "shop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_operations_are_indexed_by_id_and_by_method_and_path(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, MINIMAL))

    assert contract.name == "shop"
    assert [op.operation_id for op in contract] == ["listItems", "getItem", "special"]
    operation, params = contract.operations.match("GET", "/items/b7") or (None, None)
    assert operation is contract.operation("getItem")
    assert params == {"itemId": "b7"}


def test_a_literal_path_wins_over_a_template_that_also_matches(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, MINIMAL))

    operation, _ = contract.operations.match("GET", "/items/special") or (None, None)

    assert operation is not None and operation.operation_id == "special"


def test_references_are_resolved_for_the_index(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, MINIMAL))

    media = contract.operation("listItems").responses["200"].content["application/json"]

    assert media.schema == {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}}
    assert media.examples == ([{"id": "a1"}],)


def test_unknown_operation_id_suggests_the_closest(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, MINIMAL))

    with pytest.raises(ContractError, match="did you mean 'getItem'"):
        contract.operation("getItems")


def test_a_broken_reference_names_file_pointer_line_and_the_likely_fix(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("#/components/schemas/Item'}", "#/components/schemas/Itme'}"))

    with pytest.raises(ContractError) as caught:
        load_contract(path)

    error = caught.value
    assert error.file == str(path)
    assert error.pointer == "/components/schemas/Items/items/$ref"
    assert error.line == 29
    assert "did you mean '#/components/schemas/Item'?" in error.reason


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "openapi: 3.1.0\ninfo: {title: x\npaths: {}\n")

    with pytest.raises(ContractError, match="invalid YAML") as caught:
        load_contract(path)

    assert caught.value.line is not None


def test_a_document_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="got list"):
        load_contract(write(tmp_path, "- openapi\n"))


def test_a_missing_or_wrong_openapi_version_says_what_to_write(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r"write e\.g\. openapi: 3\.1\.0") as caught:
        load_contract(write(tmp_path, "openapi: 2.0\ninfo: {title: x, version: '1'}\npaths: {}\n"))

    assert caught.value.pointer == "/openapi"
    assert caught.value.line == 1


def test_an_undeclared_path_parameter_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "      parameters:\n"
        "        - {name: itemId, in: path, required: true, schema: {type: string, pattern: '^[a-z][0-9]$'}}\n",
        "",
    )

    with pytest.raises(ContractError, match="path parameter 'itemId'"):
        load_contract(write(tmp_path, text))


def test_a_missing_file_is_a_contract_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="no such file"):
        load_contract(tmp_path / "nope.yaml")


def test_openapi_30_nullable_and_boolean_bounds_are_upgraded(tmp_path: Path) -> None:
    text = """\
openapi: 3.0.3
info: {title: Old, version: "1"}
paths:
  /x:
    post:
      operationId: x
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                a: {type: string, nullable: true}
                n: {type: number, minimum: 0, exclusiveMinimum: true}
      responses: {200: {description: ok}}
"""
    operation = load_contract(write(tmp_path, text, "old.yaml")).operation("x")

    _, errors, _ = operation.decode_body(b'{"a": null, "n": 0}', "application/json")

    assert [(e.field, e.rule) for e in errors] == [("body.n", "exclusiveMinimum")]


def test_load_contracts_keys_each_file_by_its_stem(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "shop.yaml")
    write(tmp_path, MINIMAL, "Other-Shop.yaml")

    assert sorted(load_contracts(tmp_path)) == ["other_shop", "shop"]


def test_openapi_30_nullable_beside_an_enum_or_without_a_type_takes_null(tmp_path: Path) -> None:
    """OpenAPI 3.0.3, Schema Object, ``nullable``. A nullable ``allOf`` or ``enum`` (Plaid's ``identity/match``)
    lost its null, and valid requests were refused with 400; a property named ``nullable`` is a property."""
    text = """\
openapi: 3.0.3
info: {title: Old, version: "1"}
paths:
  /x:
    post:
      operationId: x
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                kind: {type: string, enum: [a, b], nullable: true}
                user: {allOf: [{$ref: '#/components/schemas/User'}], nullable: true}
                nullable: {type: integer}
      responses: {200: {description: ok}}
components:
  schemas:
    User: {type: object, required: [name], properties: {name: {type: string}}}
"""
    operation = load_contract(write(tmp_path, text, "old.yaml")).operation("x")

    _, valid, _ = operation.decode_body(b'{"kind": null, "user": null, "nullable": 3}', "application/json")
    _, invalid, _ = operation.decode_body(b'{"kind": "c", "user": {}, "nullable": null}', "application/json")

    assert valid == []
    assert sorted(e.field for e in invalid) == ["body.kind", "body.nullable", "body.user"]


PETS = """\
openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pet/findByStatus:
    get: {operationId: findPetsByStatus, responses: {200: {description: ok}}}
  /pet/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
    get: {operationId: getPetById, responses: {200: {description: ok}}}
    post: {operationId: updatePetWithForm, responses: {200: {description: ok}}}
    delete: {operationId: deletePet, responses: {200: {description: ok}}}
"""


def test_a_method_a_literal_path_does_not_serve_is_not_routed_to_a_template(tmp_path: Path) -> None:
    """OpenAPI 3.1, Paths Object: concrete paths match before templated ones. ``POST /pet/findByStatus`` was
    answered by ``updatePetWithForm`` with petId "findByStatus"; it is a 405 allowing GET."""
    operations = load_contract(write(tmp_path, PETS, "pets.yaml")).operations

    assert operations.match("POST", "/pet/findByStatus") is None
    assert operations.allowed_methods("/pet/findByStatus") == ["GET"]
    matched = operations.match("POST", "/pet/7")
    assert matched is not None and matched[0].operation_id == "updatePetWithForm" and matched[1] == {"petId": "7"}


def test_allow_names_the_methods_of_the_matched_path_only(tmp_path: Path) -> None:
    operations = load_contract(write(tmp_path, PETS, "pets.yaml")).operations

    assert operations.allowed_methods("/pet/7") == ["DELETE", "GET", "POST"]
    assert operations.allowed_methods("/pet/findByStatus") == ["GET"]  # not GET, POST, DELETE of /pet/{petId}
    assert operations.allowed_methods("/store") == []


def test_an_int32_or_int64_field_takes_only_what_its_format_holds(tmp_path: Path) -> None:
    """OpenAPI 3.1, Data Types: int32 is a signed 32-bit integer, int64 a signed 64-bit one; JSON Schema validators
    skip formats they do not know, so an int32 field took 2**40."""
    text = """\
openapi: 3.1.0
info: {title: Ints, version: "1"}
paths:
  /x:
    post:
      operationId: x
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                small: {type: integer, format: int32}
                big: {type: integer, format: int64}
                narrow: {type: integer, format: int32, minimum: 1}
      responses: {200: {description: ok}}
"""
    operation = load_contract(write(tmp_path, text, "ints.yaml")).operation("x")

    _, fits, _ = operation.decode_body(
        b'{"small": 2147483647, "big": -9223372036854775808, "narrow": 1}', "application/json"
    )
    _, overflows, _ = operation.decode_body(
        b'{"small": 2147483648, "big": 9223372036854775808, "narrow": 0}', "application/json"
    )

    assert fits == []
    assert sorted((e.field, e.rule) for e in overflows) == [
        ("body.big", "maximum"),
        ("body.narrow", "minimum"),
        ("body.small", "maximum"),
    ]
