"""``lendsim proxy``: between a platform and a real partner sandbox, check every exchange against the contract.

Each request is matched to an operation and validated with the contract's compiled validators (the same ones the
simulator uses), forwarded to the upstream unchanged, and the upstream's answer validated in turn: its status is
declared, its content type is declared for that status, its body matches the schema. The client gets the
upstream's answer as it was, plus ``X-Lendsim-Violations: N`` and a one-line summary when something broke the
contract. Request, response and each violation (a ``drift`` entry, ``side`` request or response) go into the
journal. ``strict`` answers an invalid request with the problem the simulator would give, without forwarding it.

A path that could reach the upstream outside its base path — a ``.`` or ``..`` segment once percent-decoded
(``/%2e%2e/secret``, ``/loans/..%2F..%2Fsecret``) — or that holds a control character (``%0d%0a``) is never
forwarded: the proxy answers 400 itself. What is forwarded is the path percent-encoded again, so an ``%3F`` or
``%23`` stays part of the path rather than starting a query or a fragment upstream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from simulator.core import Reply, Request, dumps, invalid_request, no_operation, problem, request_data
from simulator.http._app import lifespan, read_request, send_response
from simulator.http._examples import ExampleRecorder
from simulator.journal import Journal
from simulator.masking import mask_text
from simulator.openapi import Contract, Operation, Violation
from simulator.types import Receive, Scope, Send

__all__ = ["MAX_BODY", "VIOLATIONS_HEADER", "Exchange", "ValidationProxy"]

#: The largest request body passed on (a larger one is refused with 413: it was not read, so it cannot be sent).
MAX_BODY = 16 * 1024 * 1024
#: How many contract violations an exchange had; ``X-Lendsim-Violation`` summarises them.
VIOLATIONS_HEADER = "x-lendsim-violations"
_SUMMARY_HEADER = "x-lendsim-violation"
# Hop-by-hop headers (RFC 9110 §7.6.1) and what httpx recomputes: never passed on.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",  # httpx hands over the body decoded
        "date",  # the proxy's server sets its own
    }
)
#: Violations named one by one in a summary; the rest are counted.
SHOWN = 3
# Request headers worth journaling; credentials stay out of the journal.


@dataclass(slots=True)
class Exchange:
    """One request through the proxy and what became of it."""

    number: int
    method: str
    path: str
    operation: Operation | None
    request_errors: list[Violation] = field(default_factory=list)
    response_errors: list[Violation] = field(default_factory=list)
    status: int | None = None  # what the client got
    forwarded: bool = False
    upstream_error: str | None = None

    @property
    def violations(self) -> int:
        return len(self.request_errors) + len(self.response_errors)

    def summary(self) -> str:
        """One line for the console: what was asked, what came back, what broke (personal data masked)."""
        name = f" ({self.operation.operation_id})" if self.operation else ""
        outcome = f"{self.status}" + ("" if self.forwarded else " from the proxy")
        if self.upstream_error:
            outcome += f": upstream {self.upstream_error}"
        broken = [f"request {v.field}: {v.message} [{v.rule}]" for v in self.request_errors]
        broken += [f"response {v.field}: {v.message} [{v.rule}]" for v in self.response_errors]
        plural = "s" if len(broken) > 1 else ""
        verdict = f"{len(broken)} violation{plural}: {_listed(broken)}" if broken else "ok"
        return mask_text(f"#{self.number} {self.method} {self.path}{name} → {outcome}, {verdict}")


class ValidationProxy:
    """An ASGI app validating each exchange with ``upstream`` against ``contract``; see the module docstring."""

    def __init__(
        self,
        contract: Contract,
        upstream: str,
        *,
        journal: Journal,
        clock: Callable[[], datetime],
        strict: bool = False,
        recorder: ExampleRecorder | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
        timeout: float = 30.0,
        max_body: int = MAX_BODY,
    ) -> None:
        self.contract = contract
        self.upstream = upstream.rstrip("/")
        self.journal = journal
        self.clock = clock
        self.strict = strict
        self.recorder = recorder
        self.on_exchange = on_exchange
        self.on_shutdown = on_shutdown  # runs when the server stops (a signal may end the process right after)
        self.timeout = timeout
        self.max_body = max_body
        self.exchanges = 0
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await lifespan(receive, send, shutdown=self._shutdown)

    async def _shutdown(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self.journal.flush()
        if self.on_shutdown is not None:
            self.on_shutdown()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = await read_request(scope, receive, self.max_body)
        if request is None:
            return
        self.exchanges += 1
        unsafe = _unsafe_path(request.path, self.upstream)
        matched = None if unsafe else self.contract.operations.match(request.method, request.path)
        exchange = Exchange(self.exchanges, request.method, request.path, matched[0] if matched else None)
        correlation = f"p{exchange.number}"
        if unsafe is not None:  # never forwarded, strict or not
            exchange.request_errors.append(unsafe)
            self._journal_request(request, exchange, correlation, None)
            unforwarded = problem(400, "Bad Request", f"{unsafe.message} [{unsafe.rule}]", errors=[unsafe])
            await self._answer_from_proxy(send, unforwarded, exchange, correlation)
            return
        refusal, body = self._check_request(request, matched, exchange)
        self._journal_request(request, exchange, correlation, body)
        if refusal is not None and (self.strict or request.body_too_large):
            await self._answer_from_proxy(send, refusal, exchange, correlation)
            return
        try:
            upstream = await self._forward(request)
        except httpx.HTTPError as exc:
            exchange.upstream_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            reply = problem(
                502,
                "Bad Gateway",
                f"the upstream {self.upstream} did not answer ({exchange.upstream_error})",
                operation=exchange.operation.operation_id if exchange.operation else None,
            )
            await self._answer_from_proxy(send, reply, exchange, correlation)
            return
        exchange.forwarded = True
        exchange.status = upstream.status_code
        answer = self._check_response(upstream, exchange)
        self._journal_response(exchange, correlation, upstream.status_code, answer)
        if self.recorder is not None and exchange.operation is not None and not exchange.request_errors:
            response = None if exchange.response_errors else (upstream.status_code, _content_type(upstream), answer)
            self.recorder.record(
                exchange.number, exchange.operation, (request.headers.get("content-type"), body), response
            )
        headers = [(k, v) for k, v in upstream.headers.raw if k.decode("latin-1").lower() not in _HOP_BY_HOP]
        headers.extend(_violation_headers(exchange))
        self._done(exchange)  # journaled before the client hears back, so what it reads next includes this
        await send_response(send, upstream.status_code, headers, upstream.content)

    # -- the request --------------------------------------------------------------------------------------------

    def _check_request(
        self, request: Request, matched: tuple[Operation, dict[str, str]] | None, exchange: Exchange
    ) -> tuple[Reply | None, Any]:
        """Validate the request; returns the problem the simulator would answer (None if valid) and the body."""
        if matched is None:
            refusal = no_operation(self.contract, request.method, request.path)
            exchange.request_errors.append(Violation("path", "operation", str(refusal.body["detail"])))
            return refusal, None
        operation, path_params = matched
        if request.body_too_large:
            detail = f"the body exceeds {self.max_body:,} bytes"
            exchange.request_errors.append(Violation("body", "maxSize", detail))
            return problem(413, "Payload Too Large", detail, operation=operation.operation_id), None
        _, errors = operation.validate_params(path_params, request.query, request.headers)
        body, body_errors, status = operation.decode_body(request.body, request.headers.get("content-type"))
        errors.extend(body_errors)
        exchange.request_errors.extend(errors)
        if not errors:
            return None, body
        return invalid_request(operation.operation_id, body_errors if status == 415 else errors, status), body

    def _journal_request(self, request: Request, exchange: Exchange, correlation: str, body: Any) -> None:
        now = self.clock()
        data = {**request_data(request, body), "upstream": self.upstream}
        operation_id = exchange.operation.operation_id if exchange.operation else None
        self.journal.add(
            "request", now, partner=self.contract.name, operation=operation_id, correlation=correlation, data=data
        )
        self._journal_drift(now, operation_id, correlation, "request", exchange.request_errors)

    def _journal_drift(
        self,
        now: datetime,
        operation_id: str | None,
        correlation: str,
        side: str,
        violations: Sequence[Violation],
        status: int | None = None,
    ) -> None:
        """One ``drift`` entry per way the ``side`` (request or response) broke the contract."""
        for violation in violations:
            self.journal.add(
                "drift",
                now,
                partner=self.contract.name,
                operation=operation_id,
                correlation=correlation,
                status=status,
                data={"side": side, **violation.to_json()},
            )

    # -- the upstream and its answer ----------------------------------------------------------------------------

    async def _forward(self, request: Request) -> httpx.Response:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        url = self.upstream + quote(request.path, safe=_PATH_SAFE) + (f"?{request.query}" if request.query else "")
        headers = {name: value for name, value in request.headers.items() if name not in _HOP_BY_HOP}
        return await self._client.request(request.method, url, headers=headers, content=request.body)

    def _check_response(self, upstream: httpx.Response, exchange: Exchange) -> Any:
        """Validate the upstream's answer against the operation; returns its decoded body (text if not JSON)."""
        content_type = _content_type(upstream)
        body: Any = None
        if upstream.content:
            if _is_json(content_type):
                try:
                    body = json.loads(upstream.content)
                except ValueError as exc:
                    exchange.response_errors.append(Violation("response", "json", f"malformed JSON: {exc}"))
                    return upstream.content[:4096].decode("utf-8", "replace")
            else:
                body = upstream.content[:4096].decode("utf-8", "replace")
        if exchange.operation is not None:
            json_body = body if _is_json(content_type) else None
            exchange.response_errors.extend(
                exchange.operation.validate_response(upstream.status_code, json_body, content_type, declared_type=True)
            )
        return body

    def _journal_response(self, exchange: Exchange, correlation: str, status: int, body: Any) -> None:
        now = self.clock()
        operation_id = exchange.operation.operation_id if exchange.operation else None
        data: dict[str, Any] = {"forwarded": exchange.forwarded}
        if body is not None:
            data["body"] = body
        if exchange.upstream_error:
            data["upstreamError"] = exchange.upstream_error
        partner = self.contract.name
        self.journal.add(
            "response", now, partner=partner, operation=operation_id, correlation=correlation, status=status, data=data
        )
        self._journal_drift(now, operation_id, correlation, "response", exchange.response_errors, status)

    async def _answer_from_proxy(self, send: Send, reply: Reply, exchange: Exchange, correlation: str) -> None:
        """Answer without the upstream (a strict refusal, or a 502 when the upstream did not answer)."""
        exchange.status = reply.status
        self._journal_response(exchange, correlation, reply.status, reply.body)
        headers = {"content-type": reply.content_type, **reply.headers}
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw.extend(_violation_headers(exchange))
        self._done(exchange)
        await send_response(send, reply.status, raw, dumps(reply.body))

    def _done(self, exchange: Exchange) -> None:
        self.journal.flush()  # one commit per exchange: what the proxy saw is readable from outside at once
        if self.on_exchange is not None:
            self.on_exchange(exchange)


# What a path segment may hold unencoded (RFC 3986 pchar, less '%': the path is decoded) besides '/'.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _unsafe_path(path: str, upstream: str) -> Violation | None:
    """Why the (percent-decoded) ``path`` must not be forwarded, or None."""
    if _CONTROL.search(path):
        return Violation(
            "path",
            "controlCharacter",
            f"the path {path!r} holds a control character (such as CR or LF) once percent-decoded, which no URL "
            "may carry; send the path without it",
        )
    if any(segment in (".", "..") for segment in path.split("/")):
        return Violation(
            "path",
            "dotSegment",
            f"the path {path!r} holds a '.' or '..' segment once percent-decoded, which would reach {upstream} "
            "outside its base path; send the path without dot segments",
        )
    return None


def _content_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() if value else None


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and (content_type == "application/json" or content_type.endswith("+json"))


def _violation_headers(exchange: Exchange) -> list[tuple[bytes, bytes]]:
    """``X-Lendsim-Violations: N`` and a short summary, when the exchange broke the contract (else nothing)."""
    if not exchange.violations:
        return []
    parts = [f"request {v.field} [{v.rule}]" for v in exchange.request_errors]
    parts += [f"response {v.field} [{v.rule}]" for v in exchange.response_errors]
    summary = mask_text(_listed(parts))[:512]
    return [
        (VIOLATIONS_HEADER.encode(), str(exchange.violations).encode()),
        (_SUMMARY_HEADER.encode(), summary.encode("ascii", "replace")),
    ]


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:SHOWN])
    return shown if len(items) <= SHOWN else f"{shown} (+{len(items) - SHOWN} more)"
