"""Run the events of one virtual instant at once: what lets a replay over HTTP cost about what it costs in-process.

The clock hands over every event due at the next instant (``VirtualClock.take_due``); :class:`ConcurrentInstants`
runs them the way a busy platform's traffic arrives: different borrowers' at once (at most ``concurrency`` in
flight), each borrower's in the order they were scheduled, and an event that belongs to no borrower (a tick, a
bank batch) on its own, with nothing else in flight. The clock moves on only when the instant's work is done,
events that work scheduled at the same instant included.

Thread safety: one lock guards the engine. A worker holds it while an event's action runs and the driver releases
it around each call to the platform (the platform calls the simulator back meanwhile, served on the server's
thread under the same lock), so two threads never touch the engine at once and only the waiting for the platform
overlaps. What a borrower's work draws at random is keyed by the borrower (``Faults``), so the verdicts and the
count of each kind of journal entry are a serial run's; only the order of entries within an instant differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from typing import Any, Final

from simulator.clock import ScheduledEvent

__all__ = ["DEFAULT_CONCURRENCY", "ConcurrentInstants"]

#: How many borrowers' calls ``lendsim run`` has in flight at once over HTTP unless ``--concurrency`` says.
DEFAULT_CONCURRENCY: Final = 32


class ConcurrentInstants:
    """Runs one instant's events: borrowers at once, each borrower's in order, the others alone.

    ``lock`` guards the engine (the caller holds it when it calls); ``released`` is a context in which the caller
    no longer holds it (the driver's, also used around each call to the platform).
    """

    def __init__(
        self,
        lock: AbstractContextManager[Any],
        released: Callable[[], AbstractContextManager[Any]],
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, got {concurrency}")
        self.lock = lock
        self.released = released
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lendsim-borrower")

    def __call__(self, events: list[ScheduledEvent]) -> None:
        for segment in _segments(events):
            if segment[0].borrower is None:  # no borrower's: on its own, here
                _run(segment)
            else:
                self._at_once(segment)

    def _at_once(self, events: Sequence[ScheduledEvent]) -> None:
        """Different borrowers' events at once; a borrower's own in order. The first failure (in the order of the
        events) propagates once every chain has stopped."""
        chains: dict[str | None, list[ScheduledEvent]] = {}
        for event in events:
            chains.setdefault(event.borrower, []).append(event)
        if len(chains) == 1 or self.concurrency == 1:
            _run(events)
            return
        with self.released():
            futures = [self._pool.submit(self._chain, chain) for chain in chains.values()]
            wait(futures)
        _raise_first(futures)

    def _chain(self, events: Sequence[ScheduledEvent]) -> None:
        with self.lock:
            _run(events)

    def close(self) -> None:
        """Stop the workers (what has not started is dropped); the caller holds the lock, as when it calls."""
        with self.released():
            self._pool.shutdown(wait=True, cancel_futures=True)


def _segments(events: Sequence[ScheduledEvent]) -> list[list[ScheduledEvent]]:
    """``events`` cut into runs of borrowers' events and single events that belong to no borrower, in order."""
    segments: list[list[ScheduledEvent]] = []
    for event in events:
        if event.borrower is None or not segments or segments[-1][0].borrower is None:
            segments.append([event])
        else:
            segments[-1].append(event)
    return segments


def _run(events: Sequence[ScheduledEvent]) -> None:
    for event in events:
        event.action()


def _raise_first(futures: Sequence[Future[None]]) -> None:
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
