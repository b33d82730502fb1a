"""The core's messages: the fast constructors build exactly what the dataclasses build."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from zoneinfo import ZoneInfo

from simulator.core import Call, Engine
from simulator.core._messages import make_call


def test_make_call_builds_the_same_call_as_the_dataclass(sim: Engine) -> None:
    operation = sim.contracts["bank"].operation("repayApply")
    values = (
        operation,
        {"loanOuterNo": "L1"},
        {"a": 1},
        {"content-type": "application/json"},
        datetime.now(ZoneInfo("UTC")),
    )

    made, built = make_call(*values), Call(*values)

    assert made == built
    assert all(getattr(made, f.name) is getattr(built, f.name) for f in fields(Call))
