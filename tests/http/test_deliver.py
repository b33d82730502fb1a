"""Deliveries over HTTP: what a platform's receivers get, and how their answers are read."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from simulator.http import HttpDeliverer
from tests.http.conftest import LiveServer, running


def receiver_operation(live_server: LiveServer, operation_id: str) -> Any:
    return live_server.engine.platform.operation(operation_id)


def test_a_delivery_is_posted_to_the_receiver_path_with_its_headers(live_server: LiveServer) -> None:
    seen: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 0, "msg": "成功"})

    deliverer = HttpDeliverer("http://platform.test", transport=httpx.MockTransport(platform))
    operation = receiver_operation(live_server, "smsReport")

    result = deliverer.send(operation, [{"biz_id": "B1"}], {"x-lendsim-virtual-time": "2019-05-14T20:00:00+08:00"})

    assert result.status == 200 and result.body == {"code": 0, "msg": "成功"}
    assert seen[0].url == "http://platform.test/callbacks/sms/reports"
    assert json.loads(seen[0].content) == [{"biz_id": "B1"}]
    assert seen[0].headers["x-lendsim-virtual-time"] == "2019-05-14T20:00:00+08:00"
    deliverer.close()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("refused"), "connection_refused"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.RemoteProtocolError("reset"), "connection_reset: reset"),
    ],
)
def test_a_receiver_that_does_not_answer_is_reported_as_such(
    live_server: LiveServer, error: Exception, expected: str
) -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        raise error

    deliverer = HttpDeliverer("http://platform.test", transport=httpx.MockTransport(platform))

    result = deliverer.send(receiver_operation(live_server, "bankNotice"), {}, {})

    assert (result.status, result.error) == (None, expected)
    deliverer.close()


def test_a_served_simulator_delivers_to_a_real_platform_and_retries_without_blocking(live_server: LiveServer) -> None:
    calls: list[dict[str, Any]] = []

    async def platform(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = (await receive())["body"]
        calls.append(json.loads(body))
        # The platform calls the simulator back while handling the callback: it must not deadlock.
        async with httpx.AsyncClient() as client:
            await client.get(f"{live_server.url}/_sim/clock")
        status = 500 if len(calls) == 1 else 200
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": b"{}"})

    with running(platform) as platform_url:
        deliverer = HttpDeliverer(platform_url)
        live_server.engine.deliverer = deliverer
        live_server.engine.deliver("bank.repayResultNotify", {"repayOuterNo": "R1"}, retry=[timedelta(minutes=1)])
        httpx.post(f"{live_server.url}/_sim/clock/advance", json={"by": "PT1S"})
        wait_for(lambda: live_server.engine.journal.count(kind="delivery") == 1)
        httpx.post(f"{live_server.url}/_sim/clock/advance", json={"by": "PT2M"})
        wait_for(lambda: live_server.engine.journal.count(kind="delivery") == 2)
        deliverer.close()

    statuses = [e.status for e in live_server.engine.journal.iter(kind="delivery")]
    assert statuses == [500, 200]
    assert calls == [{"repayOuterNo": "R1"}] * 2


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the delivery"
        time.sleep(0.02)
