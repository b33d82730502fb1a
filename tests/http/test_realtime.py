"""Real time mapped onto virtual time (serve --speed): the only wall-clock reader, driven by a fake clock here."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from simulator.core import Engine
from simulator.http import RealtimeDriver, is_loopback
from simulator.http._app import create_app
from simulator.http._serve import GC_MIDDLE_THRESHOLD, GC_YOUNG_THRESHOLD, Collector, tune_gc_for_a_growing_world


def test_virtual_time_follows_wall_time_times_the_speed() -> None:
    engine = Engine()
    wall = [100.0]
    driver = RealtimeDriver(engine, speed=3600, monotonic=lambda: wall[0])
    ran: list[str] = []
    engine.clock.schedule(engine.clock.now().replace(hour=2), lambda: ran.append("batch"))

    wall[0] += 1.5  # 1.5 s of wall time at ×3600 = 1 h 30 min virtual
    driver.sync()
    early = engine.clock.now().isoformat()
    wall[0] += 1.0
    driver.sync()

    assert early == "2019-05-01T01:30:00+08:00"
    assert engine.clock.now().isoformat() == "2019-05-01T02:30:00+08:00"
    assert ran == ["batch"]
    assert engine.clock_json()["mode"] == "realtime"


def test_a_manual_advance_in_realtime_mode_is_followed_not_undone() -> None:
    engine = Engine()
    wall = [0.0]
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0])

    engine.advance(to=engine.clock.now().replace(day=2))
    driver.sync()
    wall[0] += 60
    driver.sync()

    assert engine.clock.now().isoformat() == "2019-05-02T01:00:00+08:00"


def test_loopback_hosts_are_recognised() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_a_backlog_is_caught_up_in_slices_in_order_each_event_at_its_own_instant() -> None:
    engine = Engine()
    wall = [0.0]
    # A cap of 100 events, and a time budget never spent: slices of 100.
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0], max_events=100, timer=lambda: 0.0)
    start = engine.clock.now()
    ran: list[tuple[int, str]] = []
    for number in range(250):  # one event a virtual second: a busy minute of postings and callbacks
        engine.clock.schedule(
            start + timedelta(seconds=number + 1), lambda n=number: ran.append((n, engine.clock.now().isoformat()))
        )

    wall[0] += 5.0  # 5 wall seconds at ×60: 300 virtual seconds are due at once
    first = driver.sync()
    after_first = (len(ran), engine.clock.now())
    second = driver.sync()
    third = driver.sync()

    assert (first, second, third) == (False, False, True)
    assert after_first == (100, start + timedelta(seconds=100))  # stopped at the last event it ran, behind wall time
    assert [n for n, _ in ran] == list(range(250))
    assert ran[-1][1] == (start + timedelta(seconds=250)).isoformat()
    assert engine.clock.now() == start + timedelta(seconds=300)  # caught up with wall time


def test_a_backlog_is_caught_up_in_slices_of_a_time_budget_not_of_a_number_of_events() -> None:
    engine = Engine()
    wall, spent = [0.0], [0.0]
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0], budget=0.004, timer=lambda: spent[0])
    start = engine.clock.now()
    ran: list[int] = []

    def event(number: int, cost: float) -> None:
        ran.append(number)
        spent[0] += cost  # the event's time on the event loop

    for number in range(10):  # cheap events, then one costlier than a whole slice, then cheap ones
        cost = 0.010 if number == 5 else 0.001
        engine.clock.schedule(start + timedelta(seconds=number + 1), lambda n=number, c=cost: event(n, c))

    wall[0] += 1.0  # 60 virtual seconds are due at once
    slices = []
    while True:
        before = len(ran)
        done = driver.sync()
        slices.append(ran[before:])
        if done:
            break

    assert slices == [[0, 1, 2, 3], [4, 5], [6, 7, 8, 9]]  # each slice stops once it has spent 4 ms
    assert engine.clock.now() == start + timedelta(seconds=60)


def test_a_sync_runs_one_event_at_least_however_long_the_last_one_took() -> None:
    engine = Engine()
    wall, spent = [0.0], [0.0]
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0], budget=0.0, timer=lambda: spent[0])
    start = engine.clock.now()
    ran: list[int] = []
    for number in range(3):
        engine.clock.schedule(start + timedelta(seconds=number + 1), lambda n=number: ran.append(n))

    wall[0] += 1.0
    results = []
    for _ in range(3):
        results.append((driver.sync(), list(ran)))

    assert results == [(False, [0]), (False, [0, 1]), (True, [0, 1, 2])]


def test_the_ticker_runs_a_clock_that_is_behind_again_without_waiting_its_interval() -> None:
    calls: list[int] = []
    done = asyncio.Event()
    app = create_app(Engine(), tick=lambda: tick())
    app.tick_interval = 0.01  # the first tick comes soon; every later one would wait a minute

    def tick() -> bool:
        app.tick_interval = 60.0
        calls.append(1)
        if len(calls) == 6:
            done.set()
        return len(calls) >= 6  # behind for the first five ticks

    async def scenario() -> None:
        await app._startup()
        try:
            await asyncio.wait_for(done.wait(), timeout=30)
            await asyncio.sleep(0.05)  # caught up: the next tick waits its minute
        finally:
            await app._shutdown()

    asyncio.run(scenario())

    assert len(calls) == 6


def test_a_slice_never_ends_between_two_events_of_one_instant() -> None:
    engine = Engine()
    wall, spent = [0.0], [0.0]
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0], budget=0.0, timer=lambda: spent[0])
    start = engine.clock.now()
    ran: list[str] = []

    def posting() -> None:  # schedules its callback for the same instant, as a delivery without delay is
        ran.append("posting")
        engine.clock.schedule_in(timedelta(0), lambda: ran.append("callback"))

    engine.clock.schedule(start + timedelta(seconds=1), posting)
    engine.clock.schedule(start + timedelta(seconds=1), lambda: ran.append("another"))
    engine.clock.schedule(start + timedelta(seconds=2), lambda: ran.append("later"))

    wall[0] += 1.0
    first = driver.sync()  # the budget is spent after one event, but its instant is finished

    assert (first, ran) == (False, ["posting", "another", "callback"])
    assert engine.clock.now() == start + timedelta(seconds=1)


def test_while_the_clock_is_behind_requests_leave_the_catch_up_to_the_ticker_woken_at_once() -> None:
    caught_up = asyncio.Event()
    ticks: list[tuple[str, bool]] = []
    app = create_app(Engine(), tick=lambda: tick())
    app.tick_interval = 60.0  # the ticker would not tick on its own during the test

    def tick() -> bool:
        ticks.append(("ticker" if asyncio.current_task() is app._ticker else "request", caught_up.is_set()))
        return caught_up.is_set()  # behind until the test says otherwise

    async def scenario() -> None:
        await app._startup()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
                await client.get("/_sim/clock")  # finds the clock behind
                await asyncio.sleep(0.05)
                await client.get("/_sim/clock")
                await client.get("/_sim/clock")
                caught_up.set()
                while ticks[-1] != ("ticker", True):
                    await asyncio.sleep(0)
                await client.get("/_sim/clock")  # the clock caught up: a request ticks again
        finally:
            await app._shutdown()

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))

    callers = [caller for caller, _ in ticks]
    assert callers[0] == callers[-1] == "request"
    assert set(callers[1:-1]) == {"ticker"}  # the ticker went on at once, the requests meanwhile left it the work
    assert len(callers) > 4


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.set_threshold(*thresholds)
    gc.callbacks[:] = callbacks
    gc.unfreeze()


@pytest.mark.usefixtures("restored_gc")
def test_serve_freezes_what_exists_and_collects_the_young_generations_often() -> None:
    gc.unfreeze()
    before = gc.get_freeze_count()

    tune_gc_for_a_growing_world()
    tune_gc_for_a_growing_world()  # twice: still one callback
    frozen = gc.get_freeze_count()
    gc.collect(1)  # a middle collection freezes its survivors
    survivor = [object()]
    gc.collect(1)

    assert before == 0 and frozen > 0
    assert gc.get_threshold()[:2] == (GC_YOUNG_THRESHOLD, GC_MIDDLE_THRESHOLD) == (700, 3)
    assert sum(getattr(callback, "__name__", "") == "_freeze_survivors" for callback in gc.callbacks) == 1
    assert not any(tracked is survivor for tracked in gc.get_objects())  # frozen: no collection walks it again
    assert gc.get_freeze_count() > frozen


@pytest.mark.usefixtures("restored_gc")
def test_serves_collector_collects_on_a_timer_every_other_time_the_middle_generation() -> None:
    now = [0.0]
    collector = Collector(interval=0.025, clock=lambda: now[0])
    collected: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected.append(info["generation"])

    gc.disable()  # only the collector's collections are counted
    gc.callbacks.append(seen)
    try:
        for step in (0.010, 0.010, 0.010, 0.025, 0.001, 0.030):
            now[0] += step
            collector()
    finally:
        gc.callbacks.remove(seen)
        gc.enable()

    assert collected == [0, 1, 0]  # at 30 ms, 55 ms and 86 ms: not more often than every 25 ms
