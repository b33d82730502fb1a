"""What Stripe's contract asks of a mock that reads forms, over HTTP (``lendsim check`` on spec3 found each):
``style: deepObject`` query parameters (``created[gt]=1``), a parameter typed by its ``anyOf`` branches (an integer
or a range), a multipart part sent as JSON, a required list inside a form's object, and the refusal's reason in the
``message`` of Stripe's ``{"error": {…}}`` body."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from simulator.core import Engine
from simulator.http import create_app
from tests.http.conftest import running

CONTRACT = """\
openapi: 3.0.0
info: {title: Payments, version: "1"}
paths:
  /v1/charges:
    get:
      operationId: GetCharges
      parameters:
        - name: created
          in: query
          style: deepObject
          explode: true
          schema:
            anyOf:
              - {type: object, title: range_query_specs, properties: {gt: {type: integer}, lte: {type: integer}}}
              - {type: integer}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: a page of charges
          content: {application/json: {schema: {type: object, properties: {object: {type: string, enum: [list]}}}}}
        default:
          description: an error
          content: {application/json: {schema: {$ref: "#/components/schemas/error"}}}
  /v1/files:
    post:
      operationId: PostFiles
      requestBody:
        content:
          multipart/form-data:
            encoding: {file_link_data: {style: deepObject, explode: true}}
            schema:
              type: object
              required: [file, purpose]
              properties:
                file: {type: string, format: binary}
                purpose: {type: string, enum: [dispute_evidence]}
                file_link_data:
                  type: object
                  required: [create]
                  properties: {create: {type: boolean}, expires_at: {type: integer}}
      responses:
        "200": {description: stored}
        default:
          description: an error
          content: {application/json: {schema: {$ref: "#/components/schemas/error"}}}
  /v1/terminal/readers/{reader}/set_reader_display:
    post:
      operationId: PostTerminalReadersReaderSetReaderDisplay
      parameters: [{name: reader, in: path, required: true, schema: {type: string}}]
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [type]
              properties:
                type: {type: string, enum: [cart]}
                payment_method_types:
                  anyOf:
                    - {type: array, items: {type: string, enum: [card]}}
                    - {type: string, enum: [""]}
                cart:
                  type: object
                  required: [currency, line_items, total]
                  properties:
                    currency: {type: string}
                    total: {type: integer}
                    line_items:
                      type: array
                      items: {type: object, required: [amount], properties: {amount: {type: integer}}}
      responses:
        "200": {description: shown}
        default:
          description: an error
          content: {application/json: {schema: {$ref: "#/components/schemas/error"}}}
components:
  schemas:
    error:
      type: object
      required: [error]
      properties: {error: {$ref: "#/components/schemas/api_errors"}}
    api_errors:
      type: object
      required: [type]
      properties:
        message: {type: string}
        type: {type: string, enum: [invalid_request_error]}
"""


@pytest.fixture(scope="module")
def stripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("contract") / "stripe.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    with running(create_app(Engine(extra_contracts=[path]))) as url:
        yield f"{url}/stripe"


def _message(answer: httpx.Response) -> str:
    body = answer.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["message"])


@pytest.mark.parametrize(
    "query",
    ["created[gt]=1&created[lte]=2", "created%5Bgt%5D=1", "created=1700000000", "limit=3&created[gt]=1"],
)
def test_a_deep_object_or_union_typed_query_parameter_is_read_by_its_schema(stripe: str, query: str) -> None:
    answer = httpx.get(f"{stripe}/v1/charges?{query}")

    assert answer.status_code == 200, answer.text


def test_a_deep_object_query_parameter_of_the_wrong_type_is_refused_naming_it_in_stripes_error_message(
    stripe: str,
) -> None:
    wrong_field = httpx.get(f"{stripe}/v1/charges?created[gt]=soon")
    unknown = httpx.get(f"{stripe}/v1/charges?created[gt]=1&createdd[gt]=1")
    not_declared = httpx.get(f"{stripe}/v1/charges?limits[a]=1")

    assert wrong_field.status_code == 400
    assert _message(wrong_field).startswith("query.created: ")
    assert '"gt":"soon"' in _message(wrong_field).replace(" ", "")
    assert unknown.status_code == 400
    assert "query.createdd[gt]: unknown query parameter" in _message(unknown)
    assert not_declared.status_code == 400
    assert "query.limits[a]: unknown query parameter" in _message(not_declared)


def _files(link: tuple[str, bytes, str | None] | None = None, **parts: str) -> dict[str, tuple[str | None, bytes, str]]:
    files: dict[str, tuple[str | None, bytes, str]] = {
        "file": ("evidence.png", b"\x89PNG\r\n\x1a\n", "image/png"),
        "purpose": (None, b"dispute_evidence", "text/plain"),
    }
    if link is not None:
        files[link[0]] = (None, link[1], link[2] or "text/plain")
    for name, text in parts.items():
        files[name] = (None, text.encode(), "text/plain")
    return files


def test_a_multipart_part_sent_as_json_is_read_as_the_object_it_holds(stripe: str) -> None:
    as_json = httpx.post(
        f"{stripe}/v1/files", files=_files(("file_link_data", b'{"create": true}', "application/json"))
    )
    as_fields = httpx.post(f"{stripe}/v1/files", files=_files(("file_link_data[create]", b"true", None)))
    wrong = httpx.post(f"{stripe}/v1/files", files=_files(("file_link_data", b'{"create": "yes"}', "application/json")))
    not_json = httpx.post(f"{stripe}/v1/files", files=_files(("file_link_data", b"{create", "application/json")))

    assert as_json.status_code == 200, as_json.text
    assert as_fields.status_code == 200, as_fields.text
    assert wrong.status_code == 400
    assert "body.file_link_data.create" in _message(wrong)
    assert not_json.status_code == 400
    assert "body.file_link_data" in _message(not_json)


def test_a_required_list_inside_a_forms_object_may_be_empty_as_a_form_writes_it_but_its_items_are_checked(
    stripe: str,
) -> None:
    url = f"{stripe}/v1/terminal/readers/tmr_1/set_reader_display"
    form = {"content-type": "application/x-www-form-urlencoded"}

    empty = httpx.post(url, content=b"type=cart&cart[currency]=usd&cart[total]=0", headers=form)
    listed = httpx.post(
        url, content=b"type=cart&cart[currency]=usd&cart[total]=5&cart[line_items][0][amount]=5", headers=form
    )
    wrong_item = httpx.post(
        url, content=b"type=cart&cart[currency]=usd&cart[total]=5&cart[line_items][0][amount]=five", headers=form
    )
    no_cart_total = httpx.post(url, content=b"type=cart&cart[currency]=usd", headers=form)

    assert empty.status_code == 200, empty.text
    assert listed.status_code == 200, listed.text
    assert wrong_item.status_code == 400
    assert "body.cart.line_items[0].amount" in _message(wrong_item)
    assert no_cart_total.status_code == 400
    assert "body.cart.total: is required" in _message(no_cart_total)


def test_the_same_refusal_twice_gets_the_same_body_and_another_refusal_its_own_reason(stripe: str) -> None:
    first = httpx.get(f"{stripe}/v1/charges?limit=many")
    again = httpx.get(f"{stripe}/v1/charges?limit=many")
    other = httpx.get(f"{stripe}/v1/charges?limit=few")

    assert first.status_code == again.status_code == other.status_code == 400
    assert json.loads(first.content) == json.loads(again.content)
    assert "limit" in _message(first) and "many" in _message(first)
    assert "few" in _message(other)
    assert {**first.json()["error"], "message": ""} == {**other.json()["error"], "message": ""}


def test_an_empty_field_of_an_object_is_an_empty_object_and_of_a_text_stays_text(stripe: str) -> None:
    url = f"{stripe}/v1/files"
    link = ("file_link_data", b"", None)

    empty_object = httpx.post(url, files=_files(link))
    empty_text = httpx.post(url, files=_files(None, purpose=""))

    assert empty_object.status_code == 400  # {} where create is required
    assert "body.file_link_data.create: is required" in _message(empty_object)
    assert empty_text.status_code == 400
    assert "body.purpose: '' is not an allowed value" in _message(empty_text)


@pytest.mark.parametrize(("field", "status"), [("", 200), ("card", 200), ("cash", 400)])
def test_an_empty_field_of_a_list_that_may_be_an_empty_text_is_that_text(stripe: str, field: str, status: int) -> None:
    url = f"{stripe}/v1/terminal/readers/tmr_1/set_reader_display"
    form = {"content-type": "application/x-www-form-urlencoded"}

    answer = httpx.post(url, content=f"type=cart&payment_method_types={field}".encode(), headers=form)

    assert answer.status_code == status, answer.text
