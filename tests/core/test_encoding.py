"""The core writes each body once: what the journal holds is what went over the wire, and what the journal's
encoder refuses is refused as before (a JournalError naming the bad value)."""

from __future__ import annotations

import json

import pytest

from simulator.core import Engine, Reply
from simulator.errors import JournalError
from tests.core.helpers import REPAYMENT, call


def test_the_journaled_response_body_is_the_body_on_the_wire(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    journaled = engine.journal.last(kind="response")
    assert journaled is not None and journaled.data["body"] == json.loads(response.body)
    assert response.body == json.dumps(json.loads(response.body), ensure_ascii=False, separators=(",", ":")).encode()


def test_the_journaled_request_is_the_request_as_sent(engine: Engine) -> None:
    call(engine, "POST", "/bank/repayments", {**REPAYMENT, "reqNo": "请求-1"}, headers={"user-agent": "platform/1"})

    journaled = engine.journal.last(kind="request")
    assert journaled is not None
    assert journaled.data == {
        "method": "POST",
        "path": "/bank/repayments",
        "headers": {"content-type": "application/json", "user-agent": "platform/1"},
        "body": {**REPAYMENT, "reqNo": "请求-1"},
    }


def test_a_reply_the_journal_cannot_hold_is_refused_as_before() -> None:
    engine = Engine()
    engine.behaviours[("bank", "repayApply")] = lambda c: Reply(200, {"rate": float("nan")})

    with pytest.raises(JournalError, match=r"data\['body'\]\['rate'\] is nan"):
        call(engine, "POST", "/bank/repayments", REPAYMENT)


def test_a_request_with_nan_is_a_400_naming_the_rule_and_is_journaled(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", raw=b'{"reqNo": NaN}')

    assert response.status == 400
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("body.reqNo", "finite")]
    journaled = engine.journal.last(kind="request")
    assert journaled is not None and journaled.data["bodyText"] == '{"reqNo": NaN}'


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b' {\n  "reqNo" : "REQ-1",\t"repayOuterNo": "RP-\\u00e9\\/\\n",  "amount": 1.0E+2 } \n', {}),
        (b'{"reqNo":"REQ-2","n":-0,"x":-0.0,"tiny":1e-400}', {}),
        (b'{"reqNo":"\xe8\xaf\xb7\xe6\xb1\x82","big":1234567890123456}', {"x-request-id": "1234567890123456789012"}),
    ],
)
def test_a_plain_body_is_journaled_as_it_reads(engine: Engine, raw: bytes, headers: dict[str, str]) -> None:
    call(engine, "POST", "/bank/repayments", raw=raw, headers=headers)

    journaled = engine.journal.last(kind="request")
    assert journaled is not None
    assert repr(journaled.data["body"]) == repr(json.loads(raw))  # repr: 1 and 1.0, -0.0 and 0.0 told apart
    assert journaled.data["headers"] == {"content-type": "application/json", **headers}
