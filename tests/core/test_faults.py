"""Faults at named points, on virtual-time windows, with seeded probability."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator.core import Engine, FaultAction
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
