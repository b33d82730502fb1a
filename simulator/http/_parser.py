"""What uvicorn answers by itself: a request its HTTP parser cannot read, as ``application/problem+json``.

A request that is not valid HTTP/1.1 — a broken request line, a header without a colon, a ``Content-Length`` that is
not a number or that contradicts ``Transfer-Encoding``, a broken chunk — never reaches the ASGI app: uvicorn's
protocol answers it 400 itself, in plain text, and closes the connection. :func:`problem_protocol` gives uvicorn a
protocol that answers it the way the app answers everything else (a problem naming the rule, ``http``) and journals
it through the engine (:meth:`Engine.refuse`), with what the parser had read of the request line.

What stays out of reach (docs/serving.md says so too): the parser's own reason (httptools reports only that it
failed), a request whose head never ends (uvicorn has no deadline for the head; the operating system's keep-alive
and the client are what end it), and servers run on uvicorn's other protocol implementation (h11, used only where
httptools is not installed): they answer uvicorn's plain-text 400 and journal nothing.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any

from simulator.core import Engine, Reply, Request, problem
from simulator.openapi import Violation

__all__ = ["problem_protocol"]


def problem_protocol(engine: Engine, lock: AbstractContextManager[Any]) -> type[asyncio.Protocol] | None:
    """uvicorn's httptools protocol, answering an unreadable request with a journaled problem; None without httptools
    (uvicorn then picks its own)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency of lendsim
        return None

    class ProblemProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            with lock:
                response = engine.refuse(_what_was_read(self.url), _unreadable(msg))
            head = [b"HTTP/1.1 400 Bad Request\r\n"]
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


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
