"""``lendsim serve``: the ASGI app on uvicorn, and the one place that maps wall time to virtual time."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import ipaddress
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import FrameType

import uvicorn

from simulator.core import Engine
from simulator.errors import ConfigError, Interrupted
from simulator.http._app import TransportFaultError, create_app
from simulator.http._deliver import HttpDeliverer
from simulator.http._parser import problem_protocol
from simulator.http._timeouts import ClientTimeouts
from simulator.types import ASGIApplication

__all__ = ["STOP_GRACE", "Collector", "RealtimeDriver", "is_loopback", "listen", "make_server", "run_server", "serve"]

#: Seconds a stopping server gives the requests still in flight (a proxied call, a platform's handler) before it
#: cuts them off. Held requests (latency and timeout faults) are let go at once; the stop stays within 2 s.
STOP_GRACE = 1


#: Wall seconds one :meth:`RealtimeDriver.sync` spends running due events at most (it stops after the event that
#: passes it): the clock's catch-up comes in slices between requests.
CATCH_UP_BUDGET = 0.004


class RealtimeDriver:
    """Virtual time = start + (wall elapsed × speed). ``sync()`` moves the clock there, running due events.

    A sync runs due events for :data:`CATCH_UP_BUDGET` seconds at most (``budget``, timed with ``timer``; and at
    most ``max_events`` of them when given): when more are due — the server was busy or descheduled for a while,
    a batch scheduled many — the clock stops at the last one run, a little behind wall time, and the next syncs
    (before each request, and at once again from the app's ticker, after the requests waiting have had their
    turn) go on from there. So catching up never holds the event loop for the whole backlog at once (issue #17);
    events still run one by one in their order, each at its own virtual instant. A sync runs one event at least,
    and never stops inside an instant: the events due at the instant of the last one it ran (and those they
    schedule for it) run too, so a request never falls between them. One event is never split: a batch over
    every loan runs whole.

    A budget of time, not a number of events: events differ a hundredfold (a posting, a callback's retry, the
    day-end), and 100 postings were 28 ms of CPU on a busy machine (bench/_stall_probe.py).
    """

    def __init__(
        self,
        sim: Engine,
        speed: float,
        monotonic: Callable[[], float] = time.monotonic,
        max_events: int | None = None,
        budget: float = CATCH_UP_BUDGET,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.sim = sim
        self.speed = speed
        self.max_events = max_events
        self.budget = budget
        self._timer = timer
        self._monotonic = monotonic
        self._wall_start = monotonic()
        self._virtual_start = sim.clock.now()
        sim.clock_mode = "realtime"
        sim.speed = speed

    def sync(self) -> bool:
        """Move the clock towards wall time; False when events were left for the next sync (it is behind)."""
        clock = self.sim.clock
        target = self._virtual_start + timedelta(seconds=(self._monotonic() - self._wall_start) * self.speed)
        if target <= clock.now():  # someone advanced the clock by hand (control API): follow from there
            self._virtual_start = clock.now()
            self._wall_start = self._monotonic()
            return True
        timer, most = self._timer, self.max_events
        until = timer() + self.budget
        ran = 0
        last = None
        while True:
            due = clock.next_event_time()
            if due is None or due > target:
                clock.advance_to(target)
                return True
            # Never between two events of one instant: a request answered meanwhile would come between them, and a
            # restart replaying the journal would run them both before it (core/_replay.py).
            if ran and due != last and (timer() >= until or (most is not None and ran >= most)):
                return False
            clock.run_next()
            ran += 1
            last = due


class _DropTransportFaults(logging.Filter):
    """Deliberately dropped connections are the point of a fault, and a request cut off because the server is
    stopping is the point of the stop: neither is a server error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], TransportFaultError | asyncio.CancelledError))


_QUIET = _DropTransportFaults()


class _Server(uvicorn.Server):
    """uvicorn's server, stopping promptly and letting its caller clean up before the process ends.

    On SIGINT or SIGTERM (or ``should_exit`` set from another thread) it stops accepting, lets go of the
    requests the app holds (``release``), gives what is still in flight :data:`STOP_GRACE` seconds, runs the
    app's lifespan shutdown (the journal flushed) and returns. The signal is kept in ``stopped_by`` instead of
    being raised again as uvicorn does, so the caller's ``finally`` blocks run first. A second signal stops it
    at once (no grace, no lifespan shutdown).
    """

    def __init__(self, config: uvicorn.Config, release: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._release = release
        self.stopped_by: int | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread; a server in a thread is stopped with should_exit
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        before = {signum: signal.signal(signum, self.handle_exit) for signum in handled}
        try:
            yield
        finally:
            for signum, handler in before.items():
                signal.signal(signum, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.stopped_by = self.stopped_by or sig
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._release is not None:
            self._release()
        await super().shutdown(sockets=sockets)


def make_server(
    app: ASGIApplication,
    *,
    host: str,
    port: int,
    log_level: str = "warning",
    release: Callable[[], None] | None = None,
    http: type[asyncio.Protocol] | None = None,
) -> _Server:
    """A uvicorn server for ``app`` (lifespan on, no access log, no ``server`` header) that stops within 2 s.

    ``release`` lets go of the requests the app holds open when the server starts stopping (``ASGIApp.release``).
    After ``run`` returns, ``stopped_by`` is the signal that stopped it (None when stopped by ``should_exit``).
    ``http`` is the protocol for HTTP/1.1 (:func:`~simulator.http._parser.problem_protocol`; default: uvicorn's).
    """
    logging.getLogger("uvicorn.error").addFilter(_QUIET)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=STOP_GRACE,
        http=http if http is not None else "auto",
    )
    return _Server(config, release)


#: Collect the youngest generation every this many allocations (CPython's default): a backstop; under load serve's
#: own :class:`Collector` runs the young collections first.
GC_YOUNG_THRESHOLD = 700
#: Collect the middle generation after this many young collections (CPython's default is 10). Under load nearly
#: everything that survives a young collection is the world's new state, so a middle collection walks about
#: ``GC_MIDDLE_THRESHOLD`` × the survivors of a young one (bench/_stall_probe.py, issue #17).
GC_MIDDLE_THRESHOLD = 3
#: Seconds between the young collections serve runs itself (:class:`Collector`); every other one is a middle
#: collection, whose survivors are frozen.
GC_INTERVAL = 0.025


def tune_gc_for_a_growing_world() -> None:
    """Keep CPython's cycle collector from stalling the server as the world grows.

    Every repayment stays in the bank's state (idempotency, the ledger), so the heap grows by a few KB a
    request, and with the default thresholds each collection of an older generation walks all of it: pauses
    of 0.25 s at tens of thousands of requests, and of 0.5 s and more at a million objects (docs/benchmarks.md).
    What exists at start-up (contracts, compiled validators, the world) lives as long as the server, so it
    leaves the collector's walks (``gc.freeze``), and so does whatever survives a middle-generation
    collection afterwards: that is the world's state, which only grows. Young collections stay small (every
    :data:`GC_YOUNG_THRESHOLD` allocations, and every :data:`GC_INTERVAL` seconds: :class:`Collector`), middle
    ones too, and a cycle that dies young is still collected. A cycle that lives through a middle collection and
    dies later is never collected (``gc.collect`` does not see frozen objects): what waits in the engine — a
    delivery waiting for its retries, a scheduled posting — must be free of reference cycles
    (``tests/core/test_model.py`` pins it for deliveries). Measured under load: none such (``bench/_stall_probe.py``
    unfreezes and collects at the end of a run, and found 0 of ~190,000 frozen objects to be dead cycles).
    """
    gc.freeze()
    _, _, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, GC_MIDDLE_THRESHOLD, old)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


class Collector:
    """``collector()``: a young collection once :data:`GC_INTERVAL` seconds have passed since the last one, every
    other one a middle collection (whose survivors :func:`tune_gc_for_a_growing_world` freezes). Serve calls it
    between requests, with the clock's catch-up.

    CPython starts a young collection when the objects it tracks that were allocated, less those freed, since the
    last one pass :data:`GC_YOUNG_THRESHOLD` — freed ones of any age. Under a steady load that count hardly moves:
    each request leaves objects that wait (its repayment, its posting and callback on the clock) while those of a
    request half an hour of virtual time older are freed (the callback's last retry). So the young generation —
    every object made since the last collection and still alive — grew to thousands before a collection walked
    it, and a middle collection walked 6,000–25,000 objects: 8 ms of CPU at the median, 30 ms at most (5 minutes
    at 533 req/s, bench/_stall_probe.py, issue #17). On a timer, what a collection walks is what the last
    :data:`GC_INTERVAL` seconds made: a few hundred objects at that rate.
    """

    __slots__ = ("_clock", "_due", "_runs", "interval")

    def __init__(self, interval: float = GC_INTERVAL, clock: Callable[[], float] = time.perf_counter) -> None:
        self.interval = interval
        self._clock = clock
        self._due = clock() + interval
        self._runs = 0

    def __call__(self) -> None:
        now = self._clock()
        if now < self._due:
            return
        self._due = now + self.interval
        self._runs += 1
        gc.collect(0 if self._runs % 2 else 1)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, before anything says a server started there.

    Raises ConfigError (one line with the fix; the CLI exits 2) when the port is taken or not allowed, or the
    host is not an address of this machine. Port 0 picks a free port (``sock.getsockname()[1]``).
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ConfigError(
            f"cannot listen on host {host!r} ({reason}); use 127.0.0.1 (this machine only) or 0.0.0.0 "
            "(every interface) with --host",
            field="host",
        ) from None
    family, kind, proto, _, address = found[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart over TIME_WAIT
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise _bind_error(host, port, exc) from None
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> ConfigError:
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(f"port {port} on {host} is in use; choose another with --port", field="port")
    if exc.errno == errno.EACCES:
        return ConfigError(
            f"port {port} on {host} needs privileges this user does not have; choose one above 1023 with --port",
            field="port",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(
            f"{host} is not an address of this machine; use 127.0.0.1 (this machine only) or 0.0.0.0 "
            "(every interface) with --host",
            field="host",
        )
    return ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="port")


def serve(
    sim: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    speed: float | None = None,
    platform_url: str | None = None,
    log_level: str = "warning",
    sock: socket.socket | None = None,
    client_timeout: timedelta | None = None,
) -> None:
    """Serve ``sim`` until interrupted. Virtual time is manual unless ``speed`` maps wall time onto it.

    With ``platform_url``, callbacks, notices and SMS receipts are POSTed to the platform's receivers there.
    With ``sock`` (from :func:`listen`), serve on it; otherwise bind ``host:port`` (ConfigError if that fails).
    ``client_timeout``: how long the platform's client waits for an answer (a longer latency is a timeout).
    """
    deliverer = HttpDeliverer(platform_url) if platform_url else None
    if deliverer is not None:
        sim.deliverer = deliverer
    driver = RealtimeDriver(sim, speed) if speed else None
    collector = Collector()

    def tick() -> bool:
        collector()
        return driver.sync() if driver is not None else True

    app = create_app(sim, tick=tick, client_timeouts=ClientTimeouts(client_timeout), host=host)
    tune_gc_for_a_growing_world()
    try:
        run_server(
            app,
            host=host,
            port=port,
            log_level=log_level,
            sock=sock,
            release=app.release,
            http=problem_protocol(sim, app.lock),
        )
    finally:
        if _freeze_survivors in gc.callbacks:
            gc.callbacks.remove(_freeze_survivors)
        if deliverer is not None:
            deliverer.close()


def run_server(
    app: ASGIApplication,
    *,
    host: str,
    port: int,
    log_level: str = "warning",
    sock: socket.socket | None = None,
    release: Callable[[], None] | None = None,
    http: type[asyncio.Protocol] | None = None,
) -> None:
    """Serve an ASGI app on uvicorn until SIGINT or SIGTERM (:func:`make_server`), then raise
    :class:`~simulator.errors.Interrupted` with that signal once the server has shut down (held requests let
    go, the app's lifespan shutdown run, the socket closed).

    On ``sock`` when given (from :func:`listen`), else on a socket bound here: either way a port that cannot
    be had is a ConfigError, never uvicorn's own exit.
    """
    sock = sock if sock is not None else listen(host, port)
    server = make_server(app, host=host, port=port, log_level=log_level, release=release, http=http)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if server.stopped_by is not None:
        raise Interrupted(server.stopped_by)
