"""The platform's wall clock on the virtual one: ``datetime.now()``, ``time.time()`` and friends answer the
simulator's virtual instant while a test runs with ``freeze_time=True`` (through the time-machine package).

Time stands still between moves, as under freezegun's ``freeze_time``; it moves whenever the harness lets
platform code run at another virtual instant: after ``advance()``, and before each delivery, planned payment
and recurring job, at that event's instant. The process's local time zone is the calendar's while it runs,
so a naive ``datetime.now()`` reads local time as on a server in that zone.
"""

from __future__ import annotations

from typing import Any

from simulator.clock import VirtualClock
from simulator.errors import ConfigError

__all__ = ["INSTALL_HINT", "ClockFollower"]

INSTALL_HINT = "pip install 'lendsim[time]'"


class ClockFollower:
    """Keeps the process's wall clock on ``clock`` between :meth:`start` and :meth:`stop`."""

    def __init__(self, clock: VirtualClock) -> None:
        try:
            import time_machine
        except ImportError:
            raise ConfigError(
                "freeze_time=True makes the platform's datetime.now() follow the virtual clock through the "
                f"time-machine package, which is not installed; install it with: {INSTALL_HINT}",
                field="freeze_time",
            ) from None
        self._time_machine = time_machine
        self._clock = clock
        self._traveller: Any = None
        self._coordinates: Any = None

    @property
    def active(self) -> bool:
        return self._coordinates is not None

    def start(self) -> None:
        if self._coordinates is None:
            self._traveller = self._time_machine.travel(self._clock.now(), tick=False)
            self._coordinates = self._traveller.start()

    def follow(self) -> None:
        """Move the wall clock to the virtual instant now (nothing when stopped)."""
        if self._coordinates is not None:
            self._coordinates.move_to(self._clock.now())

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
        self._traveller = self._coordinates = None
