"""The messages the core speaks: a raw request in, a response out, and between them a decoded call.

Adapters (the ASGI app, the respx routes) turn their own request objects into :class:`Request` and
:class:`Response` back into theirs; behaviours only ever see a :class:`Call` and return a :class:`Reply`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.core._faults import TransportFault
from simulator.journal import escape_surrogates

if TYPE_CHECKING:
    from simulator.openapi import Contract, Operation, Violation

__all__ = [
    "PROBLEM_JSON",
    "SOURCE_HEADER",
    "VIRTUAL_TIME_HEADER",
    "Call",
    "Reply",
    "Request",
    "Response",
    "TransportFault",
    "dumps",
    "invalid_request",
    "no_operation",
    "problem",
]

PROBLEM_JSON = "application/problem+json"
#: Header on every answer and delivery: the virtual time it was made at.
VIRTUAL_TIME_HEADER = "x-lendsim-virtual-time"
#: Header naming the partner that made an internal call or a delivery (e.g. the bank sending an SMS).
SOURCE_HEADER = "x-lendsim-source"


# json.dumps with options builds a new encoder on every call; this one is built once (same settings, same text).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every body the simulator sends is written; a lone surrogate in a string (which UTF-8
    cannot carry) as its JSON escape, ``\\udc00``."""
    text = _encode(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return escape_surrogates(text).encode()


@dataclass(slots=True)
class Request:
    """An HTTP request as an adapter received it. Header names are lower case."""

    method: str
    path: str  # full path, e.g. "/bank/repayments"
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_too_large: bool = False  # the adapter stopped reading past the size limit
    ids: Mapping[str, str] = field(default_factory=dict)  # borrower/loan an internal call is about, for the journal
    #: How long the client waits for the answer before it gives up (None: as long as it takes). A ``latency``
    #: fault at or beyond it is served as a timeout; the adapter knows it (httpx's read timeout in-process, the
    #: platform's declared client timeout over HTTP).
    client_timeout: timedelta | None = None
    #: Made by the engine itself (a partner calling another, the harness registering loans, a replayed copy under a
    #: ``replayed_nonce`` fault): what comes over a network never is. Signing checks only the others (and replays).
    internal: bool = False
    #: A copy the engine received again under a ``replayed_nonce`` fault.
    replay: bool = False
    #: Taken before, as the journal a world is rebuilt from says (``core/_replay.py``): its signature was checked
    #: then, over bytes the journal does not keep; its nonce is remembered again without a second check.
    verified: bool = False


@dataclass(slots=True)
class Response:
    """What the core answers. ``transport_fault`` set means: no HTTP answer reaches the client.

    ``delay`` is a ``latency`` fault's, in virtual time: the answer is already stamped (``X-Lendsim-Virtual-Time``)
    and journaled as of then, so an adapter on a manual clock sends it at once (on a real-time clock it waits
    ``delay / speed``). ``hold`` is how long a ``timeout`` keeps the client waiting at most, when the client's timeout
    is known: it gives up by then.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    delay: timedelta = timedelta(0)  # a latency fault's: the answer is as of now + delay
    transport_fault: TransportFault | None = None
    hold: timedelta | None = None  # a timeout: the client's own timeout, when it is known

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class Call:
    """A request that matched an operation and passed its contract: what a behaviour receives."""

    operation: Operation
    params: Mapping[str, Any]  # path, query and header parameters, coerced to their schema types
    body: Any  # decoded JSON (or None)
    headers: Mapping[str, str]
    now: datetime  # virtual time of the call


# A frozen dataclass's __init__ sets each field through object.__setattr__; the engine makes a Call per request, so
# it sets the slots directly: 3.4k instructions a request of the engine's 191k with the bank stubbed, 1.8 % of it
# (bench/run instructions, core-stubbed). Unpacking fails at import if a field is added without updating make_call.
_Setter = Callable[[Call, Any], None]
_set_operation, _set_params, _set_body, _set_headers, _set_now = tuple[_Setter, ...](
    vars(Call)[f.name].__set__ for f in fields(Call)
)


def make_call(
    operation: Operation, params: Mapping[str, Any], body: Any, headers: Mapping[str, str], now: datetime
) -> Call:
    """``Call(...)`` with every field given, positionally, built faster."""
    call: Call = object.__new__(Call)
    _set_operation(call, operation)
    _set_params(call, params)
    _set_body(call, body)
    _set_headers(call, headers)
    _set_now(call, now)
    return call


@dataclass(slots=True)
class Reply:
    """A behaviour's answer: status and JSON body, plus the ids that tie it to a borrower or loan."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    borrower: str | None = None
    loan: str | None = None
    serial: str | None = None
    sms_out_id: str | None = None


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    errors: Sequence[Violation] = (),
    operation: str | None = None,
    **extra: Any,
) -> Reply:
    """An RFC 9457 problem reply; ``type`` is a stable slug of the title for clients to branch on."""
    body: dict[str, Any] = {
        "type": "urn:lendsim:problem:" + "-".join(title.lower().split()),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["operation"] = operation
    if errors:
        body["errors"] = [error.to_json() for error in errors]
    body.update(extra)
    return Reply(status, body, content_type=PROBLEM_JSON)


def invalid_request(operation_id: str, errors: Sequence[Violation], status: int = 400) -> Reply:
    """The answer to a request that breaks its operation's contract.

    415 when the content type is not accepted; otherwise 400 naming the first field, its message and the
    rule broken (``body.amount: 'abc' is not of type 'number' [type]``), every violation under ``errors``.
    """
    if status == 415:
        return problem(415, "Unsupported Media Type", errors[0].message, errors=errors, operation=operation_id)
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem(
        400,
        "Bad Request",
        f"{first.field}: {first.message} [{first.rule}]{more}",
        errors=errors,
        operation=operation_id,
    )


def no_operation(contract: Contract, method: str, path: str, *, prefix: str = "") -> Reply:
    """The answer when no operation of ``contract`` matches: 405 with ``Allow`` if the path exists for other
    methods, else 404 with the closest operation as a suggestion. ``prefix`` is where the contract is served."""
    allowed = contract.operations.allowed_methods(path)
    if allowed:
        reply = problem(
            405, "Method Not Allowed", f"{method} is not served at {prefix}{path}; use {', '.join(allowed)}"
        )
        reply.headers["allow"] = ", ".join(allowed)
        return reply
    closest = contract.operations.closest(method, path)
    suggestion = f"{closest.method} {prefix}{closest.path} ({closest.operation_id})" if closest else ""
    detail = f"no operation of {contract.name!r} matches {method} {prefix}{path}"
    if suggestion:
        detail += f"; did you mean {suggestion}?"
    reply = problem(404, "Not Found", detail)
    if suggestion:
        reply.body["suggestion"] = suggestion
    return reply
