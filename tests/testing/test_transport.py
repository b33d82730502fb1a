"""The in-process adapters: what a platform's httpx clients see, sync and async, faults included."""

from __future__ import annotations

import asyncio
import importlib
import sys

import httpx
import pytest

from simulator.core import Engine, Response
from simulator.testing import SimulatorTransport, UnroutedRequestError, base_url, mock_router
from simulator.testing._transport import to_httpx
from tests.core.helpers import REPAYMENT


def test_a_sync_client_reaches_the_bank_through_the_transport(engine: Engine) -> None:
    with httpx.Client(base_url="http://bank.example", transport=SimulatorTransport(engine, "bank")) as client:
        response = client.post("/repayments", json=REPAYMENT)

    assert response.status_code == 200
    assert engine.journal.last(kind="request").serial == "RP-0001"  # type: ignore[union-attr]


def test_an_async_client_reaches_the_bank_through_the_transport(engine: Engine) -> None:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(base_url=base_url("bank"), transport=SimulatorTransport(engine)) as client:
            return await client.post("/repayments", json=REPAYMENT)

    assert asyncio.run(send()).status_code == 200


def test_validation_problems_arrive_as_http_statuses(engine: Engine) -> None:
    with httpx.Client(base_url=base_url("bank"), transport=SimulatorTransport(engine)) as client:
        response = client.post("/repayments", json={**REPAYMENT, "repayAmount": 1})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.repayAmount"


@pytest.mark.parametrize(
    ("outage", "exception"),
    [({"error": "connection_refused"}, httpx.ConnectError), ({"error": "connection_reset"}, httpx.RemoteProtocolError)],
)
def test_connection_faults_raise_the_real_httpx_exceptions(
    engine: Engine, outage: dict[str, str], exception: type[Exception]
) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": outage})

    with (
        httpx.Client(base_url=base_url("bank"), transport=SimulatorTransport(engine)) as client,
        pytest.raises(exception),
    ):
        client.post("/repayments", json=REPAYMENT)


def test_latency_beyond_the_read_timeout_is_a_read_timeout_without_sleeping(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "latency": {"delay": "PT30S"}})

    with httpx.Client(base_url=base_url("bank"), transport=SimulatorTransport(engine), timeout=3) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/repayments", json=REPAYMENT)
        engine.faults.clear()
        assert client.post("/repayments", json=REPAYMENT).status_code == 200


def test_timeout_after_commit_is_a_read_timeout_after_the_work_is_done(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "timeout_after_commit": {}})

    with (
        httpx.Client(base_url=base_url("bank"), transport=SimulatorTransport(engine)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("/repayments", json=REPAYMENT)

    assert engine.journal.last(kind="response").data["transportFault"] == "timeout"  # type: ignore[union-attr]


def test_respx_routes_a_client_created_anywhere_to_the_simulator(engine: Engine) -> None:
    with mock_router(engine):
        sync_status = httpx.post(f"{base_url('bank')}/repayments", json=REPAYMENT).status_code

        async def send() -> int:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{base_url('_sim')}/clock")).status_code

        async_status = asyncio.run(send())

    assert (sync_status, async_status) == (200, 200)


def test_an_unrouted_host_fails_with_the_host_and_the_fix(engine: Engine) -> None:
    with mock_router(engine), pytest.raises(UnroutedRequestError) as caught:
        httpx.get("https://api.realbank.example/v1/ping")

    message = str(caught.value)
    assert "'api.realbank.example'" in message
    assert "lendsim.base_url('bank')" in message and "passthrough_hosts" in message


def test_a_client_whose_transport_is_already_in_memory_is_left_to_it_inside_the_routes(engine: Engine) -> None:
    fake = httpx.MockTransport(lambda request: httpx.Response(204))

    with mock_router(engine):
        faked = httpx.Client(transport=fake).get("https://api.realbank.example/v1/ping").status_code
        direct = httpx.Client(base_url="http://bank", transport=SimulatorTransport(engine, "bank"))
        simulated = direct.post("/repayments", json=REPAYMENT).status_code

    assert (faked, simulated) == (204, 200)


def test_the_routes_still_answer_after_their_module_is_imported_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytester's in-process runs restore sys.modules after each run, so the plugin's modules are imported again.
    for name in [module for module in sys.modules if module.startswith("simulator.testing")]:
        monkeypatch.delitem(sys.modules, name)
    again = importlib.import_module("simulator.testing._routes")

    with again.mock_router(engine):
        status = httpx.post(f"{base_url('bank')}/repayments", json=REPAYMENT).status_code

    assert status == 200


class _SigningTransport(httpx.HTTPTransport):
    """A platform's own network transport: it changes each request before httpx sends it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["x-request-id"] = "signed-1"
        return super().handle_request(request)


class _WrappingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)


def test_a_client_whose_network_transport_is_its_own_reaches_the_simulator_as_it_sends(engine: Engine) -> None:
    with mock_router(engine):
        signed = httpx.Client(transport=_SigningTransport()).post(f"{base_url('bank')}/repayments", json=REPAYMENT)
        wrapped = httpx.Client(transport=_WrappingTransport()).get(f"{base_url('_sim')}/clock")

    assert (signed.status_code, wrapped.status_code) == (200, 200)
    request = engine.journal.last(kind="request", partner="bank")
    assert request is not None and request.data["headers"]["x-request-id"] == "signed-1"


def test_a_passthrough_host_reaches_the_network_sync_and_async(engine: Engine, local_server: str) -> None:
    async def fetch() -> bytes:
        async with httpx.AsyncClient() as client:
            return (await client.get(local_server)).content

    with mock_router(engine, passthrough_hosts=["127.0.0.1"]):
        answers = (httpx.get(local_server).content, asyncio.run(fetch()))
        with pytest.raises(UnroutedRequestError):
            httpx.get(local_server.replace("127.0.0.1", "localhost"))

    assert answers == (b"hello", b"hello")


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"x-lendsim-virtual-time": "2019-05-01T00:00:00+08:00", "content-type": "application/json"}, b'{"a":1}'),
        ({"x-lendsim-virtual-time": "2019-05-01T00:00:00+08:00"}, b""),
        ({"Content-Length": "7", "allow": "GET, POST"}, b'{"a":1}'),
    ],
)
def test_the_httpx_answer_is_what_httpx_builds_from_the_cores_headers_and_body(
    headers: dict[str, str], body: bytes
) -> None:
    request = httpx.Request("POST", f"{base_url('bank')}/repayments")

    answer = to_httpx(request, Response(201, dict(headers), body))

    expected = httpx.Response(201, headers=headers, content=body, request=request)
    assert answer.headers.raw == expected.headers.raw
    assert (answer.status_code, answer.content, answer.request) == (201, body, request)


def test_a_connection_fault_through_the_respx_routes_raises_the_httpx_exception_and_is_recorded(engine: Engine) -> None:
    engine.add_fault({"at": "bank.repayApply", "outage": {"error": "connection_refused"}})

    with mock_router(engine) as router:
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"{base_url('bank')}/repayments", json=REPAYMENT)

        assert router.calls.call_count == 1
        assert not router.calls.last.has_response


def test_the_respx_routes_record_each_answered_call_with_its_response(engine: Engine) -> None:
    with mock_router(engine) as router:
        status = httpx.post(f"{base_url('bank')}/repayments", json=REPAYMENT).status_code

        assert status == 200
        assert router.calls.last.response.status_code == 200
