"""Several faults at one point at once: what the plan they make does, the same for a request and a delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.core import Engine
from tests.core.helpers import REPAYMENT, call
from tests.core.test_model import Receiver, deliveries


@pytest.mark.parametrize("drop_first", [True, False])
def test_a_drop_wins_over_an_outage_whichever_came_first(engine: Engine, drop_first: bool) -> None:
    faults = [{"drop": {}}, {"outage": {"status": 503}}]
    for fault in faults if drop_first else faults[::-1]:
        engine.add_fault({"at": "bank.repayApply", **fault})
        engine.add_fault({"at": "bank.repayResultNotify", **fault})
    engine.deliverer = Receiver(200)

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)
    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "RP-1"})
    engine.advance(by=timedelta(seconds=1))

    assert (response.status, response.transport_fault) == (0, "timeout")
    assert deliveries(engine) == [(None, "dropped", 1)]


def test_of_two_outages_the_first_added_answers(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": {"status": 502}})
    engine.add_fault({"at": "bank.repayApply", "outage": {"error": "connection_reset"}})

    response = call(engine, "POST", "/bank/repayments", REPAYMENT)

    assert (response.status, response.transport_fault) == (502, None)


def test_the_largest_latency_and_the_most_copies_apply(engine: Engine) -> None:
    for spec in ({"latency": {"delay": "PT2S"}}, {"latency": {"delay": "PT5S"}}, {"duplicate": {"times": 3}}):
        engine.add_fault({"at": "bank.repayResultNotify", **spec})
    engine.add_fault({"at": "bank.repayResultNotify", "duplicate": {"times": 2}})
    engine.deliverer = Receiver(200)

    engine.deliver("bank.repayResultNotify", {"repayOuterNo": "RP-1"})
    engine.advance(by=timedelta(seconds=4))
    early = deliveries(engine)
    engine.advance(by=timedelta(seconds=1))

    assert early == []
    assert deliveries(engine) == [(200, None, 1)] * 3
