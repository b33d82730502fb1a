"""A strict engine with the bureau installed, and builders for hand-made report files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.core import Engine
from simulator.partners.bureau import BureauModel
from tests.partners.bureau.builders import BUREAU_DELAY, account, load


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(seed=7, strict=True)
    yield engine
    engine.journal.close()


@pytest.fixture
def bureau(engine: Engine) -> BureauModel:
    model = BureauModel(engine)
    engine.install(model)
    assert model.config.feedback_delay == BUREAU_DELAY
    return model


@pytest.fixture
def loaded(engine: Engine, bureau: BureauModel) -> dict[str, Any]:
    """ID 110105199003071239 with account LN201902100001 reported for April (N) and May (overdue, 1)."""
    load(engine, account(month="2019-04", rpt_date="2019-04-30"), account(month="2019-05", rpy="1"))
    return {"IDType": "10", "IDNum": "110105199003071239", "Name": "张伟"}
