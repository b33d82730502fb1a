"""The validation proxy between a client and a real upstream (here the simulator itself, or a deliberately wrong
service), over real sockets: exchanges validated both ways, journaled, answered as the upstream answered."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator import Simulator
from simulator._resources import bundled_contracts_dir
from simulator.http import VIOLATIONS_HEADER, ExampleRecorder, Exchange, ValidationProxy, create_app
from simulator.journal import Journal
from simulator.openapi import lint_contract, load_contract
from simulator.types import ASGIApplication, Receive, Send
from tests.http.conftest import running

BANK = load_contract(bundled_contracts_dir() / "bank.yaml")
LOAN: dict[str, Any] = {
    "loanOuterNo": "LN201902100001",
    "borrowerId": "B000123",
    "creditContractNo": "CC201902100001",
    "principal": "3000.00",
    "annualRate": "0.0720",
    "term": 3,
    "dueDay": 10,
    "disburseDate": "2019-02-10",
    "repayMethod": "EQUAL_PRINCIPAL",
    "name": "张伟",
    "certType": "ID_CARD",
    "certNo": "110105199003071239",
    "phone": "13912345678",
}
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


class Proxied:
    def __init__(self, url: str, proxy: ValidationProxy, upstream: Simulator | None) -> None:
        self.url = url
        self.proxy = proxy
        self.upstream = upstream
        self.exchanges: list[Exchange] = []


@contextmanager
def proxying(upstream_url: str, upstream: Simulator | None = None, **options: Any) -> Iterator[Proxied]:
    proxy = ValidationProxy(BANK, upstream_url, journal=Journal(), clock=lambda: NOW, **options)
    with running(proxy) as url:
        proxied = Proxied(url, proxy, upstream)
        proxy.on_exchange = proxied.exchanges.append
        yield proxied


@pytest.fixture
def bank_sandbox() -> Iterator[tuple[str, Simulator]]:
    sim = Simulator(seed=5)
    with running(create_app(sim)) as url:
        yield f"{url}/bank", sim


@pytest.fixture
def through(bank_sandbox: tuple[str, Simulator]) -> Iterator[Proxied]:
    with proxying(*bank_sandbox) as proxied:
        yield proxied


def answering(status: int, body: bytes, content_type: str) -> ASGIApplication:
    """An upstream that answers every request the same way, whatever the contract says."""

    async def app(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def test_a_valid_round_trip_is_forwarded_answered_as_the_upstream_did_and_journaled(through: Proxied) -> None:
    response = httpx.post(f"{through.url}/loans", json=LOAN)

    assert response.status_code == 201 and response.json()["loanOuterNo"] == LOAN["loanOuterNo"]
    assert VIOLATIONS_HEADER not in response.headers
    assert "x-lendsim-virtual-time" in response.headers  # the upstream's own headers pass through
    entries = list(through.proxy.journal.iter(correlation="p1"))
    assert [(e.kind, e.operation, e.status) for e in entries] == [
        ("request", "registerLoan", None),
        ("response", "registerLoan", 201),
    ]
    assert entries[0].data["body"] == LOAN and entries[0].virtual_time == NOW
    assert through.upstream is not None and through.upstream.journal.count(kind="request") == 1


def test_an_invalid_request_is_forwarded_and_its_violations_reported_to_client_and_journal(through: Proxied) -> None:
    response = httpx.post(f"{through.url}/loans", json={**LOAN, "term": "three"})

    assert response.status_code == 400  # the upstream's own refusal
    assert response.headers[VIOLATIONS_HEADER] == "1"
    assert response.headers["x-lendsim-violation"] == "request body.term [type]"
    drift = list(through.proxy.journal.iter(kind="drift"))
    assert [(e.data["side"], e.data["field"], e.data["rule"]) for e in drift] == [("request", "body.term", "type")]
    assert "request body.term" in through.exchanges[0].summary()


def test_strict_refuses_an_invalid_request_naming_field_and_rule_without_forwarding(
    bank_sandbox: tuple[str, Simulator],
) -> None:
    url, sim = bank_sandbox
    with proxying(url, sim, strict=True) as proxied:
        response = httpx.post(f"{proxied.url}/loans", json={**LOAN, "term": "three"})
        unknown = httpx.get(f"{proxied.url}/loan/LN1")

    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["operation"] == "registerLoan"
    assert problem["errors"][0]["field"] == "body.term" and problem["errors"][0]["rule"] == "type"
    assert unknown.status_code == 404 and "did you mean GET /loans/{loanOuterNo}" in unknown.json()["detail"]
    assert sim.journal.count(kind="request") == 0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "field", "rule"),
    [
        (200, json.dumps({"loanOuterNo": 42}).encode(), "application/json", "response.loanOuterNo", "type"),
        (418, b"{}", "application/json", "status", "declared"),
        (200, b"<html>ok</html>", "text/html", "header.content-type", "contentType"),
        (200, b"{not json", "application/json", "response", "json"),
    ],
)
def test_an_upstream_answer_outside_the_contract_is_reported_and_still_passed_on(
    status: int, body: bytes, content_type: str, field: str, rule: str
) -> None:
    with running(answering(status, body, content_type)) as upstream, proxying(upstream) as proxied:
        response = httpx.get(f"{proxied.url}/loans/LN201902100001")

    assert response.status_code == status and response.content == body
    assert int(response.headers[VIOLATIONS_HEADER]) >= 1
    drift = [e.data for e in proxied.proxy.journal.iter(kind="drift")]
    assert (field, rule) in {(d["field"], d["rule"]) for d in drift if d["side"] == "response"}, drift


def test_an_upstream_that_does_not_answer_gets_a_502_problem_and_a_journal_entry() -> None:
    with proxying("http://127.0.0.1:9", timeout=2) as proxied:
        response = httpx.get(f"{proxied.url}/loans/LN1")

    assert response.status_code == 502 and response.json()["title"] == "Bad Gateway"
    answer = proxied.proxy.journal.last(kind="response")
    assert answer is not None and answer.status == 502 and "upstreamError" in answer.data


def test_recorded_examples_are_masked_and_validate_against_the_contract(
    bank_sandbox: tuple[str, Simulator], tmp_path: Path
) -> None:
    out = tmp_path / "bank-recorded.yaml"
    url, sim = bank_sandbox
    with proxying(url, sim, recorder=ExampleRecorder(BANK, out)) as proxied:
        httpx.post(f"{proxied.url}/loans", json=LOAN)
        httpx.get(f"{proxied.url}/loans/{LOAN['loanOuterNo']}/schedule")
        httpx.post(f"{proxied.url}/loans", json={**LOAN, "term": "three"})  # invalid: not an example
        httpx.get(f"{proxied.url}/loans/LN209901010001")  # a 404, declared through a shared $ref response

    assert lint_contract(out) == []
    recorded = load_contract(out)
    media = recorded.document["paths"]["/loans"]["post"]["requestBody"]["content"]["application/json"]
    assert sorted(media["examples"]) == ["example", "recorded-1"]  # the contract's own, and the valid request
    example = media["examples"]["recorded-1"]["value"]
    # hidden digits become zeros rather than stars, so the ID and phone patterns still hold
    assert (example["certNo"], example["phone"], example["name"]) == ("110100000000001239", "13900005678", "张*")
    schedule = recorded.operation("repayPlanQuery").responses["200"].content["application/json"]
    assert len(schedule.examples) == 2  # the contract's own and recorded-2
    not_found = recorded.document["paths"]["/loans/{loanOuterNo}"]["get"]["responses"]["404"]
    assert "recorded-4" in not_found["content"]["application/problem+json"]["examples"]  # copied in, then added
    shared = "NotFound"
    assert recorded.document["components"]["responses"][shared] == BANK.document["components"]["responses"][shared]


def test_what_the_proxy_prints_about_an_exchange_is_masked(through: Proxied) -> None:
    httpx.get(f"{through.url}/loans/13912345678")

    line = through.exchanges[0].summary()
    assert line.startswith("#1 GET /loans/139****5678 (getLoan) → 404") and "13912345678" not in line


def test_a_body_too_large_to_pass_on_is_refused_with_413_even_when_not_strict(
    bank_sandbox: tuple[str, Simulator],
) -> None:
    url, sim = bank_sandbox
    with proxying(url, sim, max_body=1024) as proxied:
        response = httpx.post(f"{proxied.url}/loans", json={**LOAN, "name": "张" * 1000})

    assert response.status_code == 413 and response.headers[VIOLATIONS_HEADER] == "1"
    assert sim.journal.count(kind="request") == 0


def recording_upstream(seen: list[str]) -> ASGIApplication:
    """An upstream that notes each request target it receives (raw, as it came over the wire) and answers 200."""

    async def app(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        seen.append(scope["raw_path"].decode("latin-1"))
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def raw_get(url: str, target: str) -> tuple[int, dict[str, Any]]:
    """GET ``target`` exactly as written (an HTTP client would normalise its dot segments first)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    ("target", "rule"),
    [
        ("/../secret", "dotSegment"),
        ("/%2e%2e/secret", "dotSegment"),
        ("/loans/..%2F..%2Fsecret", "dotSegment"),
        ("/loans/%2E%2E/%2E%2E/secret", "dotSegment"),
        ("/loans/./LN1", "dotSegment"),
        ("/loans/%0d%0aX-Injected:%201", "controlCharacter"),
        ("/loans/LN%001", "controlCharacter"),
    ],
)
def test_a_path_that_could_leave_the_upstream_base_path_is_refused_with_400_and_never_forwarded(
    target: str, rule: str
) -> None:
    seen: list[str] = []
    with running(recording_upstream(seen)) as upstream, proxying(f"{upstream}/api/v1") as proxied:
        status, problem = raw_get(proxied.url, target)
        entries = list(proxied.proxy.journal.iter(correlation="p1"))

    assert status == 400
    assert problem["errors"][0]["field"] == "path" and problem["errors"][0]["rule"] == rule
    assert "send the path without" in problem["detail"]
    assert seen == []
    assert [(e.kind, e.status) for e in entries] == [("request", None), ("drift", None), ("response", 400)]


def test_a_percent_encoded_question_mark_or_hash_stays_in_the_path_upstream() -> None:
    seen: list[str] = []
    with running(recording_upstream(seen)) as upstream, proxying(f"{upstream}/api/v1") as proxied:
        status, _ = raw_get(proxied.url, "/loans/LN%3Fadmin=1%23x?page=2")

    assert status == 200
    assert seen == ["/api/v1/loans/LN%3Fadmin=1%23x"]
