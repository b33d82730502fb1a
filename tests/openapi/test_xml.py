"""XML request bodies read by their schema's shape and validated like JSON ones (simulator/openapi/_xml.py): the
``xml`` object's names, attributes and wrapped arrays; text typed as the schema says; DTDs and entities refused.
The contract is shaped like the Swagger Petstore's, whose XML bodies were accepted unread before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.core import Engine
from tests.core.helpers import call

CONTRACT = """\
openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pet:
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
          application/xml: {schema: {$ref: "#/components/schemas/Pet"}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}
components:
  schemas:
    Category:
      type: object
      properties: {id: {type: integer}, name: {type: string}}
      xml: {name: category}
    Pet:
      type: object
      required: [name, photoUrls]
      properties:
        id: {type: integer, format: int64, xml: {attribute: true}}
        name: {type: string}
        category: {$ref: "#/components/schemas/Category"}
        photoUrls:
          type: array
          xml: {wrapped: true}
          items: {type: string, xml: {name: photoUrl}}
        tags:
          type: array
          items: {type: string, xml: {name: tag}}
        status: {type: string, enum: [available, pending, sold]}
        vaccinated: {type: boolean}
        weight: {type: number, maximum: 100}
      xml: {name: pet}
"""
XML = {"content-type": "application/xml"}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "pets.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return Engine(extra_contracts=[path])


def _problem_fields(body: bytes) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in json.loads(body)["errors"]]


def test_a_valid_xml_body_is_read_as_its_schema_describes_and_taken(engine: Engine) -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><pet id="10"><name>doggie</name>'
        b"<category><id>1</id><name>Dogs</name></category>"
        b"<photoUrls><photoUrl>a.png</photoUrl><photoUrl>b.png</photoUrl></photoUrls>"
        b"<tag>small</tag><tag>brown</tag><status>sold</status><vaccinated>true</vaccinated><weight>12.5</weight></pet>"
    )

    answer = call(engine, "POST", "/pets/pet", raw=body, headers=XML)

    assert answer.status == 200, answer.body
    request = engine.journal.query(kind="request", limit=10).items[-1]
    assert request.data["body"] == {
        "id": 10,
        "name": "doggie",
        "category": {"id": 1, "name": "Dogs"},
        "photoUrls": ["a.png", "b.png"],
        "tags": ["small", "brown"],
        "status": "sold",
        "vaccinated": True,
        "weight": 12.5,
    }


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b"<pet><name>x</name><photoUrls/><vaccinated></vaccinated></pet>", ("body.vaccinated", "type")),
        (b"<pet><name>x</name><photoUrls/><weight>100.5</weight></pet>", ("body.weight", "maximum")),
        (b"<pet><name>x</name><photoUrls/><status>lost</status></pet>", ("body.status", "enum")),
        (b'<pet id="ten"><name>x</name><photoUrls/></pet>', ("body.id", "type")),
        (b"<pet><photoUrls/></pet>", ("body.name", "required")),
        (b"<pet><name>x</name><photoUrls/><category><id>one</id></category></pet>", ("body.category.id", "type")),
        (b"<pet>true</pet>", ("body", "type")),
    ],
)
def test_an_xml_body_that_breaks_its_schema_is_refused_naming_the_field_and_the_rule(
    engine: Engine, body: bytes, refused: tuple[str, str]
) -> None:
    answer = call(engine, "POST", "/pets/pet", raw=body, headers=XML)

    assert answer.status == 400
    assert _problem_fields(answer.body) == [refused]


def test_xml_with_entities_is_refused_not_expanded(engine: Engine) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<pet><name>&lol2;</name><photoUrls/></pet>"
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE pet [<!ENTITY x SYSTEM "file:///etc/passwd">]><pet><name>&x;</name></pet>'
    )

    answers = [call(engine, "POST", "/pets/pet", raw=body, headers=XML) for body in (laughs, external)]

    assert [answer.status for answer in answers] == [400, 400]
    for answer in answers:
        assert _problem_fields(answer.body) == [("body", "xml")]
        assert "without a DTD or entities" in json.loads(answer.body)["errors"][0]["message"]
        assert b"root:" not in answer.body


def test_malformed_xml_is_refused_with_its_position(engine: Engine) -> None:
    answer = call(engine, "POST", "/pets/pet", raw=b"<pet><name>x</pet>", headers=XML)

    assert answer.status == 400
    error = json.loads(answer.body)["errors"][0]
    assert (error["field"], error["rule"]) == ("body", "xml")
    assert error["message"].startswith("malformed XML at line 1, column ")
