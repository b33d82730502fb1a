"""The virtual clock: a discrete-event scheduler over timezone-aware virtual time.

Nothing here reads the wall clock: time moves only when ``advance_to``/``advance_by``/``run_next`` say so.

How the queue works (the hot path of every simulation):

- Every instant is an ``int`` of microseconds since the Unix epoch; ``datetime`` objects are built only
  when asked for (``now()``, ``ScheduledEvent.at``), always in the calendar's zone.
- The heap holds one plain ``int`` per event, ``microseconds << 48 | sequence``: the same order as the
  tuple ``(microseconds, sequence)`` — time first, then scheduling order — but compared as a single
  integer, which makes ``heappop`` on a million-event heap about twice as fast as with tuples. A dict
  maps that key to its :class:`ScheduledEvent`. The sequence counts events per clock (``reset``
  restarts it); 2**48 of them would take years at a million events a second.
- ``cancel`` removes the event from the dict at once (so ``pending`` is exact) and leaves its key in the
  heap, skipped when popped; the heap is compacted when dead keys outnumber live events.
- Delays (``schedule_in``, ``advance_by``) are elapsed time, not wall-clock arithmetic: 24 hours across
  a DST change is 24 real hours.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo

from simulator.clock._calendar import Calendar, instant_error
from simulator.errors import ClockError

__all__ = ["ScheduledEvent", "VirtualClock"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SEQ_BITS = 48
_SEQ_MASK = (1 << _SEQ_BITS) - 1
_COMPACT_MIN = 1024  # never compact a heap for fewer dead keys than this

# ScheduledEvent._state values
_PENDING, _RAN, _CANCELLED, _DROPPED = 0, 1, 2, 3
_STATE_NAMES = ("pending", "ran", "cancelled", "dropped by reset")


def _to_datetime(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def _to_us(value: datetime, argument: str) -> int:
    try:
        return (value - _EPOCH) // _US
    except TypeError:
        raise instant_error(value, argument) from None


def _delta_us(value: timedelta, argument: str) -> int:
    try:
        return value // _US
    except TypeError:
        raise ClockError(f"{argument} must be a datetime.timedelta, got {value!r}") from None


class ScheduledEvent:
    """One scheduled action, returned by ``schedule``/``schedule_in``; pass it to ``cancel``.

    ``at`` (aware, in the clock's zone), ``name``, ``borrower`` (``None`` for events that belong to no
    borrower, such as batches), ``cancelled``; ``action`` is the zero-argument callable run at ``at``.
    """

    __slots__ = ("_at", "_clock", "_key", "_state", "action", "borrower", "name")

    def __init__(
        self, clock: VirtualClock, key: int, action: Callable[[], object], name: str, borrower: str | None
    ) -> None:
        self._clock = clock
        self._key = key
        self._at: datetime | None = None
        self._state = _PENDING
        self.action = action
        self.name = name
        self.borrower = borrower

    @property
    def at(self) -> datetime:
        """When the event runs (or ran), aware, in the clock's calendar zone."""
        at = self._at
        if at is None:
            at = self._at = _to_datetime(self._key >> _SEQ_BITS, self._clock.calendar.tz)
        return at

    @property
    def cancelled(self) -> bool:
        """Whether ``VirtualClock.cancel`` removed it before it ran."""
        return self._state == _CANCELLED

    def __repr__(self) -> str:
        borrower = f", borrower={self.borrower!r}" if self.borrower is not None else ""
        state = _STATE_NAMES[self._state]
        return f"<ScheduledEvent {self.name!r} at {self.at.isoformat()}{borrower} ({state})>"


class VirtualClock:
    """Virtual time and the event queue of one simulation run.

    ``now()`` starts at ``start`` and only moves forward, through ``advance_to``, ``advance_by`` and
    ``run_next``. Events due at the same instant run in the order they were scheduled.

    **An action that raises** propagates unchanged out of ``advance_to``/``advance_by``/``run_next``.
    The clock is left at that event's time (``now()`` is the failing event's ``at``, not the target),
    the failing event counts as run (it is not retried), and every later event is still pending: fix
    the cause and call ``advance_to`` again to carry on.

    Actions may schedule and cancel events — those scheduled at or before the target of the running
    ``advance_to`` run in the same call — but may not call ``advance_to``, ``advance_by``, ``run_next``
    or ``reset`` (``ClockError``).
    """

    __slots__ = ("_calendar", "_events", "_heap", "_now", "_now_key", "_now_us", "_running", "_sequence")

    def __init__(self, start: datetime, calendar: Calendar | None = None) -> None:
        if calendar is None:
            calendar = Calendar()
        elif not isinstance(calendar, Calendar):
            raise ClockError(f"calendar must be a Calendar such as Calendar('Asia/Shanghai'), got {calendar!r}")
        self._calendar = calendar
        self._heap: list[int] = []  # keys: microseconds << _SEQ_BITS | sequence
        self._events: dict[int, ScheduledEvent] = {}  # live events by key
        self._sequence = itertools.count()
        self._running = False
        self._now_us = _to_us(start, "start")
        self._now = _EPOCH  # now() cache: the datetime of _now_key
        self._now_key: int | None = None

    @property
    def calendar(self) -> Calendar:
        """The calendar (time zone, business days), fixed for the clock's life."""
        return self._calendar

    def __repr__(self) -> str:
        return f"<VirtualClock now={self.now().isoformat()} pending={self.pending} {self._calendar!r}>"

    # --- reading time ----------------------------------------------------------------------------
    def now(self) -> datetime:
        """The current virtual instant, aware, in ``calendar.tz``; inside an action, that event's time."""
        if self._now_key != self._now_us:
            self._now = _to_datetime(self._now_us, self._calendar.tz)
            self._now_key = self._now_us
        return self._now

    def today(self) -> date:
        """The current local date in ``calendar.tz``."""
        return self.now().date()

    @property
    def pending(self) -> int:
        """How many events are scheduled and neither run nor cancelled."""
        return len(self._events)

    def next_event_time(self) -> datetime | None:
        """When the next live event is due, or ``None`` when nothing is pending."""
        event = self._peek()
        return None if event is None else event.at

    def _peek(self) -> ScheduledEvent | None:
        heap, events = self._heap, self._events
        while heap:
            event = events.get(heap[0])
            if event is not None:
                return event
            heapq.heappop(heap)  # a cancelled event's key
        return None

    # --- scheduling ------------------------------------------------------------------------------
    def schedule(
        self, at: datetime, action: Callable[[], object], *, name: str = "", borrower: str | None = None
    ) -> ScheduledEvent:
        """Run ``action()`` at instant ``at`` (timezone-aware, any zone; not before ``now()``)."""
        try:
            us = (at - _EPOCH) // _US
        except TypeError:
            raise instant_error(at, "at") from None
        if us < self._now_us:
            raise ClockError(
                f"cannot schedule {name or action!r} at {at.isoformat()}: that is before now "
                f"({self.now().isoformat()}); virtual time only moves forward. Schedule at or after now()."
            )
        if not callable(action):
            raise ClockError(f"action must be a callable taking no arguments, got {action!r}")
        key = us << _SEQ_BITS | next(self._sequence)
        event = ScheduledEvent(self, key, action, name, borrower)
        if at.tzinfo is self._calendar.tz:
            event._at = at
        self._events[key] = event
        heapq.heappush(self._heap, key)
        return event

    def schedule_in(
        self, delay: timedelta, action: Callable[[], object], *, name: str = "", borrower: str | None = None
    ) -> ScheduledEvent:
        """Run ``action()`` after ``delay`` (``>= timedelta(0)``) of elapsed virtual time from ``now()``."""
        try:
            us = delay // _US
        except TypeError:
            raise ClockError(f"delay must be a datetime.timedelta, got {delay!r}") from None
        if us < 0:
            raise ClockError(
                f"cannot schedule {name or action!r} in {delay!r}: a negative delay lands before now "
                f"({self.now().isoformat()}). Use a delay >= timedelta(0)."
            )
        if not callable(action):
            raise ClockError(f"action must be a callable taking no arguments, got {action!r}")
        key = (self._now_us + us) << _SEQ_BITS | next(self._sequence)
        event = ScheduledEvent(self, key, action, name, borrower)
        self._events[key] = event
        heapq.heappush(self._heap, key)
        return event

    def cancel(self, event: ScheduledEvent) -> None:
        """Stop a pending ``event`` from running. Cancelling twice, after it ran, or after ``reset``
        does nothing."""
        if not isinstance(event, ScheduledEvent):
            raise ClockError(f"cancel() takes a ScheduledEvent returned by schedule(), got {event!r}")
        if event._clock is not self:
            raise ClockError(f"{event!r} was scheduled on another clock; cancel it there")
        if event._state != _PENDING:
            return
        event._state = _CANCELLED
        del self._events[event._key]
        heap = self._heap
        dead = len(heap) - len(self._events)
        if dead > _COMPACT_MIN and dead > len(self._events):
            events = self._events
            heap[:] = [key for key in heap if key in events]  # in place: a running loop holds `heap`
            heapq.heapify(heap)

    # --- moving time -----------------------------------------------------------------------------
    def advance_to(self, when: datetime) -> int:
        """Run every event due at or before ``when``, in (time, scheduling order), then set ``now()``
        to ``when``; return how many events ran.

        While an event runs ``now()`` is its time; events it schedules at or before ``when`` run in
        this call too. Raises ``ClockError`` if ``when`` is before ``now()``. If an action raises, the
        exception propagates with the clock at that event's time and later events still pending.
        """
        target = _to_us(when, "when")
        if target < self._now_us:
            raise ClockError(
                f"cannot advance to {when.isoformat()}: it is before now ({self.now().isoformat()}); "
                "virtual time only moves forward. Use reset(start) to start over."
            )
        return self._run_until(target)

    def advance_by(self, delta: timedelta) -> int:
        """``advance_to(now() + delta)``, ``delta`` as elapsed time; ``delta`` must not be negative."""
        us = _delta_us(delta, "delta")
        if us < 0:
            raise ClockError(
                f"cannot advance by {delta!r}: virtual time only moves forward. Use a delta >= timedelta(0)."
            )
        return self._run_until(self._now_us + us)

    def _run_until(self, target: int) -> int:
        if self._running:
            raise ClockError("cannot advance the clock from inside an event's action; schedule an event instead")
        heap = self._heap
        pop_key = heapq.heappop
        pop_event = self._events.pop
        last_key = target << _SEQ_BITS | _SEQ_MASK
        ran = 0
        self._running = True
        try:
            while heap and heap[0] <= last_key:
                key = pop_key(heap)
                event = pop_event(key, None)
                if event is None:  # cancelled
                    continue
                event._state = _RAN
                self._now_us = key >> _SEQ_BITS
                event.action()
                ran += 1
        finally:
            self._running = False
        self._now_us = target
        return ran

    def take_due(self, until: datetime) -> list[ScheduledEvent]:
        """Hand over the events due at the earliest instant at or before ``until`` — all of them, in scheduling
        order — for the caller to run; ``now()`` moves to that instant. Empty (time unchanged) when none is due.

        What ``advance_to`` does one instant at a time, for a caller that runs an instant's events its own way
        (a runner sending different borrowers' work at once). The events count as run; those their actions
        schedule at the same instant come with the next call. Raises ``ClockError`` if ``until`` is before now.
        """
        if self._running:
            raise ClockError("cannot take_due() from inside an event's action; schedule an event instead")
        target = _to_us(until, "until")
        if target < self._now_us:
            raise ClockError(
                f"cannot take the events due by {until.isoformat()}: it is before now ({self.now().isoformat()}); "
                "virtual time only moves forward."
            )
        first = self._peek()
        if first is None or first._key >> _SEQ_BITS > target:
            return []
        instant = first._key >> _SEQ_BITS
        heap, events = self._heap, self._events
        last_key = instant << _SEQ_BITS | _SEQ_MASK
        taken = []
        while heap and heap[0] <= last_key:
            event = events.pop(heapq.heappop(heap), None)
            if event is not None:  # else cancelled
                event._state = _RAN
                taken.append(event)
        self._now_us = instant
        return taken

    def run_next(self) -> ScheduledEvent | None:
        """Jump to the next live event, run it and return it; ``None`` (time unchanged) if none."""
        if self._running:
            raise ClockError("cannot run_next() from inside an event's action; schedule an event instead")
        event = self._peek()
        if event is None:
            return None
        del self._events[heapq.heappop(self._heap)]
        event._state = _RAN
        self._now_us = event._key >> _SEQ_BITS
        self._running = True
        try:
            event.action()
        finally:
            self._running = False
        return event

    def reset(self, start: datetime) -> None:
        """Drop every pending event (``cancel`` on them then does nothing) and set ``now()`` to ``start``."""
        if self._running:
            raise ClockError("cannot reset the clock from inside an event's action")
        start_us = _to_us(start, "start")
        for event in self._events.values():
            event._state = _DROPPED
        self._events.clear()
        self._heap.clear()
        self._sequence = itertools.count()
        self._now_us = start_us
