"""The generic mock answers a served contract's operation as the contract says: which status (``Prefer: code``, a
redirect-only operation's own), which media type (``Accept``), which body (named examples, ``Prefer: dynamic``,
stable per request, echoing parameters), required headers, and non-JSON bodies raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.core import Engine
from simulator.errors import ConfigError
from tests.core.helpers import call

CONTRACT = """\
openapi: 3.1.0
info: {title: Partner, version: "1"}
paths:
  /accounts/{accountId}:
    get:
      operationId: getAccount
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string, pattern: '^[a-z]+[0-9]*$'}}
        - {name: currency, in: query, schema: {type: string, enum: [EUR, USD]}}
      responses:
        "200":
          description: ok
          headers:
            X-Request-Id: {required: true, schema: {type: string, format: uuid}}
            X-Optional: {schema: {type: string}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Account'}
            text/plain:
              schema: {type: string, maxLength: 40}
        "404":
          description: no such account
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
              examples:
                missing: {value: {errorCode: "14_030", message: no such account}}
                closed: {value: {errorCode: "14_031", message: account closed}}
  /Accounts/{AccountSid}/Messages/{Sid}.json:
    get:
      operationId: fetchMessage
      parameters:
        - {name: AccountSid, in: path, required: true, schema: {type: string}}
        - {name: Sid, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: a message
          content:
            application/json:
              schema:
                type: object
                required: [sid, account_sid, id]
                properties: {sid: {type: string}, account_sid: {type: string}, id: {type: string}}
  /links/{linkId}:
    get:
      operationId: getLink
      parameters: [{name: linkId, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: a payment link
          content:
            application/json:
              schema: {type: object, required: [id, url], properties: {id: {type: string}, url: {type: string}}}
  /statements/{id}:
    get:
      operationId: getStatement
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: a PDF
          content:
            application/pdf:
              schema: {type: string, format: binary}
  /legacy:
    get:
      operationId: legacy
      responses:
        "307":
          description: moved
          headers:
            Location: {required: true, schema: {type: string, format: uri}}
  /greeting:
    get:
      operationId: greeting
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [text], properties: {text: {type: string}}}
              example: {text: hello}
components:
  schemas:
    Account:
      type: object
      required: [accountId, balance, currency]
      properties:
        accountId: {type: string}
        currency: {type: string, enum: [EUR, USD]}
        balance: {type: integer, minimum: 0}
    Error:
      type: object
      required: [errorCode]
      properties: {errorCode: {type: string}, message: {type: string}}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "partner.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return Engine(extra_contracts=[path])


def _json(body: bytes) -> object:
    return json.loads(body)


def test_the_same_request_gets_the_same_answer_and_its_parameters_echoed(engine: Engine) -> None:
    first = call(engine, "GET", "/partner/accounts/abc1", query="currency=USD")
    again = call(engine, "GET", "/partner/accounts/abc1", query="currency=USD")
    other = call(engine, "GET", "/partner/accounts/xyz", query="currency=EUR")

    assert first.status == 200
    assert first.body == again.body
    account = _json(first.body)
    assert isinstance(account, dict)
    assert (account["accountId"], account["currency"]) == ("abc1", "USD")
    other_account = _json(other.body)
    assert isinstance(other_account, dict)
    assert (other_account["accountId"], other_account["currency"]) == ("xyz", "EUR")
    assert engine.journal.query(kind="drift").items == []


def test_a_parameter_is_echoed_into_its_field_whatever_its_case_and_the_last_one_names_the_resource_id(
    engine: Engine,
) -> None:
    message = _json(call(engine, "GET", "/partner/Accounts/AC123/Messages/SM9.json").body)
    link = _json(call(engine, "GET", "/partner/links/PL42").body)

    assert isinstance(message, dict) and isinstance(link, dict)
    assert (message["sid"], message["account_sid"]) == ("SM9", "AC123")
    assert message["id"] != "SM9"  # Sid has a field of its own: id is left as generated
    assert link["id"] == "PL42"


def test_a_required_response_header_is_sent_generated_from_its_schema_and_an_optional_one_is_not(
    engine: Engine,
) -> None:
    response = call(engine, "GET", "/partner/accounts/abc")

    assert len(response.headers["X-Request-Id"]) == 36
    assert response.headers["X-Request-Id"].count("-") == 4
    assert "X-Optional" not in response.headers


def test_prefer_code_answers_that_status_with_its_first_example_or_the_one_named(engine: Engine) -> None:
    missing = call(engine, "GET", "/partner/accounts/abc", headers={"prefer": "code=404"})
    closed = call(engine, "GET", "/partner/accounts/abc", headers={"prefer": "code=404, example=closed"})

    assert (missing.status, _json(missing.body)) == (404, {"errorCode": "14_030", "message": "no such account"})
    assert (closed.status, _json(closed.body)) == (404, {"errorCode": "14_031", "message": "account closed"})


def test_a_preference_the_contract_cannot_meet_is_422_naming_what_it_declares(engine: Engine) -> None:
    code = call(engine, "GET", "/partner/accounts/abc", headers={"prefer": "code=418"})
    example = call(engine, "GET", "/partner/accounts/abc", headers={"prefer": "code=404, example=gone"})

    assert code.status == 422
    assert "declared: 200, 404" in str(_json(code.body))
    assert example.status == 422
    assert "its examples: missing, closed" in str(_json(example.body))


def test_prefer_dynamic_generates_from_the_schema_instead_of_the_example(engine: Engine) -> None:
    static = call(engine, "GET", "/partner/greeting")
    dynamic = call(engine, "GET", "/partner/greeting", headers={"prefer": "dynamic=true"})

    assert _json(static.body) == {"text": "hello"}
    generated = _json(dynamic.body)
    assert isinstance(generated, dict) and isinstance(generated["text"], str)
    assert generated != {"text": "hello"}


def test_accept_picks_the_media_type_and_one_the_operation_never_answers_is_406(engine: Engine) -> None:
    text = call(engine, "GET", "/partner/accounts/abc", headers={"accept": "text/plain"})
    refused = call(engine, "GET", "/partner/accounts/abc", headers={"accept": "application/xml"})
    either = call(engine, "GET", "/partner/accounts/abc", headers={"accept": "text/*;q=0.5, application/json"})

    assert text.status == 200
    assert text.headers["content-type"] == "text/plain"
    assert not text.body.startswith(b'"')  # the text itself, not a JSON string
    assert len(text.body.decode()) <= 40
    assert refused.status == 406
    assert "application/json, text/plain" in str(_json(refused.body))
    assert either.headers["content-type"] == "application/json"


def test_a_non_json_answer_is_sent_raw(engine: Engine) -> None:
    response = call(engine, "GET", "/partner/statements/s1")

    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert not response.body.startswith(b'"')


def test_a_redirect_only_operation_answers_its_code_with_its_required_location(engine: Engine) -> None:
    response = call(engine, "GET", "/partner/legacy")

    assert response.status == 307
    assert response.headers["Location"].startswith(("http://", "https://"))
    assert response.body == b""


ERRORS = """\
openapi: 3.1.0
info: {title: Checkout, version: "1"}
paths:
  /payments:
    post:
      operationId: payments
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [amount], properties: {amount: {type: integer}}}
      responses:
        "200": {description: ok}
        "400":
          description: bad request
          content:
            application/json:
              schema: {type: object, properties: {errorCode: {type: string}, status: {type: integer}}}
              examples:
                generic: {value: {errorCode: "14_030", status: 400}}
  /refunds:
    post:
      operationId: refunds
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [amount], properties: {amount: {type: integer}}}
      responses:
        "200": {description: ok}
        "400": {description: bad request}
"""


def test_a_refused_request_gets_the_contract_declared_error_example_or_else_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "checkout.yaml"
    path.write_text(ERRORS, encoding="utf-8")
    engine = Engine(extra_contracts=[path])

    declared = call(engine, "POST", "/checkout/payments", {"amount": "ten"})
    undeclared = call(engine, "POST", "/checkout/refunds", {"amount": "ten"})

    assert (declared.status, _json(declared.body)) == (400, {"errorCode": "14_030", "status": 400})
    assert declared.headers["content-type"] == "application/json"
    assert undeclared.status == 400
    assert undeclared.headers["content-type"] == "application/problem+json"
    assert "body.amount" in str(_json(undeclared.body))


FORM = """\
openapi: 3.0.1
info: {title: Sms, version: "1"}
paths:
  /Messages:
    post:
      operationId: createMessage
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [To]
              properties:
                To: {type: string}
                MaxPrice: {type: number}
                Tags: {type: array, items: {type: string}}
                Card: {type: object, properties: {exp_month: {type: integer, maximum: 12}}}
      responses:
        "201": {description: created}
"""


def test_a_form_body_is_read_as_its_schema_types_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "sms.yaml"
    path.write_text(FORM, encoding="utf-8")
    engine = Engine(extra_contracts=[path])
    form = {"content-type": "application/x-www-form-urlencoded"}

    missing = call(engine, "POST", "/sms/Messages", raw=b"Body=hi", headers=form)
    too_big = call(engine, "POST", "/sms/Messages", raw=b"To=%2B15551234&Card[exp_month]=13", headers=form)
    typed = call(
        engine, "POST", "/sms/Messages", raw=b"To=1&MaxPrice=0.5&Tags=a&Tags=b&Card[exp_month]=4", headers=form
    )

    assert missing.status == 400
    assert "body.To" in str(_json(missing.body))
    assert too_big.status == 400
    assert "body.Card.exp_month" in str(_json(too_big.body))
    assert typed.status == 201
    request = engine.journal.query(kind="request", limit=10).items[-1]
    assert request.data["body"] == {"To": "1", "MaxPrice": 0.5, "Tags": ["a", "b"], "Card": {"exp_month": 4}}


def _people(servers: str) -> str:
    return f"""\
openapi: 3.1.0
info: {{title: People, version: "1"}}
servers: [{{url: '{servers}'}}]
paths:
  /people/{{id}}:
    get:
      operationId: person
      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{type: object, required: [name], properties: {{name: {{type: string}}}}}}
"""


def _name(engine: Engine) -> str:
    person = _json(call(engine, "GET", "/people/people/p1").body)
    assert isinstance(person, dict)
    return str(person["name"])


def _is_chinese(text: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" for char in text)


def test_generated_people_follow_the_contract_locale_or_the_one_given(tmp_path: Path) -> None:
    english, chinese = tmp_path / "en", tmp_path / "cn"
    english.mkdir()
    chinese.mkdir()
    (english / "people.yaml").write_text(_people("https://api.partner.com/v1"), encoding="utf-8")
    (chinese / "people.yaml").write_text(_people("https://api.partner.com.cn"), encoding="utf-8")

    assert _name(Engine(extra_contracts=[english / "people.yaml"])).replace(" ", "").replace(".", "").isascii()
    assert _is_chinese(_name(Engine(extra_contracts=[chinese / "people.yaml"])))
    assert _is_chinese(_name(Engine(extra_contracts=[english / "people.yaml"], locale="zh_CN")))
    # lendsim's own partners (a contracts folder) keep mainland people.
    assert _is_chinese(_name(Engine(contracts=english)))


def test_an_unknown_locale_is_refused_naming_the_close_ones(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(_people("https://api.partner.com"), encoding="utf-8")

    with pytest.raises(ConfigError, match=r"--locale 'en_UK' is not a locale Faker knows; did you mean 'en_US'"):
        Engine(extra_contracts=[tmp_path / "people.yaml"], locale="en_UK")


INVALID_EXAMPLE = """\
openapi: 3.0.3
info: {title: Messages, version: "1"}
paths:
  /messages:
    get:
      operationId: listMessages
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                type: object
                required: [uri]
                properties: {uri: {type: string, format: uri}}
              examples:
                relative: {value: {uri: /2010-04-01/Messages.json}}
                absolute: {value: {uri: "https://api.example.com/2010-04-01/Messages.json"}}
  /calls:
    get:
      operationId: listCalls
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                type: object
                required: [uri]
                properties: {uri: {type: string, format: uri}}
              example: {uri: /2010-04-01/Calls.json}
"""


def test_an_example_its_own_schema_refuses_is_passed_over_unless_asked_for_by_name(tmp_path: Path) -> None:
    """Twilio's examples write relative URIs where the schema says ``format: uri``: a client that validates the
    mock's answers would fail where the partner's own pass."""
    path = tmp_path / "messages.yaml"
    path.write_text(INVALID_EXAMPLE, encoding="utf-8")
    engine = Engine(extra_contracts=[path])

    next_valid = call(engine, "GET", "/messages/messages")
    none_valid = call(engine, "GET", "/messages/calls")
    asked_for = call(engine, "GET", "/messages/messages", headers={"prefer": "example=relative"})

    assert _json(next_valid.body) == {"uri": "https://api.example.com/2010-04-01/Messages.json"}
    generated = _json(none_valid.body)
    assert isinstance(generated, dict) and generated["uri"] != "/2010-04-01/Calls.json"
    operation = engine.contracts["messages"].operation("listCalls")
    assert operation.validate_response(200, generated, "application/json") == []
    assert _json(asked_for.body) == {"uri": "/2010-04-01/Messages.json"}


ERROR_SCHEMA_ONLY = """\
openapi: 3.0.3
info: {title: Bank link, version: "1"}
paths:
  /item/get:
    post:
      operationId: itemGet
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [access_token]
              properties: {access_token: {type: string}}
      responses:
        "200":
          description: the item
          content: {application/json: {schema: {type: object}}}
        default:
          description: an error
          content:
            application/json:
              schema:
                type: object
                required: [error_type, error_code, error_message]
                properties:
                  error_type: {type: string, enum: [INVALID_REQUEST, API_ERROR]}
                  error_code: {type: string}
                  error_message: {type: string}
                  display_message: {type: string, nullable: true}
"""


def test_a_refusal_where_the_contract_declares_an_error_schema_but_no_example_is_generated_from_it(
    tmp_path: Path,
) -> None:
    """Plaid declares its errors (PlaidError, as application/json) without examples: the mock's refusal follows that
    schema and says in its message what was wrong, rather than answer problem+json, which the contract never names."""
    path = tmp_path / "link.yaml"
    path.write_text(ERROR_SCHEMA_ONLY, encoding="utf-8")
    engine = Engine(extra_contracts=[path])

    refused = call(engine, "POST", "/link/item/get", body={"access_token": 7})
    again = call(engine, "POST", "/link/item/get", body={"access_token": 7})

    assert refused.status == 400
    assert refused.headers["content-type"].startswith("application/json")
    error = _json(refused.body)
    assert isinstance(error, dict)
    assert error["error_type"] in ("INVALID_REQUEST", "API_ERROR")
    assert "body.access_token" in error["error_message"]
    assert engine.contracts["link"].operation("itemGet").validate_response(400, error, "application/json") == []
    assert again.body == refused.body
