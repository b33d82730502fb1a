from __future__ import annotations

import ast
import importlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulator.clock
from simulator.clock import Calendar, ScheduledEvent, VirtualClock
from simulator.errors import ClockError

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2019, 5, 1, 0, 0, tzinfo=SHANGHAI)
CALENDAR = Calendar()


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START, CALENDAR)


# --- reading time -----------------------------------------------------------------------------------


def test_now_starts_at_start_in_the_calendar_zone_whatever_zone_start_was_given_in() -> None:
    clock = VirtualClock(datetime(2019, 4, 30, 16, 0, tzinfo=UTC))
    assert clock.now() == START
    assert clock.now().tzinfo is SHANGHAI
    assert clock.today() == date(2019, 5, 1)
    assert clock.calendar.name == "Asia/Shanghai"


def test_a_naive_start_is_rejected_with_the_fix() -> None:
    with pytest.raises(ClockError, match=r"start is a naive datetime .*Give it a tzinfo, e\.g\. dt\.replace"):
        VirtualClock(datetime(2019, 5, 1))


def test_calendar_must_be_a_calendar() -> None:
    with pytest.raises(ClockError, match="calendar must be a Calendar"):
        VirtualClock(START, "Asia/Shanghai")  # type: ignore[arg-type]


# --- ordering -----------------------------------------------------------------------------------------


def test_events_run_in_time_order_whatever_order_they_were_scheduled_in(clock: VirtualClock) -> None:
    log: list[str] = []
    clock.schedule(at(3), lambda: log.append("03:00"))
    clock.schedule(at(1), lambda: log.append("01:00"))
    clock.schedule(at(2), lambda: log.append("02:00"))
    assert clock.advance_to(at(4)) == 3
    assert log == ["01:00", "02:00", "03:00"]


def test_events_at_equal_times_run_in_scheduling_order(clock: VirtualClock) -> None:
    log: list[int] = []
    for i in range(50):
        clock.schedule(at(2), lambda i=i: log.append(i))  # type: ignore[misc]
    clock.advance_to(at(2))
    assert log == list(range(50))


def test_equal_instants_in_different_zones_tie_in_scheduling_order(clock: VirtualClock) -> None:
    log: list[str] = []
    clock.schedule(datetime(2019, 4, 30, 18, 0, tzinfo=UTC), lambda: log.append("utc"))
    clock.schedule(at(2), lambda: log.append("shanghai"))
    clock.schedule(datetime(2019, 4, 30, 14, 0, tzinfo=ZoneInfo("America/New_York")), lambda: log.append("ny"))
    clock.advance_to(at(2))
    assert log == ["utc", "shanghai", "ny"]


def test_now_inside_an_action_is_the_event_time(clock: VirtualClock) -> None:
    seen: list[tuple[datetime, date]] = []
    clock.schedule(at(23.5), lambda: seen.append((clock.now(), clock.today())))
    clock.schedule(at(24.5), lambda: seen.append((clock.now(), clock.today())))
    clock.advance_to(at(30))
    assert seen == [(at(23.5), date(2019, 5, 1)), (at(24.5), date(2019, 5, 2))]
    assert all(now.tzinfo is SHANGHAI for now, _ in seen)


def test_after_advancing_now_is_the_target_even_with_no_event_there(clock: VirtualClock) -> None:
    clock.schedule(at(1), lambda: None)
    clock.advance_to(at(5))
    assert clock.now() == at(5)
    assert clock.advance_by(timedelta(minutes=30)) == 0
    assert clock.now() == at(5.5)


def test_advance_to_now_runs_events_due_now(clock: VirtualClock) -> None:
    log: list[str] = []
    clock.schedule(START, lambda: log.append("now"))
    assert clock.advance_to(START) == 1
    assert clock.advance_by(timedelta(0)) == 0
    assert log == ["now"]


def test_advance_counts_only_events_due_by_the_target(clock: VirtualClock) -> None:
    for hour in (1, 2, 3, 4):
        clock.schedule(at(hour), lambda: None)
    assert clock.advance_to(at(2)) == 2  # the event exactly at the target runs
    assert clock.pending == 2
    assert clock.advance_by(timedelta(hours=10)) == 2
    assert clock.pending == 0


# --- events scheduled during a run ---------------------------------------------------------------


def test_events_scheduled_during_a_run_at_or_before_the_target_run_in_the_same_call(
    clock: VirtualClock,
) -> None:
    log: list[str] = []

    def first() -> None:
        log.append("first")
        clock.schedule_in(timedelta(0), lambda: log.append("same instant, queued last"))
        clock.schedule_in(timedelta(hours=1), lambda: log.append("an hour later"))
        clock.schedule(at(10), lambda: log.append("after the target"))

    clock.schedule(at(1), first)
    clock.schedule(at(1), lambda: log.append("already queued at 01:00"))
    clock.schedule(at(1.5), lambda: log.append("01:30"))
    assert clock.advance_to(at(3)) == 5
    assert log == ["first", "already queued at 01:00", "same instant, queued last", "01:30", "an hour later"]
    assert clock.pending == 1
    assert clock.next_event_time() == at(10)


def test_a_self_rescheduling_event_runs_until_the_target(clock: VirtualClock) -> None:
    times: list[datetime] = []

    def tick() -> None:
        times.append(clock.now())
        clock.schedule_in(timedelta(minutes=10), tick)

    clock.schedule(START, tick)
    assert clock.advance_by(timedelta(hours=1)) == 7  # 00:00, 00:10 … 01:00
    assert times[-1] == at(1)
    assert clock.pending == 1


# --- moving backwards and scheduling in the past -------------------------------------------------------


def test_advancing_to_an_earlier_instant_raises_naming_both_instants(clock: VirtualClock) -> None:
    clock.advance_to(at(5))
    with pytest.raises(ClockError) as excinfo:
        clock.advance_to(at(4))
    assert str(excinfo.value) == (
        "cannot advance to 2019-05-01T04:00:00+08:00: it is before now (2019-05-01T05:00:00+08:00); "
        "virtual time only moves forward. Use reset(start) to start over."
    )
    assert clock.now() == at(5)


def test_advancing_by_a_negative_delta_raises(clock: VirtualClock) -> None:
    with pytest.raises(ClockError, match=r"cannot advance by .*Use a delta >= timedelta\(0\)"):
        clock.advance_by(timedelta(seconds=-1))
    with pytest.raises(ClockError, match=r"delta must be a datetime\.timedelta, got 5"):
        clock.advance_by(5)  # type: ignore[arg-type]


def test_scheduling_in_the_past_raises(clock: VirtualClock) -> None:
    clock.advance_to(at(5))
    with pytest.raises(ClockError) as excinfo:
        clock.schedule(at(4), lambda: None, name="bank.overdue_batch")
    assert str(excinfo.value) == (
        "cannot schedule 'bank.overdue_batch' at 2019-05-01T04:00:00+08:00: that is before now "
        "(2019-05-01T05:00:00+08:00); virtual time only moves forward. Schedule at or after now()."
    )
    with pytest.raises(ClockError, match=r"a negative delay lands before now .*Use a delay >= timedelta\(0\)"):
        clock.schedule_in(timedelta(microseconds=-1), lambda: None)
    assert clock.pending == 0


def test_naive_or_non_datetime_instants_are_rejected_with_the_fix(clock: VirtualClock) -> None:
    with pytest.raises(ClockError, match=r"at is a naive datetime \(datetime.datetime\(2019, 5, 2, 0, 0\)\)"):
        clock.schedule(datetime(2019, 5, 2), lambda: None)
    with pytest.raises(ClockError, match=r"when is a naive datetime .*Calendar.at\(d, t\)"):
        clock.advance_to(datetime(2019, 5, 2))
    with pytest.raises(ClockError, match=r"at must be a timezone-aware datetime, got datetime.date\(2019, 5, 2\)"):
        clock.schedule(date(2019, 5, 2), lambda: None)  # type: ignore[arg-type]
    with pytest.raises(ClockError, match=r"delay must be a datetime\.timedelta, got 'PT1H'"):
        clock.schedule_in("PT1H", lambda: None)  # type: ignore[arg-type]


def test_a_non_callable_action_is_rejected_when_scheduled(clock: VirtualClock) -> None:
    with pytest.raises(ClockError, match="action must be a callable taking no arguments, got 'notify'"):
        clock.schedule(at(1), "notify")  # type: ignore[arg-type]
    with pytest.raises(ClockError, match="action must be a callable"):
        clock.schedule_in(timedelta(1), None)  # type: ignore[arg-type]


# --- cancel ------------------------------------------------------------------------------------------


def test_a_cancelled_event_does_not_run_and_is_not_pending(clock: VirtualClock) -> None:
    log: list[str] = []
    keep = clock.schedule(at(1), lambda: log.append("keep"))
    drop = clock.schedule(at(1), lambda: log.append("drop"))
    clock.cancel(drop)
    assert drop.cancelled
    assert not keep.cancelled
    assert clock.pending == 1
    assert clock.advance_to(at(2)) == 1
    assert log == ["keep"]


def test_cancelling_twice_or_after_running_is_harmless(clock: VirtualClock) -> None:
    ran = clock.schedule(at(1), lambda: None)
    dropped = clock.schedule(at(3), lambda: None)
    clock.cancel(dropped)
    clock.cancel(dropped)
    clock.advance_to(at(2))
    clock.cancel(ran)
    assert not ran.cancelled
    assert clock.pending == 0


def test_an_action_can_cancel_a_later_event_of_the_same_run(clock: VirtualClock) -> None:
    log: list[str] = []
    timeout = clock.schedule(at(2), lambda: log.append("timeout"))

    def callback() -> None:
        log.append("callback")
        clock.cancel(timeout)

    clock.schedule(at(1), callback)
    assert clock.advance_to(at(3)) == 1
    assert log == ["callback"]


def test_cancelling_an_event_of_another_clock_raises(clock: VirtualClock) -> None:
    other = VirtualClock(START, CALENDAR)
    event = other.schedule(at(1), lambda: None)
    with pytest.raises(ClockError, match="was scheduled on another clock; cancel it there"):
        clock.cancel(event)
    with pytest.raises(ClockError, match="cancel\\(\\) takes a ScheduledEvent"):
        clock.cancel("event")  # type: ignore[arg-type]


def test_mass_cancellation_compacts_the_queue_and_keeps_the_survivors_in_order(clock: VirtualClock) -> None:
    log: list[int] = []
    events = [clock.schedule(at(i % 7), lambda i=i: log.append(i)) for i in range(5000)]  # type: ignore[misc]
    for event in events[::5] + events[1::5] + events[2::5]:
        clock.cancel(event)
    assert clock.pending == 2000
    assert clock.advance_to(at(10)) == 2000
    survivors = [i for i in range(5000) if i % 5 in (3, 4)]
    assert log == sorted(survivors, key=lambda i: (i % 7, i))


# --- run_next and next_event_time ----------------------------------------------------------------


def test_run_next_jumps_to_and_runs_only_the_next_live_event(clock: VirtualClock) -> None:
    log: list[str] = []
    skipped = clock.schedule(at(1), lambda: log.append("cancelled"))
    second = clock.schedule(at(2), lambda: log.append("second"), name="second")
    clock.schedule(at(3), lambda: log.append("third"))
    clock.cancel(skipped)
    assert clock.next_event_time() == at(2)
    assert clock.run_next() is second
    assert log == ["second"]
    assert clock.now() == at(2)
    assert clock.pending == 1


def test_run_next_with_nothing_pending_returns_none_and_keeps_time(clock: VirtualClock) -> None:
    clock.cancel(clock.schedule(at(1), lambda: None))
    assert clock.next_event_time() is None
    assert clock.run_next() is None
    assert clock.now() == START


# --- actions that raise ----------------------------------------------------------------------------


def test_an_action_that_raises_propagates_with_the_clock_at_its_time_and_later_events_pending(
    clock: VirtualClock,
) -> None:
    log: list[str] = []

    def explode() -> None:
        raise RuntimeError("platform crashed")

    clock.schedule(at(1), lambda: log.append("01:00"))
    clock.schedule(at(2), explode)
    clock.schedule(at(2), lambda: log.append("02:00 after the failure"))
    clock.schedule(at(3), lambda: log.append("03:00"))
    with pytest.raises(RuntimeError, match="platform crashed"):
        clock.advance_to(at(5))
    assert clock.now() == at(2)
    assert log == ["01:00"]
    assert clock.pending == 2
    # Carry on: the failed event is not retried; the rest run.
    assert clock.advance_to(at(5)) == 2
    assert log == ["01:00", "02:00 after the failure", "03:00"]
    assert clock.now() == at(5)


def test_an_action_that_raises_in_run_next_propagates_and_the_clock_stays_usable(clock: VirtualClock) -> None:
    clock.schedule(at(1), lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        clock.run_next()
    assert clock.now() == at(1)
    assert clock.advance_by(timedelta(hours=1)) == 0


def test_actions_may_not_move_or_reset_the_clock(clock: VirtualClock) -> None:
    errors: list[str] = []

    def meddle() -> None:
        for attempt in (
            lambda: clock.advance_to(at(9)),
            lambda: clock.advance_by(timedelta(1)),
            clock.run_next,
            lambda: clock.reset(START),
        ):
            with pytest.raises(ClockError) as excinfo:
                attempt()
            errors.append(str(excinfo.value))

    clock.schedule(at(1), meddle)
    clock.schedule(at(2), lambda: None)
    clock.advance_to(at(3))
    assert len(errors) == 4
    assert all("from inside an event's action" in error for error in errors)


# --- reset -----------------------------------------------------------------------------------------


def test_reset_drops_every_event_and_sets_now_even_backwards(clock: VirtualClock) -> None:
    log: list[str] = []
    old = clock.schedule(at(10), lambda: log.append("old"))
    clock.advance_to(at(5))
    clock.reset(START - timedelta(days=1))
    assert clock.now() == START - timedelta(days=1)
    assert clock.pending == 0
    assert clock.next_event_time() is None
    clock.cancel(old)  # harmless
    assert not old.cancelled
    clock.schedule(at(1), lambda: log.append("new"))
    clock.advance_to(at(20))
    assert log == ["new"]


def test_reset_rejects_a_naive_start(clock: VirtualClock) -> None:
    with pytest.raises(ClockError, match="start is a naive datetime"):
        clock.reset(datetime(2019, 5, 1))


# --- ScheduledEvent ---------------------------------------------------------------------------------


def test_scheduled_event_carries_time_name_and_borrower(clock: VirtualClock) -> None:
    event = clock.schedule(datetime(2019, 5, 1, 2, 0, tzinfo=UTC), lambda: None, name="sms.send", borrower="B042")
    assert isinstance(event, ScheduledEvent)
    assert event.at == at(10)
    assert event.at.tzinfo is SHANGHAI  # reported in the calendar's zone
    assert (event.name, event.borrower, event.cancelled) == ("sms.send", "B042", False)
    assert repr(event) == "<ScheduledEvent 'sms.send' at 2019-05-01T10:00:00+08:00, borrower='B042' (pending)>"
    batch = clock.schedule_in(timedelta(hours=2), lambda: None, name="bank.overdue_batch")
    assert batch.borrower is None
    assert batch.at == at(2)
    clock.cancel(batch)
    assert repr(batch) == "<ScheduledEvent 'bank.overdue_batch' at 2019-05-01T02:00:00+08:00 (cancelled)>"
    clock.advance_to(at(10))
    assert repr(event).endswith("(ran)>")


def test_clock_repr_shows_now_and_pending(clock: VirtualClock) -> None:
    clock.schedule(at(1), lambda: None)
    assert repr(clock) == (
        "<VirtualClock now=2019-05-01T00:00:00+08:00 pending=1 Calendar('Asia/Shanghai', holidays='mainland')>"
    )


# --- elapsed time across DST --------------------------------------------------------------------------


def test_delays_are_elapsed_time_across_a_dst_change() -> None:
    new_york = Calendar("America/New_York", holidays=None)
    clock = VirtualClock(datetime(2024, 3, 9, 12, 0, tzinfo=new_york.tz), new_york)
    event = clock.schedule_in(timedelta(hours=24), lambda: None)
    # Clocks sprang forward at 02:00 on 03-10: 24 real hours later the wall clock reads 13:00 EDT.
    assert event.at.astimezone(UTC) == datetime(2024, 3, 10, 17, 0, tzinfo=UTC)
    assert (event.at.hour, event.at.utcoffset()) == (13, timedelta(hours=-4))
    clock.advance_by(timedelta(days=1))
    assert clock.now().astimezone(UTC) == datetime(2024, 3, 10, 17, 0, tzinfo=UTC)
    assert clock.pending == 0


# --- property: the order and count of what runs -------------------------------------------------------

plans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=40), st.booleans()),  # (minute, cancel it?); many ties
    max_size=60,
)


@given(plans, st.integers(min_value=0, max_value=45), st.integers(min_value=0, max_value=45))
def test_events_run_in_time_then_scheduling_order_and_the_count_is_the_due_live_events(
    plan: list[tuple[int, bool]], first_stop: int, second_stop: int
) -> None:
    clock = VirtualClock(START, CALENDAR)
    ran: list[tuple[int, int]] = []  # (minute, scheduling index)
    events = []
    for index, (minute, _) in enumerate(plan):
        when = START + timedelta(minutes=minute)
        events.append(clock.schedule(when, lambda m=minute, i=index: ran.append((m, i))))  # type: ignore[misc]
    for event, (_, cancel) in zip(events, plan, strict=True):
        if cancel:
            clock.cancel(event)
    live = [(minute, i) for i, (minute, cancel) in enumerate(plan) if not cancel]
    for stop in sorted((first_stop, second_stop)):
        before = len(ran)
        count = clock.advance_to(START + timedelta(minutes=stop))
        assert count == len(ran) - before
        assert clock.now() == START + timedelta(minutes=stop)
    last = max(first_stop, second_stop)
    assert ran == sorted(entry for entry in live if entry[0] <= last)
    assert clock.pending == sum(1 for minute, _ in live if minute > last)


# --- hygiene ---------------------------------------------------------------------------------------

_WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def test_the_clock_package_never_reads_the_wall_clock() -> None:
    package = Path(simulator.clock.__file__).parent
    for source in sorted(package.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
                assert "time" not in modules, f"{source.name}:{node.lineno} imports the time module"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                call = (node.value.id, node.attr)
                assert call not in _WALL_CLOCK_CALLS, f"{source.name}:{node.lineno} reads the wall clock: {call}"


def test_the_package_re_exports_every_public_name_of_its_modules() -> None:
    exported: set[str] = set()
    for module in ("_clock", "_calendar", "_durations", "_years"):
        names = importlib.import_module(f"simulator.clock.{module}").__all__
        exported.update(names)
        for name in names:
            assert getattr(simulator.clock, name) is getattr(importlib.import_module(f"simulator.clock.{module}"), name)
    assert set(simulator.clock.__all__) == exported


# -- one instant at a time (take_due) ---------------------------------------------------------------------------


def test_take_due_hands_over_every_event_of_the_earliest_due_instant_in_scheduling_order(clock: VirtualClock) -> None:
    clock.schedule(at(2), lambda: None, name="later")
    clock.schedule(at(1), lambda: None, name="b", borrower="B2")
    cancelled = clock.schedule(at(1), lambda: None, name="cancelled")
    clock.schedule(at(1), lambda: None, name="a", borrower="B1")
    clock.cancel(cancelled)

    taken = clock.take_due(at(5))

    assert [event.name for event in taken] == ["b", "a"]
    assert clock.now() == at(1)
    assert [event.name for event in clock.take_due(at(5))] == ["later"]
    assert clock.take_due(at(5)) == [] and clock.now() == at(2)  # nothing more: time stays


def test_events_scheduled_at_the_taken_instant_come_with_the_next_take(clock: VirtualClock) -> None:
    ran: list[str] = []
    clock.schedule(at(1), lambda: clock.schedule_in(timedelta(0), lambda: ran.append("then"), name="then"))

    for event in clock.take_due(at(1)):
        event.action()
    (then,) = clock.take_due(at(1))

    assert then.name == "then" and clock.now() == at(1)


def test_take_due_takes_nothing_past_until_nor_before_now(clock: VirtualClock) -> None:
    clock.schedule(at(3), lambda: None)

    assert clock.take_due(at(2)) == []
    clock.advance_to(at(2))
    with pytest.raises(ClockError, match="before now"):
        clock.take_due(at(1))


def test_taking_one_instant_at_a_time_runs_what_advance_to_runs(clock: VirtualClock) -> None:
    def plan(on: VirtualClock, ran: list[str]) -> None:
        for hours, name in ((1, "a"), (1, "b"), (2, "c"), (4, "late")):
            on.schedule(at(hours), lambda name=name: ran.append(name))  # type: ignore[misc]
        on.schedule(at(1), lambda: on.schedule_in(timedelta(hours=1), lambda: ran.append("scheduled")))

    whole: list[str] = []
    plan(clock, whole)
    clock.advance_to(at(3))
    stepped: list[str] = []
    other = VirtualClock(START)
    plan(other, stepped)

    while events := other.take_due(at(3)):
        for event in events:
            event.action()

    assert stepped == whole == ["a", "b", "c", "scheduled"]
