"""Fixtures shared across the suite. Where a new test goes: tests/README.md."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator over the built-in contracts, strict: any answer outside its contract raises."""
    simulator = Simulator(seed=7, strict=True)
    yield simulator
    simulator.journal.close()
