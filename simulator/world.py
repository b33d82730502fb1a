"""``Simulator``: the engine with the built-in partners installed — what users, the CLI and tests start from."""

from __future__ import annotations

from typing import Any

from simulator.core import Engine

__all__ = ["Simulator"]


class Simulator(Engine):
    """A funding bank, a credit bureau and an SMS gateway, from OpenAPI contracts, on one virtual clock.

    Takes the :class:`~simulator.core.Engine` keyword arguments (contracts, start, seed, calendar, journal,
    strict, …). Partners whose contract is loaded get their built-in behaviour; any other operation is
    answered as a mock from its contract.
    """

    def __init__(self, **engine: Any) -> None:
        super().__init__(**engine)
