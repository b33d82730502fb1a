"""One core, two adapters: the same requests through respx (in-process) and over HTTP (uvicorn on a loopback port)
leave the same journal, entry by entry — only what the wire itself adds (the host header) may differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from simulator.http import create_app
from simulator.journal import Entry
from simulator.testing import Lendsim
from simulator.world import Simulator
from tests.http.conftest import running

LOAN = {
    "loanOuterNo": "LN-PARITY-1",
    "borrowerId": "B-PARITY-1",
    "creditContractNo": "CC-PARITY-1",
    "principal": "3000.00",
    "annualRate": "0.0720",
    "term": 3,
    "dueDay": 10,
    "disburseDate": "2019-04-10",
    "repayMethod": "EQUAL_PRINCIPAL",
    "name": "张伟",
    "certType": "ID_CARD",
    "certNo": "110105199003071239",
    "phone": "13912345678",
}
REPAY = {
    "reqNo": "Q-1",
    "repayOuterNo": "RP-PARITY-1",
    "loanOuterNo": "LN-PARITY-1",
    "repayAmount": "1018.00",
    "repayMode": "PARTNER_COLLECT",
    "repayType": "NORMAL_REPAY",
    "actualRepayDate": "2019-05-01T10:00:00+08:00",
    "repayList": [{"installmentNo": 1, "paidPrincipal": "1000.00", "paidInterest": "18.00", "paidFee": "0.00"}],
}
SMS = {
    "PhoneNumbers": "13912345678",
    "SignName": "小米金融",
    "TemplateCode": "SMS_153055080",
    "TemplateParam": '{"bank":"民生银行"}',
    "OutId": "acme-LN-PARITY-1-1-paid",
}
#: Headers the wire adds or names differently: the host (a partner's .invalid host or 127.0.0.1:port).
WIRE_HEADERS = {"host"}


def drive(url: Callable[[str], str]) -> list[tuple[int, Any]]:
    """The sequence of the parity test against partners at ``url(partner)``; returns (status, body) per call."""
    answers: list[tuple[int, Any]] = []
    with httpx.Client(timeout=5) as client:

        def send(method: str, partner: str, path: str, body: Any = None) -> None:
            try:
                response = client.request(method, url(partner) + path, json=body)
            except httpx.TransportError as exc:  # a connection fault (what the client sees may differ: see below)
                answers.append((0, type(exc).__name__))
            else:
                answers.append((response.status_code, response.json()))

        send("POST", "bank", "/loans", LOAN)
        send("POST", "bank", "/repayments", REPAY)
        send("POST", "_sim", "/clock/advance", {"by": "PT1H"})  # past the bank's processing delay
        send("GET", "bank", f"/repayments/{REPAY['repayOuterNo']}")
        send("POST", "sms", "/send", SMS)
        send("POST", "bank", "/repayments", {**REPAY, "repayAmount": 1018})  # a number where a string is due: 400
        send("POST", "_sim", "/faults", {"at": "bank.getLoan", "outage": {"status": 503}})
        send("GET", "bank", f"/loans/{LOAN['loanOuterNo']}")
        send("POST", "_sim", "/faults", {"at": "bank.repayPlanQuery", "outage": {"error": "connection_refused"}})
        send("GET", "bank", f"/loans/{LOAN['loanOuterNo']}/schedule")
        send("POST", "_sim", "/clock/advance", {"by": "P1D"})
    return answers


def comparable(entry: Entry) -> dict[str, Any]:
    """An entry as both adapters must agree on it: everything but the wall time and the wire's own headers."""
    seen = entry.to_json()
    seen.pop("wallTime")
    data = dict(seen["data"])
    if isinstance(data.get("headers"), dict):
        data["headers"] = {k: v for k, v in data["headers"].items() if k not in WIRE_HEADERS}
    seen["data"] = data
    return seen


def test_the_respx_adapter_and_the_http_server_leave_the_same_journal() -> None:
    with Lendsim(seed=11) as harness:
        in_process = drive(harness.base_url)
    over_http_sim = Simulator(seed=11)
    with running(create_app(over_http_sim)) as server:
        over_http = drive(lambda partner: f"{server}/{partner}")

    assert [status for status, _ in in_process] == [201, 200, 200, 200, 200, 400, 201, 503, 201, 0, 200]
    assert [body for status, body in in_process if status] == [body for status, body in over_http if status]
    # A refused connection: in-process the client sees what a refusal raises; a server that accepted the
    # connection can only break it off, so over the wire it is a broken answer. The core did the same.
    assert (in_process[9], over_http[9]) == ((0, "ConnectError"), (0, "RemoteProtocolError"))
    expected = [comparable(entry) for entry in harness.journal]
    actual = [comparable(entry) for entry in over_http_sim.journal]
    assert len(expected) > 20
    for want, got in zip(expected, actual, strict=True):
        assert got == want
