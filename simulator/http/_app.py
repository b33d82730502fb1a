"""The ASGI adapter: HTTP in, :meth:`Engine.handle`, HTTP out. No behaviour lives here.

A raw ASGI callable rather than a framework: the request is read once (bounded), handed to the core, and
the core's response written back. Transport faults become what a client would see on the wire: a
connection that closes mid-answer (reset/refused) or an answer that never comes (timeout).

Real time is spent only where the client must really give up. A ``latency`` fault's answer goes back at once,
stamped as of the virtual instant it arrives (on a real-time clock, ``lendsim serve --speed N``, after
``delay / N``); one at or beyond the client's timeout (:class:`ClientTimeouts`) is a timeout: the connection held
with no answer until the client gives up, never longer than its timeout plus :data:`HOLD_MARGIN`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from simulator.core import Engine, Request, Response
from simulator.http._commit import GroupCommit
from simulator.http._deadline import BODY_DEADLINE, read_within
from simulator.http._guard import ControlGuard
from simulator.http._incident import incident
from simulator.http._timeouts import HOLD_MARGIN, ClientTimeouts
from simulator.http._ui import ui_page
from simulator.types import Receive, Scope, Send

__all__ = [
    "ASGIApp",
    "TransportFaultError",
    "create_app",
    "lifespan",
    "read_body",
    "read_request",
    "send_response",
]

#: How long (wall seconds) a "timeout" fault keeps a connection open with no answer at most, when the client's
#: timeout is not known.
TIMEOUT_HOLD = 60.0


class TransportFaultError(ConnectionError):
    """Raised inside the server to make it drop the connection, as a transport fault asks."""


class ASGIApp:
    """Serve a :class:`Engine` over ASGI. ``tick`` (if given) runs before each request and every ``tick_interval``
    seconds; when it returns False (work left over: the clock is behind) the ticker runs it again as soon as the
    requests waiting have had their turn, and requests leave it to the ticker until it returns True: so a backlog
    is caught up one slice per turn of the event loop, not one per request waiting as well (issue #17)."""

    def __init__(
        self,
        sim: Engine,
        *,
        tick: Callable[[], bool | None] | None = None,
        tick_interval: float = 0.05,
        lock: AbstractContextManager[Any] | None = None,
        client_timeouts: ClientTimeouts | None = None,
        host: str | None = None,
        body_deadline: float = BODY_DEADLINE,
    ) -> None:
        self.sim = sim
        #: The control API's defences against web pages (http/_guard.py), for a server listening on ``host``.
        self.guard = ControlGuard(host) if host is not None else None
        self.body_deadline = body_deadline
        self.lock = lock or contextlib.nullcontext()  # shared with a runner driving the same engine
        #: How long the platform's client waits for each partner (the runner sets what setupRun declared).
        self.client_timeouts = client_timeouts or ClientTimeouts()
        self.tick = tick
        self.tick_interval = tick_interval
        self._ticker: asyncio.Task[None] | None = None
        self._behind = False  # the last tick left work over: the ticker goes on with it, requests do not tick
        self._wake: asyncio.Future[None] | None = None  # what the ticker sleeps on: a request wakes it with work
        self._stopping = asyncio.Event()  # set when the server stops: held requests are let go
        self._commit = GroupCommit(sim)  # an answer leaves once the journal file holds it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await lifespan(receive, send, startup=self._startup, shutdown=self._shutdown)

    def release(self) -> None:
        """Let go of every request held open (latency, timeout faults): the server is stopping. Their clients
        see the connection close without an answer. Call it on the server's event loop."""
        self._stopping.set()

    async def _startup(self) -> None:
        self._stopping = asyncio.Event()
        self._behind = False
        # Deliveries finished on worker threads come back through the event loop.
        self.sim.run_soon = asyncio.get_running_loop().call_soon_threadsafe
        if self.tick is not None:
            self._ticker = asyncio.create_task(self._tick_forever())

    async def _shutdown(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        self.sim.journal.flush()

    async def _tick_forever(self) -> None:
        assert self.tick is not None
        loop = asyncio.get_running_loop()
        while True:
            if self._behind:
                await asyncio.sleep(0)  # the requests waiting first
            else:  # the interval, or until a request's tick leaves work over
                wake = self._wake = loop.create_future()
                timer = loop.call_later(self.tick_interval, _wake_up, wake)
                try:
                    await wake
                finally:
                    timer.cancel()
            self._behind = self.tick() is False

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request | Response | None = None
        try:
            request = await read_within(
                read_request(scope, receive, self.sim.max_body), scope, self.body_deadline, self.sim
            )
            if request is None:
                return
            if self.tick is not None and not self._behind and self.tick() is False and self._ticker is not None:
                self._behind = True  # the ticker goes on at once; the requests until it is done leave it the work
                if self._wake is not None:
                    _wake_up(self._wake)
            if isinstance(request, Request):
                request.client_timeout = self.client_timeouts.of(request.path.lstrip("/").partition("/")[0])
            with self.lock:
                response = request if isinstance(request, Response) else self._answer(request)
            response = await self._commit(response)
        except Exception as exc:  # never a traceback to the client: a 500 naming an incident (http/_incident.py)
            response = incident(self.sim, request if isinstance(request, Request) else None, exc)
        if response.transport_fault == "timeout":
            # The client waits for an answer that never comes; hold until it gives up (or the server stops).
            await self._hold(_hold_seconds(response), until=_until_disconnect(receive))
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise TransportFaultError("timeout fault: the answer is lost")
        if (
            response.delay
            and self.sim.clock_mode == "realtime"
            # Wall time drives the clock: the answer arrives when the clock reaches its stamp.
            and not await self._hold(response.delay.total_seconds() / self.sim.speed)
        ):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise TransportFaultError("the server stopped while a latency fault held the answer")
        if response.transport_fault is not None:
            # Start an answer and break it off: the client sees the connection closed under it.
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise TransportFaultError(f"{response.transport_fault} fault: connection dropped")
        await send_response(send, response.status, response.headers, response.body)

    def _answer(self, request: Request) -> Response:
        refused = self.guard(request) if self.guard is not None else None
        if refused is not None:
            return self.sim.refuse(request, refused)
        return ui_page(request) or self.sim.handle(request)  # the live view's page (http/_ui.py), or the engine

    async def _hold(self, seconds: float, *, until: Awaitable[Any] | None = None) -> bool:
        """Hold the request ``seconds`` at most, or until ``until`` is done; False if the server began to stop."""
        waits = {asyncio.ensure_future(self._stopping.wait())}
        if until is not None:
            waits.add(asyncio.ensure_future(until))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return not self._stopping.is_set()


async def read_request(scope: Scope, receive: Receive, limit: int) -> Request | None:
    """The request of an HTTP scope, its body read up to ``limit`` bytes (past it: ``body_too_large``, no body).

    None if the client went away before sending it all.
    """
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        body, too_large = b"", True
    else:
        read = await read_body(receive, limit)
        if read is None:
            return None
        body, too_large = read
    return Request(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        body_too_large=too_large,
    )


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The body of an HTTP request, read up to ``limit`` bytes: ``(body, False)``, or ``(b"", True)`` once it
    passes ``limit`` (the rest is not read); None if the client went away before sending it all."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), False


async def lifespan(
    receive: Receive,
    send: Send,
    *,
    startup: Callable[[], Awaitable[None]] | None = None,
    shutdown: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Answer an ASGI ``lifespan`` scope: run ``startup`` before startup completes and ``shutdown`` before
    shutdown completes."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if startup is not None:
                await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if shutdown is not None:
                await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def send_response(
    send: Send, status: int, headers: Mapping[str, str] | Sequence[tuple[bytes, bytes]], body: bytes
) -> None:
    """Write one whole answer; ``content-length`` is set from the body (any given one is dropped).

    ``headers`` as a mapping, or as raw (name, value) pairs where a name may repeat (a proxy passing them on).
    """
    pairs = (
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if isinstance(headers, Mapping)
        else headers
    )
    raw = [(name, value) for name, value in pairs if name.lower() != b"content-length"]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _wake_up(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


def _hold_seconds(response: Response) -> float:
    """How long a timeout keeps the client waiting at most: its own timeout and a margin when it is known."""
    if response.hold is None:
        return TIMEOUT_HOLD
    return (response.hold + HOLD_MARGIN).total_seconds()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def create_app(
    sim: Engine,
    *,
    tick: Callable[[], bool | None] | None = None,
    lock: AbstractContextManager[Any] | None = None,
    client_timeouts: ClientTimeouts | None = None,
    host: str | None = None,
    body_deadline: float = BODY_DEADLINE,
) -> ASGIApp:
    """The ASGI application serving ``sim``: ``/{partner}/…``, ``/{partner}/openapi.json`` and ``/_sim/…``.

    ``client_timeouts``: how long the platform's client waits for each partner (default: however long); ``host``
    (what the server listens on) turns on the control API's defences against web pages (``http/_guard.py``);
    ``body_deadline`` is how long a client has to send a body (``http/_deadline.py``)."""
    return ASGIApp(sim, tick=tick, lock=lock, client_timeouts=client_timeouts, host=host, body_deadline=body_deadline)
