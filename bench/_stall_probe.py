"""``python -m bench._stall_probe OUT.json [--gc YOUNG,MIDDLE] serve …``: ``lendsim serve`` as shipped, timing from
inside what can hold its event loop — the cycle collector (``gc.callbacks``), the journal's writes and commits, the
clock catching up with wall time (``RealtimeDriver.sync``) — and the loop's own lag (a task asking to wake every
millisecond), each with the thread's CPU time beside its wall time (wall far above CPU: the process was waiting for
a core or the disk, not working); for the loop's lag also the time the thread waited for a core (the kernel's
run-queue delay, /proc/thread-self/schedstat), so what is left of a lag besides CPU and that wait was a block
(the disk, a lock). When the server stops it writes every such pause of 2 ms or more, with its second
since start, and the totals, to OUT.json; and how many objects the collector's settings froze, and how many of those
were cycles that died frozen (never collected). ``--gc`` tries other collector thresholds than serve's.

Not a benchmark: the evidence for what a latency spike seen from outside (bench/_openloop.py) was.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.clock import _clock
from simulator.http import _app, _serve
from simulator.journal import _journal

_START = time.perf_counter()
_START_WALL = time.time()  # the same instant on the wall clock, for a reader that has no access to this process
_MIN = 0.002
events: list[tuple[float, str, float, str]] = []  # (second since start, what, milliseconds, detail)
totals: dict[str, list[float]] = {}  # what -> [count, seconds]


def _note(what: str, began: float, detail: str = "", cpu: float | None = None) -> None:
    took = time.perf_counter() - began
    if cpu is not None:  # the thread's CPU time over the same span: wall far above it is the scheduler's doing
        detail = f"{detail} cpu {1000 * (time.thread_time() - cpu):.1f} ms".strip()
    count = totals.setdefault(what, [0, 0.0])
    count[0] += 1
    count[1] += took
    if took >= _MIN:
        events.append((round(began - _START, 4), what, round(took * 1000, 2), detail))


def _timed(what: str, function: Callable[..., Any], detail: Callable[..., str] | None = None) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        said = detail(*args, **kwargs) if detail else ""
        cpu = time.thread_time()
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _note(what, began, said, cpu)

    return timed


_gc_began: list[Any] = [0.0, 0.0, (0, 0, 0), ""]
#: Every this many middle-generation collections, what they walk: objects, their referents, the commonest types
#: (``LENDSIM_PROBE_GC_WALK``; 0: never). Counting takes time of its own, outside the collection's timing.
_WALK_EVERY = int(os.environ.get("LENDSIM_PROBE_GC_WALK", "0"))
_walks = [0]


def _walked() -> str:
    objects = [item for generation in (0, 1) for item in gc.get_objects(generation)]
    referents = sum(len(gc.get_referents(item)) for item in objects)
    common = collections.Counter(type(item).__name__ for item in objects).most_common(10)
    return f" walks {len(objects)} objects {referents} referents: " + ", ".join(f"{n} {k}" for k, n in common)


def _gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":  # the counts: allocations since the last young collection, young and middle ones since
        walk = ""
        if _WALK_EVERY and info["generation"] == 1:
            _walks[0] += 1
            walk = _walked() if _walks[0] % _WALK_EVERY == 0 else ""
        _gc_began[:] = [time.perf_counter(), time.thread_time(), gc.get_count(), walk]
    else:
        detail = f"collected {info['collected']} counts {'/'.join(map(str, _gc_began[2]))}{_gc_began[3]}"
        _note(f"gc{info['generation']}", _gc_began[0], detail, _gc_began[1])


def _waited(schedstat: int) -> float:
    """Seconds this thread has spent runnable but waiting for a core (the kernel's run-queue delay), or NaN."""
    try:
        return int(os.pread(schedstat, 64, 0).split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


async def _lag() -> None:
    try:  # the loop's thread: what it waited for a core tells the machine's share of a lag from the server's
        schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    except OSError:
        schedstat = -1
    while True:
        began, cpu, waited = time.perf_counter(), time.thread_time(), _waited(schedstat)
        await asyncio.sleep(0.001)
        late = time.perf_counter() - began - 0.001
        if late >= _MIN:
            used = 1000 * (time.thread_time() - cpu)
            queued = 1000 * (_waited(schedstat) - waited)
            events.append(
                (
                    round(began - _START, 4),
                    "loop lag",
                    round(late * 1000, 2),
                    f"cpu {used:.1f} ms waited {queued:.1f} ms",
                )
            )


def _next_name(clock: _clock.VirtualClock) -> str:
    event = clock._peek()
    return "" if event is None else " ".join(event.name.split(" ")[:2])  # "bank post", "retry bank.repay…"


def _write_out(out: Path) -> None:
    gc.callbacks.remove(_gc)  # the full collection below is the probe's, not the server's
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    leaked = gc.collect()  # cycles that died after being frozen: the price of freezing what survives
    out.write_text(
        json.dumps(
            {"started": _START_WALL, "events": events, "totals": totals, "frozen": frozen, "frozen_garbage": leaked}
        )
    )


def main() -> None:
    out = Path(sys.argv.pop(1))
    if sys.argv[1] == "--gc":  # the collector's thresholds to try instead of serve's: --gc YOUNG,MIDDLE
        sys.argv.pop(1)
        young, middle = (int(part) for part in sys.argv.pop(1).split(","))
        _serve.GC_YOUNG_THRESHOLD, _serve.GC_MIDDLE_THRESHOLD = young, middle
    _journal._write = _timed("journal write+commit", _journal._write, lambda conn, rows, path: f"{len(rows)} rows")
    _serve.RealtimeDriver.sync = _timed("clock catch-up", _serve.RealtimeDriver.sync)  # type: ignore[method-assign]
    # One event of the catch-up (a posting, a delivery, a daily job), by name: what a slow catch-up was made of.
    _clock.VirtualClock.run_next = _timed(  # type: ignore[method-assign]
        "clock event", _clock.VirtualClock.run_next, lambda clock: _next_name(clock)
    )
    # One request's handling in the engine (the answer, before the commit it waits for).
    _app.ASGIApp._answer = _timed("request", _app.ASGIApp._answer)  # type: ignore[method-assign]
    startup = _app.ASGIApp._startup

    async def started(self: _app.ASGIApp) -> None:
        await startup(self)
        asyncio.get_running_loop().create_task(_lag())

    shutdown = _app.ASGIApp._shutdown

    async def stopped(self: _app.ASGIApp) -> None:
        await shutdown(self)
        _write_out(out)  # here, not at exit: the process ends by the signal that stopped it

    _app.ASGIApp._startup = started  # type: ignore[method-assign]
    _app.ASGIApp._shutdown = stopped  # type: ignore[method-assign]
    gc.callbacks.append(_gc)
    from simulator.cli import main as lendsim

    lendsim(sys.argv[1:])


if __name__ == "__main__":
    main()
