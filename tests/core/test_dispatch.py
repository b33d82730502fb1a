"""The dispatch function: generic mocks from the contract, journaling, virtual time on every answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.core import VIRTUAL_TIME_HEADER, Call, Engine, Reply
from simulator.errors import DriftError
from tests.core.helpers import REPAYMENT, call


def test_an_operation_without_behaviour_answers_with_its_contract_example(engine: Engine) -> None:
    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.status == 200
    expected = engine.contracts["bank"].operation("repayApply").success.media("application/json").examples[0]  # type: ignore[union-attr]
    assert response.json() == expected


def test_every_answer_carries_the_virtual_time(engine: Engine) -> None:
    engine.advance(by=timedelta(hours=6))

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.headers[VIRTUAL_TIME_HEADER] == "2019-05-01T06:00:00+08:00"


def test_request_and_response_are_journaled_with_correlation_ids(engine: Engine) -> None:
    call(engine, "POST", "/bank/repayments", REPAYMENT)

    request, response = engine.journal.query(partner="bank").items
    assert (request.kind, response.kind) == ("request", "response")
    assert request.correlation == response.correlation
    assert (request.loan, request.serial) == ("LN-0001", "RP-0001")
    assert request.data["body"] == REPAYMENT
    assert response.status == 200
    assert engine.journal.count(serial="RP-0001") == 2


def test_a_behaviour_registered_for_an_operation_replaces_the_mock(engine: Engine) -> None:
    seen: list[Call] = []

    def repay(c: Call) -> Reply:
        seen.append(c)
        return Reply(
            200,
            {
                **REPAYMENT,
                "repayStatus": "SUCCESS",
                "respCode": "0000",
                "respMsg": "ok",
                "acceptedAt": c.now.isoformat(),
                "postedAt": None,
                **{k: REPAYMENT[k] for k in ("repayOuterNo", "loanOuterNo", "repayAmount")},
            },
        )

    engine.behaviours[("bank", "repayApply")] = lambda c: _only_result_fields(repay(c))

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.status == 200 and response.json()["repayStatus"] == "SUCCESS"
    assert seen[0].body == REPAYMENT and seen[0].operation.operation_id == "repayApply"


def _only_result_fields(reply: Reply) -> Reply:
    keep = (
        "repayOuterNo",
        "loanOuterNo",
        "repayAmount",
        "repayStatus",
        "respCode",
        "respMsg",
        "acceptedAt",
        "postedAt",
    )
    reply.body = {k: reply.body[k] for k in keep}
    return reply


def test_an_answer_outside_the_contract_is_drift(engine: Engine) -> None:
    engine.behaviours[("bank", "repayApply")] = lambda c: Reply(200, {"surprise": True})

    with pytest.raises(DriftError, match=r"bank\.repayApply answered 200 outside its contract"):
        call(engine, "POST", "/bank/repayments", REPAYMENT)


def test_drift_is_journaled_when_not_strict() -> None:
    engine = Engine()
    engine.behaviours[("bank", "repayApply")] = lambda c: Reply(299, {})

    call(engine, "POST", "/bank/repayments", REPAYMENT)

    drift = engine.journal.last(kind="drift")
    assert drift is not None and drift.operation == "repayApply"
    assert "status 299 is not declared" in drift.data["errors"][0]["message"]


def test_a_failing_behaviour_is_a_problem_and_a_journal_entry_not_a_traceback() -> None:
    engine = Engine()

    def broken(c: Call) -> Reply:
        raise RuntimeError("boom")

    engine.behaviours[("bank", "repayApply")] = broken

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.status == 500
    assert "journal has the details" in response.json()["detail"]
    assert "RuntimeError: boom" in engine.journal.last(operation="internalError").data["traceback"]  # type: ignore[union-attr]


def test_each_contract_is_served_at_its_openapi_json(engine: Engine) -> None:
    response = call(engine, "GET", "/bank/openapi.json")

    assert response.status == 200
    assert response.json()["info"]["title"] == engine.contracts["bank"].title


def test_the_root_lists_the_partners(engine: Engine) -> None:
    assert set(call(engine, "GET", "/").json()["partners"]) == {"bank", "bureau", "sms"}
