"""The bank's daily jobs on the virtual clock, with the faults a scenario injects at their points.

A job runs every day at a local time. At its fault point (``bank.overdueBatch``, ``bank.furnishing``) a
``drop`` or ``outage`` fault skips that day's run, ``latency`` runs it that much later, ``early`` that much
earlier (say, before the day-end or the platform's file — out of order), ``duplicate`` runs it N times (the
jobs are idempotent, so that must change nothing). Each skipped, early or postponed run is journaled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

from simulator.clock import ScheduledEvent, format_duration
from simulator.core import NO_FAULTS, Engine, FaultAction

__all__ = ["DailyJob"]

_ONE_DAY = timedelta(days=1)


class DailyJob:
    """``action(day)`` at ``at`` local time every day from now on; ``day`` is the local date of the run."""

    __slots__ = ("_event", "_late", "action", "at", "engine", "name", "point")

    def __init__(
        self, engine: Engine, name: str, at: time, action: Callable[[date], None], point: str | None = None
    ) -> None:
        self.engine = engine
        self.name = name
        self.at = at
        self.action = action
        self.point = point
        self._event: ScheduledEvent | None = None
        self._late: list[ScheduledEvent] = []  # postponed runs (latency faults)

    def start(self) -> None:
        """Schedule the next run: today's if its time has not passed, else tomorrow's."""
        clock = self.engine.clock
        day = clock.calendar.local_date(clock.now())
        if clock.calendar.at(day, self.at) < clock.now():
            day += _ONE_DAY
        self._schedule(day)

    def stop(self) -> None:
        """Cancel the next run and any postponed one."""
        for event in [self._event, *self._late]:
            if event is not None:
                self.engine.clock.cancel(event)
        self._event = None
        self._late.clear()

    def _schedule(self, day: date) -> None:
        clock = self.engine.clock
        at = clock.calendar.at(day, self.at)
        by = self.engine.faults.plan(self.point, at, only=(FaultAction.EARLY,)).early if self.point else None
        if by is not None:  # an early run: decided when the run is planned, as the bank's scheduler would
            self._event = clock.schedule(
                max(at - by, clock.now()), lambda: self._early(day, by), name=f"bank {self.name} (early)"
            )
            return
        self._event = clock.schedule(at, lambda: self._fire(day), name=f"bank {self.name}")

    def _early(self, day: date, by: timedelta) -> None:
        self.engine.event(
            "bank",
            f"{self.name}Early",
            data={"businessDate": day.isoformat(), "by": format_duration(by), "point": self.point},
        )
        self._fire(day)

    def _fire(self, day: date) -> None:
        self._schedule(day + _ONE_DAY)
        engine = self.engine
        now = engine.clock.now()
        plan = engine.faults.plan(self.point, now) if self.point else NO_FAULTS
        stop = plan.stopped
        if stop is not None:
            engine.event(
                "bank",
                f"{self.name}Skipped",
                data={
                    "businessDate": day.isoformat(),
                    "fault": stop.id,
                    "action": stop.action.value,
                    "point": self.point,
                },
            )
            return
        times = plan.copies
        delay = plan.delay
        if delay is not None:
            engine.event(
                "bank",
                f"{self.name}Postponed",
                data={
                    "businessDate": day.isoformat(),
                    "delay": format_duration(delay),
                    "runAt": (now + delay).isoformat(),
                    "point": self.point,
                },
            )
            self._late = [event for event in self._late if not event.cancelled and event.at > now]
            self._late.append(
                engine.clock.schedule_in(delay, lambda: self._run(day, times), name=f"bank {self.name} (late)")
            )
            return
        self._run(day, times)

    def _run(self, day: date, times: int) -> None:
        for _ in range(times):
            self.action(day)
