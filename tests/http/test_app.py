"""The ASGI adapter over a real socket: what a platform's HTTP client actually sees."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from simulator.core import MAX_BODY, VIRTUAL_TIME_HEADER
from tests.core.helpers import REPAYMENT
from tests.http.conftest import LiveServer


def test_a_repayment_round_trips_over_http_and_is_journaled(live_server: LiveServer) -> None:
    response = httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT)

    assert response.status_code == 200
    assert response.headers[VIRTUAL_TIME_HEADER] == "2019-05-01T00:00:00+08:00"
    entries = list(live_server.engine.journal.iter(serial="RP-0001"))
    assert [e.kind for e in entries] == ["request", "response"]
    assert entries[0].wall_time is not None


def test_a_body_over_the_limit_is_refused_with_413_without_reading_it_all(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/bank/repayments",
        content=b"x" * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_chunked_body_over_the_limit_is_refused_too(live_server: LiveServer) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 65536

    response = httpx.post(
        f"{live_server.url}/bank/repayments", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


def test_a_connection_reset_fault_breaks_the_connection(live_server: LiveServer) -> None:
    live_server.engine.add_fault({"at": "bank.repayApply", "outage": {"error": "connection_reset"}})

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT)


def test_a_timeout_fault_gives_the_client_a_read_timeout(live_server: LiveServer) -> None:
    live_server.engine.add_fault({"at": "bank.repayApply", "timeout_after_commit": {}})

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT, timeout=0.5)


def test_latency_is_felt_by_the_client(live_server: LiveServer) -> None:
    live_server.engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT2S"}})

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT, timeout=0.3)


def test_the_control_api_moves_virtual_time(live_server: LiveServer) -> None:
    response = httpx.post(f"{live_server.url}/_sim/clock/advance", json={"by": "PT36H"})

    assert response.json()["clock"]["now"] == "2019-05-02T12:00:00+08:00"
    assert live_server.engine.clock.now() - live_server.engine.clock.now().replace(hour=0) == timedelta(hours=12)


def test_a_failure_nobody_planned_for_is_a_500_problem_with_an_incident_id_in_the_journal(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("a secret detail of the failure")

    monkeypatch.setattr(live_server.engine, "handle", broken)

    response = httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    incident = response.json()["incident"]
    assert incident in response.json()["detail"] and "secret" not in response.text and "Traceback" not in response.text
    journaled = live_server.engine.journal.last(operation="internalError")
    assert journaled is not None and journaled.data["incident"] == incident
    assert "a secret detail of the failure" in journaled.data["traceback"]


def test_a_failure_the_journal_cannot_take_is_still_a_500_problem(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(live_server.engine.journal, "add", full)

    response = httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT)

    assert response.status_code == 500 and response.json()["incident"]
