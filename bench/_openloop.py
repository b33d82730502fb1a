"""An open-loop HTTP load generator: requests sent at a constant rate, whatever the server does, each one's latency
measured from the instant it was *due*, not from when a connection was free to send it.

wrk (closed loop) sends a request only when the previous one on its connection is answered, so a server that stalls
for 200 ms is sent nothing during the stall and the 200 ms show as one slow request among thousands: coordinated
omission. Here request ``i`` is due at ``start + i / rate``; it goes out on a free keep-alive connection (a new one
is opened when none is free, up to ``max_connections``), and its latency is ``answered - due``, so every request that
would have been sent during a stall counts the time it waited. wrk2 does this, but no registry this project reaches
packages it; autocannon (npm) caps the rate (``--overallRate``) but still measures from the send.

One process, one asyncio loop on uvloop, hand-written HTTP/1.1 (no client library): what it adds to each latency is
measured by :mod:`bench._latency` against a raw ASGI app on the same uvicorn settings at the same rate.

``python -m bench._openloop --port P --rate R --seconds S [--loans N] [--tag T] [--out FILE]``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Result", "repay_body", "run"]

_TICK = 0.0005  # the dispatcher's period: requests due within it go out together


def repay_body(tag: str, loans: int) -> Callable[[int], bytes]:
    """The body of request ``i``: a repayApply with a fresh ``repayOuterNo``, as bench/repay.lua sends."""

    def body(i: int) -> bytes:
        serial = f"RP{tag}{i:010d}"
        return (
            f'{{"reqNo":"REQ{serial}","repayOuterNo":"{serial}","loanOuterNo":"LNBENCH{i % loans:05d}",'
            '"repayAmount":"0.01","repayMode":"PARTNER_COLLECT","repayType":"NORMAL_REPAY",'
            '"actualRepayDate":"2019-05-01T10:00:00+08:00","repayList":[{"installmentNo":1,"paidPrincipal":"0.01",'
            '"paidInterest":"0.00","paidFee":"0.00"}]}'
        ).encode()

    return body


@dataclass
class Result:
    """What the run saw: per request, the second it was due at (from the start) and its latency in seconds."""

    rate: float
    seconds: float
    due: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    errors: int = 0  # non-2xx answers and broken connections
    unanswered: int = 0  # still waiting when the run ended (counted with the run's end as their answer)
    connections: int = 0  # opened over the run

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latency)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def worst(self) -> float:
        return max(self.latency, default=0.0)

    def over(self, seconds: float) -> int:
        return sum(1 for value in self.latency if value > seconds)

    def stalls(self, threshold: float) -> list[tuple[float, float]]:
        """(due second, latency) of every request slower than ``threshold``, in due order."""
        return [(d, lat) for d, lat in zip(self.due, self.latency, strict=True) if lat > threshold]


class _Connection(asyncio.Protocol):
    def __init__(self, on_answer: Callable[[_Connection, int], None], on_lost: Callable[[_Connection], None]) -> None:
        self._on_answer = on_answer
        self._on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self.due = 0.0  # the due instant of the request in flight
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes

    def send(self, head: bytes, body: bytes, due: float) -> None:
        assert self.transport is not None
        self.due = due
        self.busy = True
        self.transport.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        marker = head.find(b"content-length:")
        length = int(head[marker + 15 :].split(b"\r\n", 1)[0]) if marker >= 0 else 0
        if len(self._buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self._buffer[: end + 4 + length]
        self.busy = False
        self._on_answer(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost(self)


async def run(
    host: str,
    port: int,
    path: str,
    rate: float,
    seconds: float,
    body: Callable[[int], bytes],
    *,
    connections: int = 16,
    max_connections: int = 256,
    drain: float = 10.0,
) -> Result:
    """Send ``rate`` requests a second for ``seconds`` (POST ``path`` with ``body(i)``) and wait up to ``drain``
    seconds for the last answers."""
    loop = asyncio.get_running_loop()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    result = Result(rate, seconds)
    idle: collections.deque[_Connection] = collections.deque()
    waiting: collections.deque[tuple[int, float]] = collections.deque()  # (i, due) with no free connection yet
    opening = 0
    open_count = 0
    outstanding = 0
    done = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    sending = True
    start = 0.0

    def record(due: float, status: int) -> None:
        nonlocal outstanding
        outstanding -= 1
        result.due.append(due - start)
        result.latency.append(time.perf_counter() - due)
        if not 200 <= status < 300:
            result.errors += 1
        if not sending and outstanding == 0:
            done.set()

    def on_answer(connection: _Connection, status: int) -> None:
        record(connection.due, status)
        if waiting:
            i, due = waiting.popleft()
            connection.send(head, body(i), due)
        else:
            idle.append(connection)

    def on_lost(connection: _Connection) -> None:
        nonlocal open_count
        open_count -= 1
        if connection in idle:
            idle.remove(connection)
        if connection.busy:
            connection.busy = False
            record(connection.due, 0)

    def connect() -> None:
        nonlocal opening

        async def opened() -> None:
            nonlocal opening, open_count
            try:
                _, connection = await loop.create_connection(lambda: _Connection(on_answer, on_lost), host, port)
            except OSError:
                opening -= 1
                return
            opening -= 1
            open_count += 1
            result.connections += 1
            if waiting:
                i, due = waiting.popleft()
                connection.send(head, body(i), due)
            else:
                idle.append(connection)

        opening += 1
        task = loop.create_task(opened())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    for _ in range(connections):
        connect()
    while opening:
        await asyncio.sleep(0.01)
    start = time.perf_counter()
    total = int(rate * seconds)
    i = 0
    while i < total:
        now = time.perf_counter()
        while i < total and start + i / rate <= now:
            due = start + i / rate
            outstanding += 1
            if idle:
                idle.popleft().send(head, body(i), due)
            else:
                waiting.append((i, due))
                if open_count + opening < max_connections and opening < 4:
                    connect()
            i += 1
        await asyncio.sleep(max(0.0, min(_TICK, start + i / rate - time.perf_counter())))
    sending = False
    if outstanding:
        try:
            await asyncio.wait_for(done.wait(), drain)
        except TimeoutError:
            ended = time.perf_counter()
            for pending_i, due in waiting:
                result.due.append(due - start)
                result.latency.append(ended - due)
                del pending_i
            result.unanswered = outstanding
    for connection in list(idle):
        if connection.transport is not None:
            connection.transport.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/bank/repayments")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--loans", type=int, default=1000)
    parser.add_argument("--tag", default="O")
    parser.add_argument("--out", type=Path, default=None, help="write every request's due second and latency here")
    args = parser.parse_args()
    import uvloop

    started = time.perf_counter()
    result = uvloop.run(run(args.host, args.port, args.path, args.rate, args.seconds, repay_body(args.tag, args.loans)))
    summary = {
        "requests": len(result.latency),
        "wall": time.perf_counter() - started,
        "p50_ms": result.percentile(50) * 1000,
        "p99_ms": result.percentile(99) * 1000,
        "p999_ms": result.percentile(99.9) * 1000,
        "max_ms": result.worst() * 1000,
        "over_50ms": result.over(0.05),
        "errors": result.errors,
        "unanswered": result.unanswered,
        "connections": result.connections,
    }
    if args.out is not None:
        args.out.write_text(json.dumps({"due": result.due, "latency": result.latency}))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
