"""Build requests for the core without an HTTP stack."""

from __future__ import annotations

import json
from typing import Any

from simulator.core import Engine, Request, Response


def call(
    engine: Engine,
    method: str,
    path: str,
    body: Any = None,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Response:
    all_headers = {"content-type": "application/json"} if (body is not None or raw is not None) else {}
    all_headers.update(headers or {})
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return engine.handle(Request(method, path, query, all_headers, payload))


REPAYMENT: dict[str, Any] = {
    "reqNo": "REQ-1",
    "repayOuterNo": "RP-0001",
    "loanOuterNo": "LN-0001",
    "repayAmount": "1050.00",
    "repayMode": "PARTNER_COLLECT",
    "repayType": "NORMAL_REPAY",
    "actualRepayDate": "2019-05-10T20:15:00+08:00",
    "repayList": [{"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "50.00", "paidFee": "0.00"}],
}
