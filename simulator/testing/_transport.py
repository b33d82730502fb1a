"""httpx transports over the simulator core: a platform's clients talk to the partners in-process.

Faults reach the client the way they would over a network: an outage with a status is that HTTP status; a
refused or reset connection is ``httpx.ConnectError`` / ``httpx.RemoteProtocolError``; a lost answer or a
delay at or beyond the client's read timeout is ``httpx.ReadTimeout`` — in virtual time, without sleeping. A
shorter delay is answered at once, stamped (``X-Lendsim-Virtual-Time``) that much later.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from simulator.core import Engine, Request, Response

__all__ = ["HOST_SUFFIX", "SimulatorTransport", "base_url", "partner_of"]

#: Partners answer at http://{partner}.lendsim.invalid — a reserved TLD that never resolves, so a request that
#: escapes the simulator fails instead of reaching someone.
HOST_SUFFIX = ".lendsim.invalid"


def base_url(partner: str) -> str:
    """Where a platform under test should find ``partner`` ("bank", "bureau", "sms", "_sim")."""
    return f"http://{partner.replace('_', '-')}{HOST_SUFFIX}"


def partner_of(host: str) -> str | None:
    if not host.endswith(HOST_SUFFIX):
        return None
    return host.removesuffix(HOST_SUFFIX).replace("-", "_")


def _core_request(request: httpx.Request, body: bytes, partner: str | None) -> Request:
    url = request.url
    path = url.path
    if partner is None:
        partner = partner_of(url.host)
    if partner is not None:
        path = f"/{partner}{path if path != '/' else ''}"
    return Request(
        method=request.method,
        path=path,
        query=url.query.decode("latin-1"),
        headers=dict(request.headers.items()),  # httpx gives the names in lower case already
        body=body,
        client_timeout=_read_timeout(request),
    )


def _read_timeout(request: httpx.Request) -> timedelta | None:
    """The client's read timeout: how long it waits for the answer (None: for ever)."""
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if timeout else None
    return timedelta(seconds=float(value)) if value is not None else None


def to_httpx(request: httpx.Request, response: Response) -> httpx.Response:
    """The core's answer as httpx sees it — or the httpx exception a network fault would raise."""
    fault = response.transport_fault
    if fault == "connection_refused":
        raise httpx.ConnectError(f"lendsim fault: connection refused by {request.url.host}", request=request)
    if fault == "connection_reset":
        raise httpx.RemoteProtocolError(f"lendsim fault: connection reset by {request.url.host}", request=request)
    if fault == "timeout":
        read_timeout = _read_timeout(request)
        within = f"{read_timeout.total_seconds():g} s" if read_timeout is not None else "none set"
        raise httpx.ReadTimeout(
            f"lendsim fault: no answer from {request.url.host} within the read timeout ({within})", request=request
        )
    # What httpx.Response(headers=dict, content=bytes) builds, assembled directly: the header list as bytes and
    # Content-Length appended last (only for a body, unless the answer set it), then read at once, as content= does.
    # It spares httpx normalising a dict and probing for Content-Length, ~10 µs a call on a slow machine.
    body = response.body
    raw: list[tuple[bytes, bytes]] = []
    sized = False
    for name, value in response.headers.items():
        key = name.encode("ascii")
        sized = sized or key.lower() == b"content-length"
        raw.append((key, value.encode("ascii")))
    if body and not sized:
        raw.append((b"Content-Length", str(len(body)).encode("ascii")))
    answer = httpx.Response(response.status, headers=raw, stream=httpx.ByteStream(body), request=request)
    answer.read()
    return answer


class SimulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Send requests straight to an engine, sync or async. ``partner`` fixes the partner for any host."""

    def __init__(self, sim: Engine, partner: str | None = None) -> None:
        self.sim = sim
        self.partner = partner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return to_httpx(request, self.sim.handle(_core_request(request, body, self.partner)))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return to_httpx(request, self.sim.handle(_core_request(request, body, self.partner)))
