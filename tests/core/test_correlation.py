"""The ids a request and its answer are journaled under: which field names a borrower, a loan, a serial, an SMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core import Call, Engine, Reply
from tests.core.helpers import call

CONTRACT = """\
openapi: 3.0.3
info: {title: Things, version: "1"}
servers: [{url: "https://api.things.example"}]
paths:
  /items/{loanOuterNo}:
    post:
      operationId: putThing
      parameters:
        - {name: loanOuterNo, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
              example: {}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "things.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return Engine(extra_contracts=[path])


def test_a_request_is_journaled_under_its_parameters_ids_over_its_bodys_and_the_first_sms_field(
    engine: Engine,
) -> None:
    body = {"loanOuterNo": "LN-BODY", "borrowerId": "B-1", "repayOuterNo": 7, "out_id": "SMS-2", "OutId": "SMS-1"}

    call(engine, "POST", "/things/items/LN-PATH", body)

    request = engine.journal.query(partner="things", kind="request").items[0]
    assert (request.borrower, request.loan, request.serial, request.sms_out_id) == ("B-1", "LN-PATH", None, "SMS-1")


def test_the_answer_is_journaled_under_the_ids_its_reply_names_over_the_requests(engine: Engine) -> None:
    def behaviour(c: Call) -> Reply:
        return Reply(200, {}, loan="LN-REPLY", serial="RP-REPLY")

    engine.behaviours[("things", "putThing")] = behaviour

    call(engine, "POST", "/things/items/LN-PATH", {"borrowerId": "B-1", "out_id": "SMS-2"})

    request, response = engine.journal.query(partner="things").items
    assert (request.borrower, request.loan, request.serial, request.sms_out_id) == ("B-1", "LN-PATH", None, "SMS-2")
    assert (response.borrower, response.loan, response.serial, response.sms_out_id) == (
        "B-1",
        "LN-REPLY",
        "RP-REPLY",
        "SMS-2",
    )
    assert response.correlation == request.correlation
