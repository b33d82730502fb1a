"""Bad input gets a 4xx problem naming the field, the rule and (for paths) the closest operation.

Never a 500, never a traceback, and every such request is in the journal like any other.
"""

from __future__ import annotations

from simulator.core import MAX_BODY, PROBLEM_JSON, Engine, Request
from tests.core.helpers import REPAYMENT, call


def fields(response_body: dict[str, object]) -> list[tuple[object, object]]:
    return [(e["field"], e["rule"]) for e in response_body["errors"]]  # type: ignore[index, union-attr, attr-defined]


def test_malformed_json_is_a_400_problem(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", raw=b'{"repayOuterNo": ')

    assert response.status == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["title"] == "Bad Request" and body["operation"] == "repayApply"
    assert fields(body) == [("body", "json")]


def test_a_wrong_content_type_is_a_415_problem(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", raw=b"repayOuterNo=1", headers={"content-type": "text/plain"})

    assert response.status == 415
    assert "application/json" in response.json()["detail"]


def test_a_missing_field_is_named(engine: Engine) -> None:
    body = {k: v for k, v in REPAYMENT.items() if k != "repayOuterNo"}

    response = call(engine, "POST", "/bank/repayments", body)

    assert response.status == 400
    assert fields(response.json()) == [("body.repayOuterNo", "required")]


def test_an_unknown_field_is_named(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", {**REPAYMENT, "repayAmout": "1.00"})

    assert response.status == 400
    assert ("body.repayAmout", "additionalProperties") in fields(response.json())


def test_money_as_a_number_is_a_wrong_type(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", {**REPAYMENT, "repayAmount": 1050.0})

    assert response.status == 400
    assert fields(response.json()) == [("body.repayAmount", "type")]


def test_a_body_over_one_mebibyte_is_a_413(engine: Engine) -> None:
    response = engine.handle(
        Request("POST", "/bank/repayments", "", {"content-type": "application/json"}, b"", body_too_large=True)
    )

    assert response.status == 413
    assert f"{MAX_BODY:,}" in response.json()["detail"]


def test_an_unknown_path_suggests_the_closest_operation(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayment", REPAYMENT)

    assert response.status == 404
    assert "POST /bank/repayments (repayApply)" in response.json()["suggestion"]


def test_a_wrong_method_is_a_405_with_allow(engine: Engine) -> None:
    response = call(engine, "DELETE", "/bank/repayments")

    assert response.status == 405
    assert response.headers["allow"] == "POST"


def test_an_unknown_partner_lists_the_served_ones(engine: Engine) -> None:
    response = call(engine, "GET", "/bnak/loans/LN-1")

    assert response.status == 404
    assert response.json()["suggestion"] == "/bank/…"


def test_bad_requests_are_journaled_like_any_request(engine: Engine) -> None:
    call(engine, "POST", "/bank/repayments", raw=b"{oops")

    kinds = [(e.kind, e.operation, e.status) for e in engine.journal]
    assert kinds == [("request", "repayApply", None), ("response", "repayApply", 400)]
    assert engine.journal.last(kind="request").data["bodyText"] == "{oops"  # type: ignore[union-attr]
