"""The lendsim routes beside a test's own respx mocks (its other dependencies): in either order of activation, with
respx's default httpcore-level mocker and with ``using="httpx"``, for sync, async and own-transport clients."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx
import pytest
import respx
from respx.mocks import HTTPCoreMocker, HTTPXMocker, Mocker
from respx.models import AllMockedAssertionError, PassThrough

from simulator.core import Engine
from simulator.testing import UnroutedRequestError, base_url, mock_router

pytest_plugins = ["pytester"]

KYC = "https://kyc.example.com/check"
ELSEWHERE = "https://sanctions.example.org/v2/lookup"

ORDERS = pytest.mark.parametrize("order", ["theirs-first", "lendsim-first"])
MOCKERS = pytest.mark.parametrize("using", ["httpcore", "httpx"])
CLIENTS = pytest.mark.parametrize("client", ["sync", "async", "own-transport"])


class _OwnTransport(httpx.HTTPTransport):
    """A platform's own network transport (answered at httpcore's level, not httpx's)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["x-signed"] = "1"
        return super().handle_request(request)


def send(client: str, url: str) -> httpx.Response:
    if client == "async":

        async def get() -> httpx.Response:
            async with httpx.AsyncClient() as async_client:
                return await async_client.get(url)

        return asyncio.run(get())
    with httpx.Client(transport=_OwnTransport() if client == "own-transport" else None) as sync_client:
        return sync_client.get(url)


def their_mock(using: str, **settings: bool) -> respx.MockRouter:
    """The test's own respx mock, as a platform's suite writes it (``respx.mock(...)``)."""
    mock = respx.mock(**settings) if using == "httpcore" else respx.mock(using="httpx", **settings)
    assert isinstance(mock, respx.MockRouter)
    return mock


@contextmanager
def active(order: str, theirs: respx.MockRouter, ours: respx.MockRouter) -> Iterator[None]:
    first, second = (theirs, ours) if order == "theirs-first" else (ours, theirs)
    with first, second:
        yield


def answered_by_the_simulator(engine: Engine, response: httpx.Response) -> bool:
    return "x-lendsim-virtual-time" in response.headers and engine.journal.count(kind="request", partner="bank") == 1


@ORDERS
@MOCKERS
@CLIENTS
def test_a_partner_host_is_answered_by_the_simulator_and_never_reaches_the_tests_own_router(
    engine: Engine, order: str, using: str, client: str
) -> None:
    theirs = their_mock(using, assert_all_called=False)
    theirs.get(KYC).respond(json={"ok": True})

    with active(order, theirs, mock_router(engine)):
        response = send(client, f"{base_url('bank')}/loans/LN-1/schedule")

        assert answered_by_the_simulator(engine, response)
        assert theirs.calls.call_count == 0


@ORDERS
@MOCKERS
@CLIENTS
def test_a_request_matching_the_tests_own_route_is_answered_by_it_and_recorded_there(
    engine: Engine, order: str, using: str, client: str
) -> None:
    theirs = their_mock(using)
    kyc = theirs.get(KYC).respond(json={"ok": True})

    with active(order, theirs, mock_router(engine)):
        response = send(client, KYC)

        assert response.json() == {"ok": True}
        assert kyc.call_count == theirs.calls.call_count == 1
        assert engine.journal.count(kind="request") == 0


@ORDERS
@MOCKERS
@CLIENTS
def test_a_request_neither_routes_fails_with_the_unrouted_error_naming_both_fixes(
    engine: Engine, order: str, using: str, client: str
) -> None:
    theirs = their_mock(using, assert_all_called=False)
    theirs.get(KYC).respond(json={"ok": True})

    with active(order, theirs, mock_router(engine)), pytest.raises(UnroutedRequestError) as caught:
        send(client, ELSEWHERE)

    message = str(caught.value)
    assert "'sanctions.example.org'" in message and "nor does any route of your own respx mocks" in message
    assert "add a route for it to your respx mock" in message
    assert "passthrough_hosts=['sanctions.example.org']" in message
    assert theirs.calls.call_count == 0


@ORDERS
@MOCKERS
def test_a_tests_own_router_without_assert_all_mocked_answers_what_nobody_routes_but_not_the_partner_hosts(
    engine: Engine, order: str, using: str
) -> None:
    theirs = their_mock(using, assert_all_called=False, assert_all_mocked=False)

    with active(order, theirs, mock_router(engine)):
        elsewhere = send("sync", ELSEWHERE)
        bank = send("own-transport", f"{base_url('bank')}/loans/LN-1/schedule")

    assert (elsewhere.status_code, elsewhere.content) == (200, b"")  # respx's auto-mocked answer, as they asked
    assert answered_by_the_simulator(engine, bank)


@ORDERS
@MOCKERS
def test_assert_all_called_of_the_tests_own_router_passes_when_its_routes_are_called_and_fails_when_not(
    engine: Engine, order: str, using: str
) -> None:
    called = their_mock(using, assert_all_called=True)
    called.get(KYC).respond(json={"ok": True})
    forgotten = their_mock(using, assert_all_called=True)
    forgotten.get(KYC).respond(json={"ok": True})
    forgotten.get(ELSEWHERE).respond(json={"ok": True})

    with active(order, called, mock_router(engine)):
        send("sync", KYC)
        send("sync", f"{base_url('bank')}/loans/LN-1/schedule")
    with (
        pytest.raises(AssertionError, match="RESPX: some routes were not called!"),
        active(order, forgotten, mock_router(engine)),
    ):
        send("async", KYC)


@ORDERS
@MOCKERS
def test_a_pass_through_route_of_the_tests_own_does_not_open_the_network(
    engine: Engine, order: str, using: str, local_server: str
) -> None:
    theirs = their_mock(using, assert_all_called=False)
    theirs.route(host="127.0.0.1").pass_through()

    with active(order, theirs, mock_router(engine)), pytest.raises(UnroutedRequestError) as caught:
        send("sync", local_server)

    assert "a pass_through() route of your own respx mock lets it through" in str(caught.value)
    assert "passthrough_hosts=['127.0.0.1']" in str(caught.value)


@ORDERS
@MOCKERS
@CLIENTS
def test_a_passthrough_host_reaches_the_network_beside_the_tests_own_router(
    engine: Engine, order: str, using: str, client: str, local_server: str
) -> None:
    theirs = their_mock(using, assert_all_called=False)
    theirs.get(KYC).respond(json={"ok": True})

    with active(order, theirs, mock_router(engine, passthrough_hosts=["127.0.0.1"])):
        response = send(client, local_server)

    assert response.content == b"hello"


@ORDERS
@MOCKERS
def test_a_passthrough_host_the_tests_own_router_routes_is_answered_by_its_route(
    engine: Engine, order: str, using: str, local_server: str
) -> None:
    theirs = their_mock(using, assert_all_called=False)
    theirs.get(local_server).respond(text="mocked")

    with active(order, theirs, mock_router(engine, passthrough_hosts=["127.0.0.1"])):
        response = send("sync", local_server)

    assert response.text == "mocked"


@ORDERS
@MOCKERS
def test_neither_mock_leaves_anything_patched_or_registered_after_both_have_ended(
    engine: Engine, order: str, using: str
) -> None:
    patched = (httpx.Client._transport_for_url, httpcore.ConnectionPool.handle_request)
    theirs = their_mock(using, assert_all_called=False)

    with active(order, theirs, mock_router(engine)):  # lendsim first: theirs ends first, while lendsim's routes stay
        send("sync", f"{base_url('bank')}/loans/LN-1/schedule")

    assert (httpx.Client._transport_for_url, httpcore.ConnectionPool.handle_request) == patched
    assert HTTPCoreMocker.routers == HTTPXMocker.routers == Mocker.registry["lendsim"].routers == []


def test_respx_dispatches_as_the_routes_rely_on() -> None:
    # respx 0.23 (pinned in pyproject): a mocker asks its routers in the order of its `routers` list and goes on to
    # the next only when one has no route for the request (AllMockedAssertionError); any other outcome ends it. A
    # pass-through is raised as PassThrough carrying its route.
    asked: list[str] = []
    no_route, answers, after = respx.Router(), respx.Router(), respx.Router()
    no_route.route(host="nowhere.example").mock(side_effect=lambda request: asked.append("no-route"))
    answers.get(KYC).mock(side_effect=lambda request: asked.append("answers") or httpx.Response(204))
    after.route().mock(side_effect=lambda request: asked.append("after") or httpx.Response(500))
    through = respx.Router()
    passing = through.route().pass_through()
    saved = list(HTTPCoreMocker.routers)
    HTTPCoreMocker.routers[:] = [no_route, answers, after]
    try:
        response = HTTPCoreMocker.handler(httpx.Request("GET", KYC))
        HTTPCoreMocker.routers[:] = [no_route]
        with pytest.raises(AllMockedAssertionError):
            HTTPCoreMocker.handler(httpx.Request("GET", ELSEWHERE))
        HTTPCoreMocker.routers[:] = [through, answers]
        with pytest.raises(PassThrough) as passed:
            HTTPCoreMocker.handler(httpx.Request("GET", KYC))
    finally:
        HTTPCoreMocker.routers[:] = saved

    assert respx.__version__.startswith("0.23.")
    assert (response.status_code, asked) == (204, ["answers"])
    assert passed.value.origin is passing


def test_the_respx_mock_fixture_and_the_lendsim_fixture_share_a_test_in_either_order(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
import asyncio
import httpx
import pytest
import respx
from simulator.testing import UnroutedRequestError

KYC = "https://kyc.example.com/check"

def schedule(lendsim):
    return httpx.get(lendsim.base_url("bank") + "/loans/LN-UNKNOWN/schedule").status_code

@pytest.mark.lendsim(seed=1)
def test_lendsim_first(lendsim, respx_mock):
    check = respx_mock.get(KYC).respond(json={"ok": True})
    assert (schedule(lendsim), httpx.get(KYC).json()) == (404, {"ok": True})
    assert check.call_count == 1

def test_respx_first(respx_mock, lendsim):
    check = respx_mock.get(KYC).respond(json={"ok": True})
    assert (httpx.get(KYC).json(), schedule(lendsim)) == ({"ok": True}, 404)
    assert check.call_count == 1

def test_async(lendsim, respx_mock):
    respx_mock.get(KYC).respond(json={"ok": True})
    async def both():
        async with httpx.AsyncClient() as client:
            kyc = await client.get(KYC)
            bank = await client.get(lendsim.base_url("bank") + "/loans/LN-UNKNOWN/schedule")
            return kyc.json(), bank.status_code
    assert asyncio.run(both()) == ({"ok": True}, 404)

@respx.mock
def test_the_respx_decorator(lendsim):
    respx.get(KYC).respond(json={"ok": True})
    assert (httpx.get(KYC).json(), schedule(lendsim)) == ({"ok": True}, 404)

def test_a_respx_mock_with_a_base_url_and_one_on_httpx(lendsim):
    with respx.mock(base_url="https://kyc.example.com") as kyc, respx.mock(using="httpx") as sanctions:
        kyc.get("/check").respond(json={"ok": True})
        sanctions.get("https://sanctions.example.org/").respond(204)
        assert httpx.get(KYC).json() == {"ok": True}
        assert httpx.get("https://sanctions.example.org/").status_code == 204
        assert schedule(lendsim) == 404

def test_a_request_neither_routes(lendsim, respx_mock):
    respx_mock.get(KYC).respond(json={"ok": True})
    with pytest.raises(UnroutedRequestError, match="'sanctions.example.org'.*own respx mock.*passthrough_hosts"):
        httpx.get("https://sanctions.example.org/")

@pytest.mark.respx(assert_all_called=True)
def test_their_route_never_called(lendsim, respx_mock):
    respx_mock.get(KYC).respond(json={"ok": True})
    assert schedule(lendsim) == 404
"""
    )

    result = pytester.runpytest_subprocess("-p", "lendsim", "-W", "error")

    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_their_route_never_called*"])
    result.stdout.fnmatch_lines(["*RESPX: some routes were not called!*"])
