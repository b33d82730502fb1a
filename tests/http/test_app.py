"""The ASGI adapter over a real socket: what a platform's HTTP client actually sees."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from simulator.core import MAX_BODY, VIRTUAL_TIME_HEADER, Engine
from simulator.http import HOLD_MARGIN, ClientTimeouts, create_app
from tests.core.helpers import REPAYMENT
from tests.http.conftest import LiveServer, running
from tests.partners.sms.helpers import overdue_notice


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


def test_a_latency_fault_is_answered_at_once_stamped_that_much_later_in_virtual_time(live_server: LiveServer) -> None:
    live_server.engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1H"}})

    response = httpx.post(f"{live_server.url}/bank/repayments", json=REPAYMENT, timeout=10)  # not an hour

    assert response.status_code == 200
    assert response.headers[VIRTUAL_TIME_HEADER] == "2019-05-01T01:00:00+08:00"
    answer = live_server.engine.journal.last(kind="response", operation="repayApply")
    assert answer is not None and answer.virtual_time.isoformat() == "2019-05-01T01:00:00+08:00"


def test_a_latency_at_or_beyond_the_declared_client_timeout_is_a_timeout_held_until_the_client_gives_up() -> None:
    engine = Engine(seed=7)
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1H"}})
    timeouts = ClientTimeouts(declared={"bank": timedelta(seconds=0.3)})

    with running(create_app(engine, client_timeouts=timeouts)) as url:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/bank/repayments", json=REPAYMENT, timeout=0.3)
        waited = time.monotonic() - started

    assert 0.3 <= waited < 3600
    answer = engine.journal.last(kind="response", operation="repayApply")
    assert answer is not None and answer.data["transportFault"] == "timeout" and answer.data["clientTimeout"] == 0.3
    assert answer.virtual_time.isoformat() == "2019-05-01T01:00:00+08:00"  # when the answer came, too late


def test_a_client_that_waits_longer_than_it_declared_is_let_go_at_its_declared_timeout_and_a_margin() -> None:
    engine = Engine(seed=7)
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT1H"}})
    timeouts = ClientTimeouts(declared={"bank": timedelta(seconds=0.3)})

    with running(create_app(engine, client_timeouts=timeouts)) as url:
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):  # the connection closed with no answer
            httpx.post(f"{url}/bank/repayments", json=REPAYMENT, timeout=120)
        waited = time.monotonic() - started

    # Held for the declared timeout and the margin (0.8 s), not an hour, nor the 60 s of an undeclared timeout;
    # the bound is loose for a loaded machine.
    assert 0.3 + HOLD_MARGIN.total_seconds() <= waited < 30


def test_each_partner_has_its_own_client_timeout_and_the_default_covers_the_rest() -> None:
    engine = Engine(seed=7)
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT2S"}})
    engine.add_fault({"at": "sms.sendSms", "latency": {"delay": "PT2S"}})
    timeouts = ClientTimeouts(timedelta(seconds=1), declared={"bank": timedelta(seconds=5)})

    with running(create_app(engine, client_timeouts=timeouts)) as url:
        bank = httpx.post(f"{url}/bank/repayments", json=REPAYMENT, timeout=10)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/sms/send", json=overdue_notice(), timeout=1)

    assert bank.status_code == 200 and bank.headers[VIRTUAL_TIME_HEADER] == "2019-05-01T00:00:02+08:00"


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
