"""Fixtures of the bank's tests: a strict engine (1 May 2019, Asia/Shanghai) with only the bank installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.core import Engine
from simulator.partners.bank import BankModel
from tests.partners.bank.helpers import Receiver, attach_receiver, new_engine


@pytest.fixture
def engine_and_bank() -> Iterator[tuple[Engine, BankModel]]:
    engine, bank = new_engine()
    yield engine, bank
    engine.journal.close()


@pytest.fixture
def engine(engine_and_bank: tuple[Engine, BankModel]) -> Engine:
    return engine_and_bank[0]


@pytest.fixture
def bank(engine_and_bank: tuple[Engine, BankModel]) -> BankModel:
    return engine_and_bank[1]


@pytest.fixture
def receiver(engine: Engine) -> Receiver:
    """The platform's receivers, answering 200 unless a test scripts otherwise."""
    return attach_receiver(engine)
