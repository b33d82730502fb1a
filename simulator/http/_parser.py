"""What uvicorn answers by itself: a request its HTTP parser cannot read, as ``application/problem+json``.

A request that is not valid HTTP/1.1 — a broken request line, a header without a colon, a ``Content-Length`` that is
not a number or that contradicts ``Transfer-Encoding``, a broken chunk — never reaches the ASGI app: uvicorn's
protocol answers it 400 itself, in plain text, and closes the connection. :func:`problem_protocol` gives uvicorn a
protocol that answers it the way the app answers everything else (a problem naming the rule, ``http``) and journals
it through the engine (:meth:`Engine.refuse`), with what the parser had read of the request line.

uvicorn has no deadline for a request's head either: a connection that opens and sends nothing, or a head sent a
byte a minute, would be held for ever. The protocol keeps one, :data:`HEAD_DEADLINE`: a head not whole in time is
answered 408 (journaled) and a silent connection closed.

What stays out of reach (docs/serving.md says so too): the parser's own reason (httptools reports only that it
failed), and servers run on uvicorn's other protocol implementation (h11, used only where httptools is not
installed): they answer uvicorn's plain-text 400, journal nothing and keep no head deadline.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any, Final

from simulator.core import Engine, Reply, Request, problem
from simulator.openapi import Violation

__all__ = ["HEAD_DEADLINE", "problem_protocol"]

#: Wall seconds a request's head (request line and headers) has to arrive, from its first byte or from the moment
#: the connection opened; a connection that sends nothing in that time is closed.
HEAD_DEADLINE: Final = 10.0


def problem_protocol(
    engine: Engine, lock: AbstractContextManager[Any], *, head_deadline: float = HEAD_DEADLINE
) -> type[asyncio.Protocol] | None:
    """uvicorn's httptools protocol, answering an unreadable request with a journaled problem, and a request whose
    head is not whole ``head_deadline`` seconds after it began (or after the connection opened) with a journaled 408;
    a connection that sends nothing in that time is closed. None without httptools (uvicorn then picks its own)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency of lendsim
        return None

    class ProblemProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None
        _began = False  # a request's first byte arrived and its head is not whole yet

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._wait_for_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._began = True
            self._wait_for_head()

        def on_headers_complete(self) -> None:
            self._began = False
            self._stop_waiting()
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            self._refuse(400, "Bad Request", _unreadable(msg))

        def _wait_for_head(self) -> None:
            self._stop_waiting()
            self._head_timer = self.loop.call_later(head_deadline, self._head_too_slow)

        def _stop_waiting(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            if not self._began:  # nothing of a request came: nothing to answer
                self.transport.close()
                return
            self._refuse(408, "Request Timeout", _too_slow(head_deadline))

        def _refuse(self, status: int, reason: str, reply: Reply) -> None:
            with lock:
                response = engine.refuse(_what_was_read(self.url), reply)
            head = [f"HTTP/1.1 {status} {reason}\r\n".encode()]
            for name, value in (*self.server_state.default_headers, *_encoded(response.headers)):
                head.append(name + b": " + value + b"\r\n")
            head.append(b"content-length: " + str(len(response.body)).encode() + b"\r\nconnection: close\r\n\r\n")
            self.transport.write(b"".join(head) + response.body)
            self.transport.close()

    return ProblemProtocol


def _what_was_read(url: bytes | None) -> Request:
    """The request as far as the parser read it: its target, when it got that far (no method, no headers)."""
    target = (url or b"").decode("latin-1")
    path, _, query = target.partition("?")
    return Request(method="", path=path, query=query)


def _unreadable(reason: str) -> Reply:
    return problem(
        400,
        "Bad Request",
        f"request: not valid HTTP/1.1 ({reason.rstrip('.')}) [http]; check the request line, the header lines "
        "(name: value) and that Content-Length or chunked Transfer-Encoding match the body sent",
        errors=[Violation("request", "http", f"not valid HTTP/1.1: {reason}")],
    )


def _too_slow(deadline: float) -> Reply:
    return problem(
        408,
        "Request Timeout",
        f"the request's head (its request line and headers) did not arrive within {deadline:g} s; send it at once",
    )


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
