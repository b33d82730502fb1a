"""One request on its way through ``Engine.handle``, and what the journal keeps of it.

Each step of the dispatch pipeline (route, decode and validate, faults, behaviour, answer) reads and fills in an
:class:`Exchange`; :func:`request_data` is what the journal records of the request, and the ids the journal files
it under (borrower, loan, business serial, SMS) come from its parameters and body (:meth:`Exchange.correlate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.core._faults import NO_FAULTS, FaultPlan, TransportFault
from simulator.core._messages import Reply, Request
from simulator.core._signing import HEADERS as SIGNATURE_HEADERS

if TYPE_CHECKING:
    from simulator.openapi import Operation

__all__ = ["Exchange", "request_data"]

# Request fields that tie a message to a borrower, a loan, a business serial or an SMS, in the order
# Exchange.correlate reads them: borrower, loan, serial, then the SMS's two spellings (the first one wins).
_CORRELATION_FIELDS = ("borrowerId", "loanOuterNo", "repayOuterNo", "OutId", "out_id")
_NO_DELAY = timedelta(0)
# Headers worth keeping in the journal; the rest (and any credential) stay out of it.
_JOURNALED_HEADERS = frozenset(
    (
        "content-type",
        "content-length",
        "user-agent",
        "x-request-id",
        "idempotency-key",
        "x-lendsim-source",
        *SIGNATURE_HEADERS,  # signed traffic: who signed, when, the nonce (a world rebuilt remembers it), the MAC
    )
)


class Exchange:
    """A request to a partner and what the pipeline has made of it so far.

    Each slot is set once where it becomes known: routing gives the constructor's (the operation, or the answer when
    none matches); decoding the parameters, the body and, through :meth:`correlate`, the ids; journaling the answer
    its JSON text. A slot set twice per request costs ~60 instructions (``bench/run instructions``)."""

    __slots__ = (
        "answered",
        "body",
        "borrower",
        "correlation",
        "delay",
        "gave_up",
        "loan",
        "now",
        "operation",
        "operation_id",
        "params",
        "partner",
        "path_params",
        "plain",
        "plan",
        "reply",
        "reply_json",
        "request",
        "serial",
        "sms_out_id",
        "transport_fault",
    )

    #: Path, query and header parameters, coerced to their schema types, and the decoded body (set by decoding).
    params: Mapping[str, Any]
    body: Any
    #: The body was decoded from plain JSON: orjson reads its text as json does (``Operation.decode``).
    plain: bool
    #: The ids the request names (set by :meth:`correlate`; the reply's win when it names them).
    borrower: str | None
    loan: str | None
    serial: str | None
    sms_out_id: str | None
    #: The reply's body written as JSON, once, for the journal and the wire (set when the answer is journaled; None:
    #: the journal's encoder refused it).
    reply_json: str | None

    def __init__(
        self,
        request: Request,
        partner: str,
        now: datetime,
        correlation: str,
        operation: Operation | None,
        path_params: Mapping[str, str],
        reply: Reply | None,
    ) -> None:
        self.request = request
        self.partner = partner
        self.now = now
        #: Pairs the request's journal entry with its response's.
        self.correlation = correlation
        #: The operation the request matched (None: no operation matches).
        self.operation = operation
        self.operation_id = None if operation is None else operation.operation_id
        self.path_params = path_params
        #: The answer: a problem from the core (no operation, too large, invalid, an outage) or the behaviour's.
        self.reply = reply
        #: What the faults at the operation's point do to it.
        self.plan: FaultPlan = NO_FAULTS
        #: No HTTP answer reaches the client: the connection fails, or the answer is lost.
        self.transport_fault: TransportFault | None = None
        #: How much later the answer is delivered (latency), in virtual time.
        self.delay = _NO_DELAY
        #: The client's timeout, when the delay reached it: the client gave up waiting (the answer is lost).
        self.gave_up: timedelta | None = None
        #: The behaviour made the answer (so the contract must declare it).
        self.answered = False

    def correlate(self) -> None:
        """The ids the request names: from its parameters, else its body (the first field listed for a column),
        else what an internal call says it is about (``Request.ids``)."""
        borrower = loan = serial = sms_out_id = None
        for source in (self.body, self.params):  # the parameters last: they win
            if source and (type(source) is dict or isinstance(source, Mapping)):
                # The five fields read in one call, each tested for None first: an isinstance that fails looks up
                # the value's __class__ (a loop of get and isinstance over the fields: 1.4k instructions more).
                borrower_id, loan_no, repay_no, out_id, other_out_id = map(source.get, _CORRELATION_FIELDS)
                if borrower_id is not None and isinstance(borrower_id, str):
                    borrower = borrower_id
                if loan_no is not None and isinstance(loan_no, str):
                    loan = loan_no
                if repay_no is not None and isinstance(repay_no, str):
                    serial = repay_no
                if out_id is not None and isinstance(out_id, str):
                    sms_out_id = out_id
                elif other_out_id is not None and isinstance(other_out_id, str):
                    sms_out_id = other_out_id
        known = self.request.ids
        if known:
            if borrower is None:
                borrower = known.get("borrower")
            if loan is None:
                loan = known.get("loan")
            if serial is None:
                serial = known.get("serial")
            if sms_out_id is None:
                sms_out_id = known.get("sms_out_id")
        self.borrower = borrower
        self.loan = loan
        self.serial = serial
        self.sms_out_id = sms_out_id


def request_data(request: Request, body: Any) -> dict[str, Any]:
    """What the journal keeps of a request: method, path, query, the headers worth keeping, the body (or its
    first 4 KiB as text when it is no JSON)."""
    data: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        data["query"] = request.query
    headers: dict[str, str] = {}
    for name, value in request.headers.items():  # a loop, not a comprehension: no function made per request
        if name in _JOURNALED_HEADERS:
            headers[name] = value
    if headers:
        data["headers"] = headers
    if body is not None:
        data["body"] = body
    elif request.body:
        data["bodyText"] = request.body[:4096].decode("utf-8", "replace")
    if request.body_too_large:
        data["bodyTooLarge"] = True
    return data
