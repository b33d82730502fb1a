"""Faults at named points, on virtual-time windows, with seeded probability."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator.core import Engine, FaultAction, Request, Response
from simulator.errors import ConfigError
from simulator.world import Simulator
from tests.core.helpers import REPAYMENT, call

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_outage_with_a_status_answers_that_status(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": {"status": 503}})

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.status == 503
    assert "fault f1 at bank.repayApply" in response.json()["detail"]


def test_an_outage_wins_over_a_validation_error_because_the_bank_never_sees_it(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": {"status": 503}})

    assert call(engine, "POST", "/bank/repayments", raw=b"{bad").status == 503


def test_a_connection_error_outage_is_a_transport_fault(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": {"error": "connection_refused"}})

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.transport_fault == "connection_refused"


def test_a_fault_applies_only_inside_its_window(engine: Engine) -> None:
    engine.add_fault(
        {
            "at": "bank.repayApply",
            "outage": {"status": 503},
            "from": "2019-05-10T20:00:00+08:00",
            "until": datetime(2019, 5, 14, 18, tzinfo=SHANGHAI),
        }
    )

    before = call(engine, "POST", "/bank/repayments", REPAYMENT).status
    engine.advance(to=datetime(2019, 5, 10, 20, tzinfo=SHANGHAI))
    during = call(engine, "POST", "/bank/repayments", REPAYMENT).status
    engine.advance(to=datetime(2019, 5, 14, 18, tzinfo=SHANGHAI))
    after = call(engine, "POST", "/bank/repayments", REPAYMENT).status

    assert (before, during, after) == (200, 503, 200)


def test_a_fault_window_without_offset_is_in_the_calendar_time_zone(engine: Engine) -> None:
    fault = engine.add_fault({"at": "bank.repayApply", "drop": {}, "from": datetime(2019, 5, 10, 20)})

    assert fault.start == datetime(2019, 5, 10, 12, tzinfo=ZoneInfo("UTC"))


def test_timeout_after_commit_runs_the_behaviour_then_loses_the_answer(engine: Engine) -> None:
    ran: list[str] = []
    mock = engine.behaviours.get(("bank", "repayApply"))
    assert mock is None
    engine.add_fault({"at": "bank.repayApply", "timeout_after_commit": {}})
    original = engine._mock

    def spy(c):  # type: ignore[no-untyped-def]
        ran.append(c.body["repayOuterNo"])
        return original(c)

    engine.behaviours[("bank", "repayApply")] = spy

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.transport_fault == "timeout"
    assert ran == ["RP-0001"]
    assert engine.journal.last(kind="response").data["transportFault"] == "timeout"  # type: ignore[union-attr]


def test_a_dropped_request_never_reaches_the_behaviour(engine: Engine) -> None:
    engine.behaviours[("bank", "repayApply")] = lambda c: pytest.fail("the dropped request was handled")
    engine.add_fault({"at": "bank.repayApply", "drop": {}})

    assert call(engine, "POST", "/bank/repayments", REPAYMENT).transport_fault == "timeout"


def test_latency_delays_the_answer(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT4S"}})

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.status == 200 and response.delay == timedelta(seconds=4)


def test_a_delayed_answer_is_stamped_and_journaled_as_of_when_it_arrives_in_virtual_time(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1H"}})

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert response.headers["x-lendsim-virtual-time"] == "2019-05-01T01:00:00+08:00"
    request, answer = engine.journal.iter(kind=["request", "response"], operation="repayApply")
    assert request.virtual_time.isoformat() == "2019-05-01T00:00:00+08:00"
    assert answer.virtual_time.isoformat() == "2019-05-01T01:00:00+08:00"
    assert answer.data["delay"] == 3600 and "transportFault" not in answer.data
    assert engine.clock.now().isoformat() == "2019-05-01T00:00:00+08:00"  # the clock itself did not move


def _with_client_timeout(engine: Engine, seconds: float) -> Response:
    body = json.dumps(REPAYMENT).encode()
    request = Request("POST", "/bank/repayments", "", {"content-type": "application/json"}, body)
    request.client_timeout = timedelta(seconds=seconds)
    return engine.handle(request)


@pytest.mark.parametrize(("client_timeout", "timed_out"), [(3.0, False), (2.0, True), (1.0, True)])
def test_a_delay_at_or_beyond_the_clients_timeout_is_a_timeout(
    engine: Engine, client_timeout: float, timed_out: bool
) -> None:
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT2S"}})

    response = _with_client_timeout(engine, client_timeout)

    assert (response.transport_fault == "timeout") is timed_out
    answer = engine.journal.last(kind="response")
    assert answer is not None and answer.status == 200  # the bank did the work either way
    if timed_out:
        assert response.hold == timedelta(seconds=client_timeout)
        assert answer.data["clientTimeout"] == client_timeout and answer.data["transportFault"] == "timeout"
    assert answer.virtual_time - engine.clock.now() == timedelta(seconds=2)  # when the answer came (if too late)


@pytest.mark.parametrize(("speed", "timed_out"), [(3600, False), (60, True)])
def test_on_a_real_time_clock_the_client_waits_the_delay_divided_by_the_speed(
    engine: Engine, speed: float, timed_out: bool
) -> None:
    engine.clock_mode, engine.speed = "realtime", speed
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1H"}})

    response = _with_client_timeout(engine, 5.0)  # an hour at x3600 is a second; at x60 a minute

    assert (response.transport_fault == "timeout") is timed_out


def test_duplicate_handles_the_message_n_times(engine: Engine) -> None:
    handled = []
    original = engine._mock
    engine.behaviours[("bank", "repayApply")] = lambda c: (handled.append(1), original(c))[1]
    engine.add_fault({"at": "bank.repayApply", "duplicate": {"times": 3}})

    call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert len(handled) == 3


def test_probability_draws_are_reproducible_from_the_seed() -> None:
    def outcomes(seed: int) -> list[int]:
        engine = Engine(seed=seed)
        engine.add_fault({"at": "bank.repayApply", "outage": {"status": 503}, "probability": 0.3})
        return [call(engine, "POST", "/bank/repayments", REPAYMENT).status for _ in range(40)]

    first = outcomes(1)
    assert first == outcomes(1)
    assert first != outcomes(2)
    assert 0 < first.count(503) < 40


def test_a_loans_probability_draws_do_not_depend_on_other_loans_interleaving() -> None:
    def outcomes(loans: list[str]) -> dict[str, list[int]]:
        engine = Engine(seed=3)
        engine.add_fault({"at": "bank.repayApply", "outage": {"status": 503}, "probability": 0.5})
        seen: dict[str, list[int]] = {}
        for loan in loans:
            status = call(engine, "POST", "/bank/repayments", {**REPAYMENT, "loanOuterNo": loan}).status
            seen.setdefault(loan, []).append(status)
        return seen

    one_after_another = outcomes(["LN-1"] * 10 + ["LN-2"] * 10)
    interleaved = outcomes(["LN-1", "LN-2"] * 10)  # as two borrowers' requests arrive when sent at once

    assert interleaved == one_after_another
    assert 0 < one_after_another["LN-1"].count(503) < 10


def test_a_request_that_names_no_one_draws_by_what_it_asks_and_its_instant_not_by_what_came_before() -> None:
    later = datetime(2019, 5, 20, 4, tzinfo=SHANGHAI)

    def outcomes(earlier: int) -> list[int]:
        engine = Engine(seed=5)
        engine.add_fault({"at": "bank.reconciliationFile", "outage": {"status": 503}, "probability": 0.5})
        for _ in range(earlier):  # another shard's, or another day's, requests for files
            call(engine, "GET", "/bank/reconciliation-files/2019-04-30")
        engine.advance(to=later)
        return [call(engine, "GET", f"/bank/reconciliation-files/2019-05-{day}").status for day in range(10, 20)]

    alone = outcomes(0)

    assert outcomes(7) == alone  # the draws of a file asked for at this instant do not depend on earlier draws
    assert {503, 200} <= set(alone) or {503, 404} <= set(alone)


def test_removing_a_fault_restores_service(engine: Engine) -> None:
    fault = engine.add_fault({"at": "bank.repayApply", "outage": {"status": 503}})
    engine.remove_fault(fault.id)

    assert call(engine, "POST", "/bank/repayments", REPAYMENT).status == 200
    assert [e.operation for e in engine.journal.iter(kind="fault")] == ["faultAdded", "faultRemoved"]


def test_a_fault_is_journaled_as_fired_once_the_first_time_it_acts_and_never_while_outside_its_window(
    engine: Engine,
) -> None:
    later = engine.add_fault({"at": "bank.repayApply", "drop": {}, "from": "2019-06-01T00:00:00+08:00"})
    now = engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1S"}})

    for _ in range(3):
        call(engine, "POST", "/bank/repayments", REPAYMENT)

    fired = [e.data["id"] for e in engine.journal.iter(kind="fault", operation="faultFired")]
    assert fired == [now.id] and later.id not in fired


def test_an_action_that_acts_only_where_asked_for_fires_only_there(sim: Simulator) -> None:
    early = sim.add_fault({"at": "bank.overdueBatch", "early": {"by": "PT3H"}})
    start = sim.clock.now()

    sim.faults.plan("bank.overdueBatch", start)
    unasked = sim.journal.count(kind="fault", operation="faultFired")
    sim.faults.plan("bank.overdueBatch", start, only={FaultAction.EARLY})

    assert unasked == 0
    assert [e.data["id"] for e in sim.journal.iter(kind="fault", operation="faultFired")] == [early.id]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"at": "bank.repayAply", "drop": {}}, "did you mean 'bank.repayApply'"),
        ({"at": "bank.repayApply"}, "give exactly one action"),
        ({"at": "bank.repayApply", "drop": {}, "outage": {"status": 503}}, "give exactly one action"),
        ({"at": "bank.repayApply", "outage": {"status": 200}}, "outage.status: must be an HTTP error status"),
        ({"at": "bank.repayApply", "outage": {"error": "boom"}}, "outage.error: must be one of"),
        ({"at": "bank.repayApply", "drop": {}, "probabilty": 0.5}, "did you mean 'probability'"),
        ({"at": "bank.repayApply", "drop": {}, "probability": 1.5}, "between 0 and 1"),
        ({"at": "bank.repayApply", "latency": {"delay": "soon"}}, "latency.delay"),
        (
            {
                "at": "bank.repayApply",
                "drop": {},
                "from": "2019-05-02T00:00:00+08:00",
                "until": "2019-05-01T00:00:00+08:00",
            },
            "is not after from=",
        ),
    ],
)
def test_a_bad_fault_is_rejected_with_the_field_and_the_fix(
    engine: Engine, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        engine.add_fault(spec)
