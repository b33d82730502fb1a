"""Core tests run on the bare engine: no partner models, the generic mock answers every operation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.core import Engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = Engine(seed=7, strict=True)
    yield engine
    engine.journal.close()
