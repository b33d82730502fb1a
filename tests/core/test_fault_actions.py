"""The fault actions only some points take: reordered deliveries, and the check that an action fits its point."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from simulator.core import DeliveryResult, Engine
from simulator.errors import ConfigError
from simulator.openapi import Operation


def callback(state: str) -> dict[str, Any]:
    return {
        "respCode": "0000",
        "respMsg": state.lower(),
        "loanOuterNo": "LN-0001",
        "repayOuterNo": "RP-0001",
        "repayAmount": "1050.00",
        "repayStatus": state,
        "notifiedAt": "2019-05-10T20:15:05+08:00",
    }


class Recorder:
    def __init__(self) -> None:
        self.states: list[str] = []

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        self.states.append(body["repayStatus"])
        return DeliveryResult(200)


def test_a_reordered_callback_arrives_right_after_the_next_one_about_the_same_repayment(engine: Engine) -> None:
    received = Recorder()
    engine.deliverer = received
    engine.add_fault({"at": "bank.repayResultNotify", "reorder": {}})

    engine.deliver("bank.repayResultNotify", callback("PROCESSING"), serial="RP-0001")
    engine.deliver("bank.repayResultNotify", callback("SUCCESS"), serial="RP-0001", after=timedelta(seconds=2))
    engine.advance(by=timedelta(minutes=1))

    assert received.states == ["SUCCESS", "PROCESSING"]


def test_a_reordered_callback_with_nothing_to_follow_goes_out_after_its_wait(engine: Engine) -> None:
    received = Recorder()
    engine.deliverer = received
    engine.add_fault({"at": "bank.repayResultNotify", "reorder": {"within": "10 minutes"}})

    engine.deliver("bank.repayResultNotify", callback("SUCCESS"), serial="RP-0001")
    engine.advance(by=timedelta(minutes=9))
    early = list(received.states)
    engine.advance(by=timedelta(minutes=1))

    assert (early, received.states) == ([], ["SUCCESS"])


def test_callbacks_about_other_repayments_do_not_release_a_held_one(engine: Engine) -> None:
    received = Recorder()
    engine.deliverer = received
    engine.add_fault({"at": "bank.repayResultNotify", "reorder": {}, "until": "2019-05-01T00:00:01+08:00"})

    engine.deliver("bank.repayResultNotify", callback("PROCESSING"), serial="RP-0001")
    engine.deliver("bank.repayResultNotify", callback("SUCCESS"), serial="RP-0002", after=timedelta(seconds=2))
    engine.advance(by=timedelta(minutes=5))

    assert received.states == ["SUCCESS"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"at": "bank.repayApply", "reorder": {}},
            "bank.repayApply does not take 'reorder'.*applies at .*bank.repayResultNotify",
        ),
        ({"at": "bank.repayResultNotify", "reorder": {"within": "0 minutes"}}, "reorder.within: must be positive"),
        (
            {"at": "bank.repayApply", "missing_rows": {"share": 0.2}},
            "'missing_rows' applies at no point of this simulator",
        ),
    ],
)
def test_an_action_a_point_does_not_take_is_refused_naming_where_it_applies(
    engine: Engine, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        engine.add_fault(spec)


def test_a_fault_journals_its_special_action_with_its_parameters(engine: Engine) -> None:
    fault = engine.add_fault({"at": "bank.repayResultNotify", "reorder": {"within": "PT30M"}})

    assert fault.to_json()["reorder"] == {"within": "PT30M"}
