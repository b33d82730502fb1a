"""The control API under /_sim: clock, journal, state, reset, faults — and its token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.clock import ScheduledEvent
from simulator.core import Engine
from tests.core.helpers import REPAYMENT, call


def test_health_answers(engine: Engine) -> None:
    assert call(engine, "GET", "/_sim/health").json()["status"] == "ok"


def test_the_clock_reads_and_advances_by_a_duration(engine: Engine) -> None:
    assert call(engine, "GET", "/_sim/clock").json()["now"] == "2019-05-01T00:00:00+08:00"

    response = call(engine, "POST", "/_sim/clock/advance", {"by": "P1DT6H"})

    assert response.status == 200
    assert response.json()["clock"]["now"] == "2019-05-02T06:00:00+08:00"


def test_the_clock_advances_to_an_instant_and_runs_due_events(engine: Engine) -> None:
    ran: list[str] = []
    engine.clock.schedule(engine.clock.now().replace(hour=2), lambda: ran.append("overdue batch"), name="batch")

    response = call(engine, "POST", "/_sim/clock/advance", {"to": "2019-05-01T03:00:00+08:00"})

    assert ran == ["overdue batch"]
    assert response.json()["eventsRun"] >= 1  # the bank's own daily jobs run too


def test_advancing_into_the_past_is_a_409_that_says_the_current_time(engine: Engine) -> None:
    call(engine, "POST", "/_sim/clock/advance", {"by": "P1D"})

    response = call(engine, "POST", "/_sim/clock/advance", {"to": "2019-05-01T00:00:00+08:00"})

    assert response.status == 409
    assert response.json()["now"] == "2019-05-02T00:00:00+08:00"


def test_advancing_past_2099_is_a_409_and_the_clock_stays_within_what_the_contracts_express(engine: Engine) -> None:
    # Found by scripts/fuzz: three valid advances of P9999D took the clock to 2101, which no DateTime can state.
    for _ in range(2):
        assert call(engine, "POST", "/_sim/clock/advance", {"by": "P9999D"}).status == 200

    response = call(engine, "POST", "/_sim/clock/advance", {"by": "P9999D"})

    assert response.status == 409 and "would pass the end of 2099" in response.json()["detail"]
    assert response.json()["now"].startswith("2074-")
    assert call(engine, "POST", "/_sim/clock/advance", {"to": "2099-12-31T23:59:59+08:00"}).status == 200


def test_the_journal_is_queried_by_correlation_ids_and_paginated(engine: Engine) -> None:
    for n in range(3):
        call(engine, "POST", "/bank/repayments", {**REPAYMENT, "repayOuterNo": f"RP-{n}"})

    by_serial = call(engine, "GET", "/_sim/journal", query="serial=RP-1").json()
    first = call(engine, "GET", "/_sim/journal", query="kind=request&limit=2").json()
    rest = call(engine, "GET", "/_sim/journal", query=f"kind=request&limit=2&after={first['next']}").json()

    assert [e["kind"] for e in by_serial["items"]] == ["request", "response"]
    assert [e["serial"] for e in first["items"] + rest["items"]] == ["RP-0", "RP-1", "RP-2"]
    assert rest["next"] is None


def test_a_bad_journal_query_names_the_parameter(engine: Engine) -> None:
    response = call(engine, "GET", "/_sim/journal", query="limit=0")

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "query.limit"


def test_faults_are_listed_added_and_removed(engine: Engine) -> None:
    added = call(engine, "POST", "/_sim/faults", {"at": "bank.repayApply", "outage": {"status": 503}})
    listed = call(engine, "GET", "/_sim/faults").json()["items"]
    down = call(engine, "POST", "/bank/repayments", REPAYMENT).status
    removed = call(engine, "DELETE", f"/_sim/faults/{added.json()['id']}")

    assert added.status == 201 and listed == [added.json()]
    assert (down, removed.status) == (503, 204)
    assert call(engine, "POST", "/bank/repayments", REPAYMENT).status == 200


def test_adding_a_fault_at_an_unknown_point_is_a_400_naming_the_field(engine: Engine) -> None:
    response = call(engine, "POST", "/_sim/faults", {"at": "bank.repayAply", "drop": {}})

    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "body.at"
    assert "did you mean 'bank.repayApply'" in response.json()["detail"]


def test_removing_an_unknown_fault_is_a_404(engine: Engine) -> None:
    assert call(engine, "DELETE", "/_sim/faults/f99").status == 404


def test_reset_clears_the_world(engine: Engine) -> None:
    call(engine, "POST", "/bank/repayments", REPAYMENT)
    call(engine, "POST", "/_sim/faults", {"at": "bank.repayApply", "drop": {}})

    response = call(engine, "POST", "/_sim/reset", {"start": "2019-06-01T00:00:00+08:00", "seed": 3})

    assert response.json()["clock"]["now"] == "2019-06-01T00:00:00+08:00"
    assert len(engine.faults) == 0 and engine.seed == 3
    (marker,) = engine.journal  # all that is left: where the new world starts, for a restart to rebuild it from
    assert (marker.kind, marker.partner, marker.operation) == ("event", "_sim", "reset")
    assert marker.virtual_time.isoformat() == "2019-06-01T00:00:00+08:00" and marker.data["seed"] == 3


def test_the_state_snapshot_shows_clock_partners_faults_and_journal_size(engine: Engine) -> None:
    call(engine, "POST", "/bank/repayments", REPAYMENT)

    state = call(engine, "GET", "/_sim/state").json()

    assert set(state["partners"]) == {"bank", "bureau", "sms"}
    assert state["journal"]["entries"] == 2


def test_with_a_token_the_control_api_needs_it() -> None:
    engine = Engine(control_token="s3cret")

    refused = call(engine, "GET", "/_sim/clock")
    allowed = call(engine, "GET", "/_sim/clock", headers={"authorization": "Bearer s3cret"})

    assert refused.status == 401 and "Bearer" in refused.headers["www-authenticate"]
    assert allowed.status == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_named_in_any_case(scheme: str) -> None:
    engine = Engine(control_token="a-token-of-16-chars")

    response = call(engine, "GET", "/_sim/clock", headers={"authorization": f"{scheme} a-token-of-16-chars"})

    assert response.status == 200


@pytest.mark.parametrize(
    "supplied",
    [
        "Bearer a-token-of-16-char",
        "Bearer a-token-of-16-chars-and-more",
        "Basic a-token-of-16-chars",
        "a-token-of-16-chars",
        "Bearer",
        "Bearer é-token-of-16-chars",
        "",
    ],
)
def test_anything_but_the_token_in_the_bearer_scheme_is_a_journaled_401(supplied: str) -> None:
    engine = Engine(control_token="a-token-of-16-chars")

    response = call(engine, "POST", "/_sim/reset", {}, headers={"authorization": supplied})

    assert response.status == 401
    request, answer = engine.journal
    assert (request.kind, request.partner, request.operation, request.data["refused"]) == (
        "request",
        "_sim",
        "reset",
        True,
    )
    assert "authorization" not in request.data.get("headers", {})  # the credential stays out of the journal
    assert (answer.kind, answer.status, answer.correlation) == ("response", 401, request.correlation)


def test_a_refused_control_call_is_journaled_and_a_good_read_is_not(engine: Engine) -> None:
    call(engine, "GET", "/_sim/clock")
    call(engine, "GET", "/_sim/journal")

    call(engine, "POST", "/_sim/clock/advance", {"by": "tomorrow"})
    call(engine, "GET", "/_sim/nothing")

    assert [(e.kind, e.operation, e.status) for e in engine.journal] == [
        ("request", "advanceClock", None),
        ("response", "advanceClock", 400),
        ("request", None, None),
        ("response", None, 404),
    ]
    assert all(entry.data["refused"] is True for entry in engine.journal)


def test_control_calls_are_validated_against_the_control_contract(engine: Engine) -> None:
    response = call(engine, "POST", "/_sim/clock/advance", {"by": "tomorrow"})

    assert response.status == 400
    assert response.json()["errors"][0]["field"].startswith("body")


def test_the_journal_is_served_masked_but_kept_whole(engine: Engine) -> None:
    call(
        engine,
        "POST",
        "/bank/repayments",
        {
            **REPAYMENT,
            "cardInfo": {"bankCardNo": "6214830012345678", "certNo": "110101199003071234", "cardPhone": "13812341234"},
        },
    )

    served = call(engine, "GET", "/_sim/journal", query="kind=request").json()["items"][0]["data"]["body"]["cardInfo"]

    assert served == {"bankCardNo": "6214********5678", "certNo": "1101**********1234", "cardPhone": "138****1234"}
    assert engine.journal.last(kind="request").data["body"]["cardInfo"]["certNo"] == "110101199003071234"  # type: ignore[union-attr]


def test_advancing_with_a_runner_of_instants_runs_each_instant_whole_then_moves_on(engine: Engine) -> None:
    start = engine.clock.now()
    ran: list[tuple[str, str]] = []
    for hours, name in ((2, "b1"), (1, "a1"), (1, "a2"), (3, "c")):
        engine.clock.schedule(start + timedelta(hours=hours), lambda name=name: ran.append(("ran", name)))
    instants: list[list[str]] = []

    def run(events: list[ScheduledEvent]) -> None:
        instants.append([event.name or "" for event in events])
        for event in events:
            event.action()

    count = engine.advance(by=timedelta(hours=2, minutes=30), run=run)

    assert count == 3 and len(instants) == 2 and [len(names) for names in instants] == [2, 1]
    assert engine.clock.now() == start + timedelta(hours=2, minutes=30)
    advanced = engine.journal.last(operation="clockAdvanced")
    assert advanced is not None and advanced.data["eventsRun"] == 3
