"""A contract served with ``--contract`` enforces its securitySchemes as its partner would (401 or 403 with
WWW-Authenticate; ``--no-auth`` relaxes it); lendsim's own partners never enforce their contracts' schemes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from simulator.core import Engine
from simulator.errors import ConfigError
from tests.cli.test_serve import serving
from tests.core.helpers import call

CONTRACT = """\
openapi: 3.0.1
info: {title: Messaging, version: "1"}
security: [{basic: []}]
paths:
  /Messages:
    post:
      operationId: createMessage
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {type: object, properties: {sid: {type: string}}}
  /Keys:
    get:
      operationId: listKeys
      security: [{apiKey: []}, {oauth: []}]
      responses: {"200": {description: ok}}
  /Status:
    get:
      operationId: status
      security: [{}, {basic: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    apiKey: {type: apiKey, in: header, name: X-API-Key}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://example.com/token', scopes: {}}}}
"""

BASIC = "Basic " + base64.b64encode(b"AC123:secret").decode()


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "messaging.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(extra_contracts=[_write(tmp_path)])


def test_a_request_without_credentials_is_401_with_the_challenge_and_what_to_send(engine: Engine) -> None:
    response = call(engine, "POST", "/messaging/Messages")

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="basic"'
    assert "'Authorization: Basic …'" in json.loads(response.body)["detail"]


def test_credentials_of_the_scheme_asked_for_pass(engine: Engine) -> None:
    assert call(engine, "POST", "/messaging/Messages", headers={"authorization": BASIC}).status == 201


@pytest.mark.parametrize(
    "authorization", ["Bearer abc", "Basic not-base64!", "Basic " + base64.b64encode(b"x").decode()]
)
def test_credentials_of_another_form_are_403(engine: Engine, authorization: str) -> None:
    response = call(engine, "POST", "/messaging/Messages", headers={"authorization": authorization})

    assert response.status == 403
    assert response.headers["WWW-Authenticate"] == 'Basic realm="basic"'


def test_either_alternative_of_an_operation_passes_and_the_challenge_names_both(engine: Engine) -> None:
    refused = call(engine, "GET", "/messaging/Keys")

    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"] == 'ApiKey realm="apiKey", header="X-API-Key", Bearer realm="oauth"'
    assert call(engine, "GET", "/messaging/Keys", headers={"x-api-key": "k"}).status == 200
    assert call(engine, "GET", "/messaging/Keys", headers={"authorization": "Bearer t"}).status == 200


def test_an_empty_requirement_makes_credentials_optional(engine: Engine) -> None:
    assert call(engine, "GET", "/messaging/Status").status == 200


def test_without_auth_no_credentials_are_needed(tmp_path: Path) -> None:
    engine = Engine(extra_contracts=[_write(tmp_path)], auth=False)

    assert call(engine, "POST", "/messaging/Messages").status == 201


def test_a_partner_of_lendsim_own_contracts_does_not_enforce_its_contract_schemes(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    _write(folder)

    engine = Engine(contracts=folder)

    assert call(engine, "POST", "/messaging/Messages").status == 201


@pytest.mark.slow
def test_serve_enforces_a_contract_schemes_and_no_auth_relaxes_them(tmp_path: Path) -> None:
    path = _write(tmp_path)

    with serving("--contract", str(path)) as served:
        refused = httpx.post(f"{served.url}/messaging/Messages")
    with serving("--contract", str(path), "--no-auth") as served:
        relaxed = httpx.post(f"{served.url}/messaging/Messages")

    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, 'Basic realm="basic"')
    assert relaxed.status_code == 201


def test_given_the_credentials_to_accept_only_those_pass_and_others_of_the_right_form_are_401(tmp_path: Path) -> None:
    engine = Engine(extra_contracts=[_write(tmp_path)], credentials=["AC123:secret", "key-1"])
    wrong_password = "Basic " + base64.b64encode(b"AC123:guess").decode()

    assert call(engine, "POST", "/messaging/Messages", headers={"authorization": BASIC}).status == 201
    assert call(engine, "GET", "/messaging/Keys", headers={"x-api-key": "key-1"}).status == 200
    refused = call(engine, "POST", "/messaging/Messages", headers={"authorization": wrong_password})
    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="basic"'
    assert "not among those this mock accepts (serve --credential)" in json.loads(refused.body)["detail"]
    assert call(engine, "GET", "/messaging/Keys", headers={"x-api-key": "key-2"}).status == 401
    assert call(engine, "GET", "/messaging/Keys", headers={"authorization": "Bearer key-3"}).status == 401
    assert call(engine, "GET", "/messaging/Keys", headers={"authorization": "Bearer key-1"}).status == 200
    assert call(engine, "POST", "/messaging/Messages", headers={"authorization": "Bearer x"}).status == 403


def test_credentials_given_as_one_string_are_refused_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="one string; pass a list"):
        Engine(extra_contracts=[_write(tmp_path)], credentials="AC123:secret")
