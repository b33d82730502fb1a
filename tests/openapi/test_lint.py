"""``lint_contract``: what ``lendsim lint`` finds in a contract beyond validity, and the house conventions of the
contracts lendsim ships (``conventions=True``), each rule shown to fire on a contract that breaks it."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator._resources import bundled_contracts_dir
from simulator.openapi import lint_contract, lint_receivers

HEAD = "openapi: 3.1.0\ninfo: {title: x, version: '1'}\n"


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path, *, conventions: bool = False) -> list[str]:
    return [str(finding) for finding in lint_contract(path, conventions=conventions)]


# --- any contract -------------------------------------------------------------------------------------------


def test_an_unquoted_date_is_named_with_its_line_and_the_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD + "paths:\n  /x:\n    get:\n      operationId: x\n      responses:\n        '200':\n"
        "          description: ok\n          content:\n            application/json:\n"
        "              schema: {type: object}\n              example:\n                day: 2019-05-10\n",
    )

    assert messages(path) == [
        f"{path}:14:17: error: paths./x.get.responses.200.content.application/json.example.day: "
        "YAML reads 2019-05-10 as a date, not a string; quote it"
    ]


SCHEMA_EXAMPLES = (
    HEAD
    + """paths: {}
components:
  schemas:
    Amount:
      type: string
      pattern: '^[0-9]+\\.[0-9]{2}$'
      examples: ['10.00', '10']
    Loan:
      type: object
      properties:
        term: {type: integer, minimum: 1, example: 0}
"""
)


def test_examples_inside_schemas_match_their_schema(tmp_path: Path) -> None:
    found = messages(write(tmp_path, SCHEMA_EXAMPLES))

    assert len(found) == 2
    assert "components.schemas.Amount.examples[1]: example does not match its schema: " in found[0]
    assert "components.schemas.Loan.properties.term.example: example does not match its schema: 0 is less" in found[1]


EXAMPLE_OBJECTS = (
    HEAD
    + """paths:
  /loans:
    put:
      operationId: putLoans
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {n: {type: integer}}}
            examples:
              shared: {$ref: '#/components/examples/Bad'}
              linked: {externalValue: 'https://example.com/x.json'}
              literal: {value: {n: {$ref: '#/components/examples/Bad'}}}
      responses:
        '200': {description: ok}
components:
  examples:
    Bad: {value: {n: 'one'}}
"""
)


def test_example_objects_are_followed_through_their_ref_and_need_a_value(tmp_path: Path) -> None:
    found = messages(write(tmp_path, EXAMPLE_OBJECTS))  # in line order, then column

    assert [finding.split(": ", 3)[2:] for finding in found] == [
        [
            "paths./loans.put.requestBody.content.application/json.examples.shared.value",
            'example.n does not match its schema: "one" is not of type "integer"; fix the example or the schema',
        ],
        [
            "paths./loans.put.requestBody.content.application/json.examples.linked",
            "an Example Object without a 'value' (lendsim serves and checks inline values only); add 'value'",
        ],
        [
            "paths./loans.put.requestBody.content.application/json.examples.literal.value",
            'example.n does not match its schema: {"$ref":"#/components/examples/Bad"} is not of type "integer"; '
            "fix the example or the schema",
        ],
        [
            "paths./loans.put.requestBody.content.application/json.examples.literal.value.n",
            "a $ref inside an example value is literal data, not a reference; write the value out",
        ],
    ]


LINKS = (
    HEAD
    + """paths:
  /loans/{id}:
    get:
      operationId: getLoan
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: ok}
  /loans:
    post:
      operationId: addLoan
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}}}
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
          links:
            ok: {operationId: getLoan, parameters: {id: '$response.body#/id'}}
            unknownTarget: {operationId: getLoans}
            unknownParameter: {operationId: getLoan, parameters: {loan: '$response.body#/id'}}
            notAnExpression: {operationId: getLoan, parameters: {id: '$respons.body#/id'}}
            noSuchProperty: {operationId: getLoan, parameters: {id: '$request.body#/loanId'}}
            notALink: {$ref: '#/components/schemas/Loan'}
components:
  schemas:
    Loan: {type: object}
"""
)


def test_links_target_real_operations_parameters_and_body_properties(tmp_path: Path) -> None:
    found = [finding.split(": ", 3)[2:] for finding in messages(write(tmp_path, LINKS))]

    links = "paths./loans.post.responses.201.links"
    assert found == [
        [
            f"{links}.unknownTarget.operationId",
            "the link targets 'getLoans', which is no operation here; did you mean 'getLoan'?",
        ],
        [
            f"{links}.unknownParameter.parameters.loan",
            "'loan' is not a parameter of getLoan; use one of its parameters' names",
        ],
        [
            f"{links}.notAnExpression.parameters.id",
            "'$respons.body#/id' is not an OpenAPI runtime expression (e.g. '$response.body#/id')",
        ],
        [
            f"{links}.noSuchProperty.parameters.id",
            "the request body has no property 'loanId'; name one of its properties",
        ],
        ["components.schemas.Loan", "a link without an operationId (or operationRef); name its target operation"],
    ]


# --- the contracts lendsim ships ----------------------------------------------------------------------------


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((bundled_contracts_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
    return document


def dump(tmp_path: Path, document: dict[str, Any], name: str) -> Path:
    return write(tmp_path, yaml.safe_dump(document, allow_unicode=True, sort_keys=False), f"{name}.yaml")


def _send(doc: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = doc["paths"]["/send"]["post"]
    return operation


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


BREAKAGES: list[tuple[str, str, Callable[[dict[str, Any]], object], str]] = [
    ("sms", "openapi 3.0", lambda d: d.update(openapi="3.1.1"), "openapi: lendsim's contracts are OpenAPI 3.1.0"),
    ("sms", "server", lambda d: d.update(servers=[{"url": "/gateway"}]), "lendsim serves sms under '/sms'"),
    ("sms", "description", lambda d: d["info"].update(description="An SMS gateway."), "'simulated by lendsim'"),
    (
        "sms",
        "closed problem",
        lambda d: _schema(d, "Problem").update(additionalProperties=False),
        "extensions stay allowed",
    ),
    (
        "sms",
        "no 503",
        lambda d: _send(d)["responses"].pop("503"),
        "sendSms: the 503 answer lendsim may give is not declared",
    ),
    ("sms", "no 415", lambda d: _send(d)["responses"].pop("415"), "sendSms: the 415 answer"),
    (
        "sms",
        "no virtual time",
        lambda d: _send(d)["responses"]["200"].pop("headers"),
        "every answer declares the header X-Lendsim-Virtual-Time",
    ),
    ("sms", "no summary", lambda d: _send(d).pop("summary"), "summary missing"),
    ("sms", "undeclared tag", lambda d: _send(d).update(tags=["Nope"]), "tag 'Nope' is not declared"),
    (
        "sms",
        "not camelCase",
        lambda d: _send(d).update(operationId="send_sms"),
        "operationId 'send_sms' is not camelCase",
    ),
    (
        "sms",
        "webhook key",
        lambda d: d["webhooks"].update(receipt=d["webhooks"].pop("smsReport")),
        "the webhook key 'receipt' should equal",
    ),
    (
        "sms",
        "no answer example",
        lambda d: _send(d)["responses"]["200"]["content"]["application/json"].pop("examples"),
        "sendSms 200: the answer has no example",
    ),
    (
        "sms",
        "no request example",
        lambda d: _send(d)["requestBody"]["content"]["application/json"].pop("example"),
        "sendSms: the request body has no example",
    ),
    (
        "sms",
        "open request",
        lambda d: _schema(d, "SendSmsRequest").pop("additionalProperties"),
        "sets additionalProperties: false",
    ),
    (
        "sms",
        "unbounded string",
        lambda d: _schema(d, "SendSmsRequest")["properties"]["SignName"].pop("maxLength"),
        "a request-side string without maxLength",
    ),
    (
        "sms",
        "undeclared required",
        lambda d: _schema(d, "SendSmsRequest")["required"].append("Extra"),
        "the required property 'Extra' is not declared",
    ),
    (
        "sms",
        "problem status",
        lambda d: d["components"]["responses"]["BadRequest"]["content"]["application/problem+json"]["example"].update(
            status=500
        ),
        "the problem example says status 500, not 400",
    ),
    (
        "sms",
        "error media",
        lambda d: d["components"]["responses"]["BadRequest"].update(
            content={"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}, "example": {}}}
        ),
        "the error answer 400 is application/problem+json only",
    ),
    ("sms", "no success", lambda d: _send(d)["responses"].pop("200"), "sendSms: no success answer"),
    (
        "sms",
        "form body",
        lambda d: _send(d)["requestBody"]["content"].update(
            {"application/x-www-form-urlencoded": _send(d)["requestBody"]["content"]["application/json"]}
        ),
        "a request body is application/json only",
    ),
    (
        "bank",
        "unbounded integer",
        lambda d: _schema(d, "InstallmentNo").pop("maximum"),
        "a request-side integer without both minimum and maximum",
    ),
    (
        "bank",
        "unbounded array",
        lambda d: _schema(d, "RepayApplyRequest")["properties"]["repayList"].pop("maxItems"),
        "a request-side array without maxItems",
    ),
    (
        "bank",
        "path parameter",
        lambda d: _schema(d, "LoanOuterNo").pop("maxLength"),
        "a path parameter without maxLength",
    ),
    (
        "control",
        "no 401",
        lambda d: d["paths"]["/health"]["get"]["responses"].pop("401"),
        "health: the 401 answer lendsim may give is not declared",
    ),
    ("control", "no security", lambda d: d.pop("security"), "the control API declares its (optional) bearer security"),
]


# Breakages that also break an example (which any contract's lint finds) or the OpenAPI version.
ALSO_GENERIC = ("openapi 3.0", "error media", "undeclared required")


@pytest.mark.parametrize(("name", "rule", "breaking", "expected"), BREAKAGES, ids=[b[1] for b in BREAKAGES])
def test_a_broken_house_rule_is_found(
    tmp_path: Path, name: str, rule: str, breaking: Callable[[dict[str, Any]], object], expected: str
) -> None:
    document = load(name)
    breaking(document)

    found = messages(dump(tmp_path, document, name), conventions=True)

    assert any(expected in finding for finding in found), found
    assert messages(dump(tmp_path, document, name)) == [] or rule in ALSO_GENERIC  # otherwise a house rule only


def test_a_receiver_that_differs_from_the_webhook_is_found(tmp_path: Path) -> None:
    platform = load("platform")
    receiver = platform["paths"]
    for item in receiver.values():
        if item.get("post", {}).get("operationId") == "smsReport":
            item["post"]["requestBody"] = copy.deepcopy(item["post"]["requestBody"])
            item["post"]["requestBody"]["content"]["application/json"]["schema"] = {"type": "array", "maxItems": 1}
    paths = [dump(tmp_path, platform, "platform"), dump(tmp_path, load("sms"), "sms")]

    found = [str(finding) for finding in lint_receivers(paths)]

    assert len(found) == 1 and "the request schema differs from" in found[0] and "webhook smsReport" in found[0]


def test_a_webhook_nobody_receives_is_found(tmp_path: Path) -> None:
    platform = load("platform")
    platform["paths"] = {
        path: item for path, item in platform["paths"].items() if item.get("post", {}).get("operationId") != "smsReport"
    }
    paths = [dump(tmp_path, platform, "platform"), dump(tmp_path, load("sms"), "sms")]

    found = [str(finding) for finding in lint_receivers(paths)]

    assert len(found) == 1 and "no contract of the set receives the webhook 'smsReport'" in found[0]


# --- real-world contracts -----------------------------------------------------------------------------------


def test_an_openapi_30_nullable_example_is_no_finding_whatever_the_nullable_schema_holds(tmp_path: Path) -> None:
    """OpenAPI 3.0.3, Schema Object: ``nullable: true`` allows null. Plaid writes it beside ``type``, ``enum`` and
    ``allOf``; each example below is valid and lint said otherwise (1,634 false findings on Plaid's contract)."""
    path = write(
        tmp_path,
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    Code: {type: string, nullable: true}\n"
        "    Kind: {type: string, enum: [a, b], nullable: true}\n"
        "    Wrapped: {allOf: [{$ref: '#/components/schemas/Kind'}], nullable: true}\n"
        "    Holder:\n      type: object\n      properties:\n"
        "        code: {$ref: '#/components/schemas/Code'}\n        kind: {$ref: '#/components/schemas/Kind'}\n"
        "        wrapped: {$ref: '#/components/schemas/Wrapped'}\n"
        "        nullable: {type: integer}\n"
        "      example: {code: null, kind: null, wrapped: null, nullable: 3}\n",
    )

    assert messages(path) == []


def test_an_openapi_30_example_that_breaks_a_nullable_schema_is_still_found(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    Kind:\n      type: string\n      enum: [a, b]\n      nullable: true\n      example: c\n",
    )

    assert messages(path) == [
        f"{path}:10:7: error: components.schemas.Kind.example: example does not match its schema: "
        '"c" is not one of "a", "b" or null; fix the example or the schema'
    ]


def test_a_json_contract_with_a_character_beyond_u_ffff_is_read_as_json_reads_it(tmp_path: Path) -> None:
    """RFC 8259 §7: a character outside the Basic Multilingual Plane is escaped as a surrogate pair (Twilio's
    contract has "Hello! \\ud83d\\udc4d"), which the YAML reader refused."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Body": {"type": "string", "maxLength": 8, "example": "Hi! \U0001f44d"}}},
    }
    path = write(tmp_path, json.dumps(document, indent=2), "x.json")  # ensure_ascii: the pair, escaped

    assert "\\ud83d\\udc4d" in path.read_text(encoding="utf-8")
    assert messages(path) == []


def test_a_hundred_examples_are_checked_in_one_compilation_of_the_components(tmp_path: Path) -> None:
    """Each example compiled with every component of the document made Plaid's contract take minutes."""
    schemas = {f"S{index}": {"type": "object", "properties": {"n": {"type": "integer"}}} for index in range(100)}
    for index in range(100):
        schemas[f"S{index}"]["example"] = {"n": "one" if index == 42 else index}
    document = {"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}}
    document["components"] = {"schemas": schemas}
    path = write(tmp_path, json.dumps(document, indent=1), "x.json")

    assert [finding.path for finding in lint_contract(path)] == ["components.schemas.S42.example"]


#: ../shared/reference/real-contracts beside the clone (or LENDSIM_REAL_CONTRACTS): public contracts, not ours to ship.
CORPUS = Path(
    os.environ.get("LENDSIM_REAL_CONTRACTS")
    or Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-contracts"
)


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world contracts are not at {CORPUS}")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("petstore.yaml", []),
        ("adyen_checkout.json", []),
        # Plaid's own mistakes: two examples without the required risk_tier (twice each), a date as a date-time.
        (
            "plaid.yml",
            [
                "paths./processor/signal/evaluate.post.responses.200.content.application/json.examples.example-1.value",
                "paths./processor/signal/evaluate.post.responses.200.content.application/json.examples.example-1.value",
                "paths./signal/evaluate.post.responses.200.content.application/json.examples.example-1.value",
                "paths./signal/evaluate.post.responses.200.content.application/json.examples.example-1.value",
                "components.schemas.ConnectedApplication.properties.created_at.example",
            ],
        ),
    ],
)
def test_a_real_world_contract_gets_only_the_findings_it_deserves(name: str, expected: list[str]) -> None:
    assert [finding.path for finding in lint_contract(CORPUS / name)] == expected


WIRE_TEXT = """\
openapi: 3.0.1
info: {title: x, version: '1'}
paths:
  /calls:
    post:
      operationId: createCall
      parameters:
        - name: Beta
          in: query
          schema: {type: boolean}
          examples: {on: {value: 'true'}, wrong: {value: 'maybe'}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                StatusCallbackEvent: {type: array, items: {type: string, enum: [ringing, answered]}}
                Timeout: {type: integer}
            examples:
              one: {value: {StatusCallbackEvent: ringing, Timeout: '30'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {price: {type: number, nullable: true}}}
              example: {price: '-0.0025'}
"""


def test_an_example_of_what_travels_as_text_is_read_as_the_mock_reads_it(tmp_path: Path) -> None:
    # On the wire a query parameter and a form field are text: 'true' is a boolean there, one value of an array
    # field is that array. A JSON answer's '-0.0025' is a string where a number belongs: that one is found.
    found = lint_contract(write(tmp_path, WIRE_TEXT))

    assert [finding.path for finding in found] == [
        "paths./calls.post.parameters[0].examples.wrong.value",
        "paths./calls.post.responses.200.content.application/json.example",
    ]
