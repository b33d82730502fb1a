"""multipart/form-data request bodies read by their schema's types and validated like JSON ones
(simulator/openapi/_form.py), as httpx writes them: fields, repeated fields of an array, a file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from simulator.core import Engine
from simulator.openapi._form import read_form, read_multipart
from tests.core.helpers import call

CONTRACT = """\
openapi: 3.0.3
info: {title: Uploads, version: "1"}
paths:
  /documents:
    post:
      operationId: uploadDocument
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [kind, file]
              properties:
                kind: {type: string, enum: [contract, id_card]}
                pages: {type: integer, minimum: 1}
                tags: {type: array, items: {type: string}}
                signed: {type: boolean}
                file: {type: string, format: binary}
      responses:
        "201": {description: stored}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "uploads.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return Engine(extra_contracts=[path])


def _multipart(data: dict[str, str | list[str]], files: dict[str, bytes] | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and Content-Type httpx sends for these fields and files."""
    request = httpx.Request(
        "POST",
        "http://partner/documents",
        data=data,
        files={name: (name, content) for name, content in (files or {}).items()},
    )
    return request.read(), {"content-type": request.headers["content-type"]}


def test_a_multipart_body_is_read_as_its_schema_types_and_taken(engine: Engine) -> None:
    body, headers = _multipart(
        {"kind": "contract", "pages": "3", "tags": ["a", "b"], "signed": "true"}, {"file": b"%PDF"}
    )

    answer = call(engine, "POST", "/uploads/documents", raw=body, headers=headers)

    assert answer.status == 201, answer.body
    request = engine.journal.query(kind="request", limit=10).items[-1]
    assert request.data["body"] == {"kind": "contract", "pages": 3, "tags": ["a", "b"], "signed": True, "file": "%PDF"}


@pytest.mark.parametrize(
    ("data", "files", "refused"),
    [
        ({"kind": "contract"}, {"note": b"x"}, ("body.file", "required")),  # a file, but not the one required
        ({"kind": "passport"}, {"file": b"x"}, ("body.kind", "enum")),
        ({"kind": "contract", "pages": "0"}, {"file": b"x"}, ("body.pages", "minimum")),
        ({"kind": "contract", "pages": "three"}, {"file": b"x"}, ("body.pages", "type")),
    ],
)
def test_a_multipart_body_that_breaks_its_schema_is_refused_naming_the_field_and_the_rule(
    engine: Engine, data: dict[str, str | list[str]], files: dict[str, bytes] | None, refused: tuple[str, str]
) -> None:
    body, headers = _multipart(data, files)

    answer = call(engine, "POST", "/uploads/documents", raw=body, headers=headers)

    assert answer.status == 400
    assert [(error["field"], error["rule"]) for error in json.loads(answer.body)["errors"]] == [refused]


def test_a_multipart_body_without_its_boundary_is_refused_saying_what_to_send(engine: Engine) -> None:
    body, _ = _multipart({"kind": "contract"}, {"file": b"x"})

    answer = call(engine, "POST", "/uploads/documents", raw=body, headers={"content-type": "multipart/form-data"})

    assert answer.status == 400
    error = json.loads(answer.body)["errors"][0]
    assert (error["field"], error["rule"]) == ("header.content-type", "multipart")
    assert "boundary=" in error["message"]


def test_a_required_array_without_a_field_reads_as_empty_in_a_form_and_in_multipart() -> None:
    """A form writes a list as one field per item, so schemathesis (and any client) sends an empty list as nothing:
    the Petstore's ``photoUrls: []`` came as ``id=10&name=doggie`` and was refused as missing."""
    schema = {
        "type": "object",
        "required": ["name", "photoUrls"],
        "properties": {"name": {"type": "string"}, "photoUrls": {"type": "array"}, "tags": {"type": "array"}},
    }
    body, headers = _multipart({"name": "doggie"}, {"note": b"x"})

    assert read_form("name=doggie", schema) == {"name": "doggie", "photoUrls": []}
    assert read_form("photoUrls=a.png", schema) == {"photoUrls": ["a.png"]}  # the name still missing
    assert read_multipart(body, headers["content-type"], schema) == (
        {"name": "doggie", "note": "x", "photoUrls": []},
        None,
    )


FORM_CONTRACT = """\
openapi: 3.0.1
info: {title: Calls, version: "1"}
paths:
  /Streams:
    post:
      operationId: createStream
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [Url]
              properties: {Url: {type: string}}
      responses:
        "201": {description: created}
"""


def test_an_empty_form_is_a_form_without_fields_and_its_required_ones_are_missing(tmp_path: Path) -> None:
    """Twilio's requestBody is not itself required, but its form's Url is: an empty form lacks it (schemathesis
    found the mock taking such a POST)."""
    path = tmp_path / "calls.yaml"
    path.write_text(FORM_CONTRACT, encoding="utf-8")
    engine = Engine(extra_contracts=[path])
    form = {"content-type": "application/x-www-form-urlencoded"}

    empty = call(engine, "POST", "/calls/Streams", raw=b"", headers=form)
    filled = call(engine, "POST", "/calls/Streams", raw=b"Url=https%3A%2F%2Fexample.com", headers=form)
    without_a_body = call(engine, "POST", "/calls/Streams", raw=b"")

    assert empty.status == 400
    assert [(error["field"], error["rule"]) for error in json.loads(empty.body)["errors"]] == [("body.Url", "required")]
    assert (filled.status, without_a_body.status) == (201, 201)  # no body at all: the operation does not need one
