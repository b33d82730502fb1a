"""One virtual instant's events sent at once: borrowers together, each borrower's in order, the rest alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulator.clock import ScheduledEvent, VirtualClock
from simulator.errors import PlatformError
from simulator.run._instants import ConcurrentInstants

START = datetime(2019, 5, 10, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Engine:
    """The lock a driver shares with its server, released while a call waits for the platform."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.in_flight = 0
        self.most = 0
        self.log: list[str] = []
        self._count = threading.Lock()

    @contextmanager
    def released(self) -> Iterator[None]:
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    def call(self, name: str, wait: Callable[[], object] = lambda: None) -> None:
        """A call to the platform: logged when it starts and ends, ``wait`` while the lock is released."""
        with self._count:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        self.log.append(f"{name}>")
        with self.released():
            wait()
        self.log.append(f"<{name}")
        with self._count:
            self.in_flight -= 1


def events(*specs: tuple[str | None, Callable[[], object]]) -> list[ScheduledEvent]:
    """Events due at one instant, each (borrower, action), in this scheduling order."""
    clock = VirtualClock(START)
    for borrower, action in specs:
        clock.schedule(START, action, borrower=borrower)
    return clock.take_due(START)


def run(engine: Engine, due: list[ScheduledEvent], concurrency: int = 8) -> None:
    instants = ConcurrentInstants(engine.lock, engine.released, concurrency)
    try:
        with engine.lock:  # as the runner calls it
            instants(due)
    finally:
        with engine.lock:
            instants.close()


def test_different_borrowers_calls_are_in_flight_at_once() -> None:
    engine = Engine()
    together = threading.Barrier(3, timeout=10)  # never passed if the three calls went one at a time

    def paying(name: str) -> Callable[[], None]:
        return lambda: engine.call(name, together.wait)

    run(engine, events(("B1", paying("B1")), ("B2", paying("B2")), ("B3", paying("B3"))))

    assert engine.most == 3 and not together.broken


def test_a_borrowers_own_events_go_one_after_another_in_order() -> None:
    engine = Engine()
    due = events(
        ("B1", lambda: engine.call("B1 pays", lambda: threading.Event().wait(0.05))),  # a slow answer
        ("B2", lambda: engine.call("B2 pays")),
        ("B1", lambda: engine.call("B1 callback")),
    )

    run(engine, due)

    log = engine.log
    assert log.index("<B1 pays") < log.index("B1 callback>")


def test_an_event_of_no_borrower_goes_alone_between_what_came_before_and_after_it() -> None:
    engine = Engine()
    seen: list[int] = []
    due = events(
        ("B1", lambda: engine.call("B1 pays")),
        ("B2", lambda: engine.call("B2 pays")),
        (None, lambda: (seen.append(engine.in_flight), engine.call("tick"))),
        ("B3", lambda: engine.call("B3 pays")),
    )

    run(engine, due)

    log = engine.log
    assert seen == [0]
    assert max(log.index("<B1 pays"), log.index("<B2 pays")) < log.index("tick>") < log.index("<tick")
    assert log.index("<tick") < log.index("B3 pays>")


def test_no_more_than_the_concurrency_is_in_flight() -> None:
    engine = Engine()

    def paying(name: str) -> Callable[[], None]:
        return lambda: engine.call(name, lambda: threading.Event().wait(0.01))

    run(engine, events(*((f"B{n}", paying(f"B{n}")) for n in range(12))), concurrency=4)

    assert engine.most <= 4 and len(engine.log) == 24


def test_the_first_failure_in_event_order_stops_the_run_once_the_others_are_done() -> None:
    engine = Engine()

    def fails(operation: str) -> Callable[[], None]:
        def action() -> None:
            engine.call(operation)
            raise PlatformError(operation, "answered 500")

        return action

    due = events(("B1", lambda: engine.call("B1 pays")), ("B2", fails("first")), ("B3", fails("second")))

    with pytest.raises(PlatformError, match="the platform failed first"):
        run(engine, due)

    assert engine.in_flight == 0 and "<B1 pays" in engine.log
