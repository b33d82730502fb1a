"""``Journal.add``: an append that returns only the seq, checked and stored exactly as ``append`` does."""

from __future__ import annotations

import math
from datetime import datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator.errors import JournalError
from simulator.journal import Journal

NOW = datetime(2019, 5, 10, 20, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
FIELDS: dict[str, Any] = {
    "partner": "bank",
    "operation": "repayApply",
    "borrower": "B1",
    "loan": "",
    "serial": "RP-1",
    "status": HTTPStatus.OK,
    "correlation": "r1",
    "data": {"body": {"amount": "1.00"}},
}


def test_add_stores_what_append_stores_and_returns_the_seq() -> None:
    with Journal(wall_clock=lambda: 1.0) as appended, Journal(wall_clock=lambda: 1.0) as added:
        appended.append("response", NOW, **FIELDS)
        seq = added.add("response", NOW, **FIELDS)
        first, second = appended.last(), added.last()

    assert seq == 1
    assert first == second


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("reponse", {}),
        ("event", {"data": {"rate": math.nan}}),
        ("event", {"borrower": 7}),
        ("event", {"loan": "", "serial": b"RP-1", "correlation": 3}),
        ("event", {"status": 1000}),
        ("event", {"data": ["not", "a", "mapping"]}),
    ],
)
def test_add_refuses_what_append_refuses(kind: str, fields: dict[str, Any]) -> None:
    with Journal() as journal:
        with pytest.raises(JournalError) as by_append:
            journal.append(kind, NOW, **fields)
        with pytest.raises(JournalError) as by_add:
            journal.add(kind, NOW, **fields)

        assert str(by_add.value) == str(by_append.value)
        assert len(journal) == 0
