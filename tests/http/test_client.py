"""The keep-alive client a run sends the platform its calls and deliveries with: answers, errors as httpx names them,
one connection per thread, and a connection the platform closed while idle replaced."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from simulator.http import KeepAliveClient
from tests.http.conftest import running


class Platform:
    """An ASGI app answering each request with what it got, and the client port it came from."""

    def __init__(self) -> None:
        self.ports: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = (await receive())["body"]
        self.ports.append(scope["client"][1])
        answer = json.dumps(
            {"method": scope["method"], "path": scope["path"], "body": json.loads(body) if body else None}
        )
        close = [(b"connection", b"close")] if scope["path"].endswith("/close") else []
        await send({"type": "http.response.start", "status": 201, "headers": close})
        await send({"type": "http.response.body", "body": answer.encode()})


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    app = Platform()
    with running(app) as url:
        yield app, url


def test_a_request_sends_json_and_reads_the_answer_over_one_kept_alive_connection(
    platform: tuple[Platform, str],
) -> None:
    app, url = platform
    client = KeepAliveClient(url + "/prefix")

    first = client.request("POST", "/harness/tick", json={"now": "2019-05-10T20:00:00+08:00", "名": "张伟"})
    second = client.request("GET", "/harness/ledger")
    client.close()

    assert first.status_code == 201
    assert first.json() == {
        "method": "POST",
        "path": "/prefix/harness/tick",
        "body": {"now": "2019-05-10T20:00:00+08:00", "名": "张伟"},
    }
    assert second.json()["body"] is None and second.text.startswith("{")
    assert len(set(app.ports)) == 1


def test_each_thread_has_its_own_connection(platform: tuple[Platform, str]) -> None:
    app, url = platform
    client = KeepAliveClient(url)
    together = threading.Barrier(4, timeout=10)

    def call(_: int) -> int:
        together.wait()  # four threads at once: four connections
        return client.request("POST", "/x", json={}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(call, range(4)))
    client.close()

    assert statuses == [201] * 4 and len(set(app.ports)) == 4


def test_a_connection_the_platform_closed_is_replaced(platform: tuple[Platform, str]) -> None:
    app, url = platform
    client = KeepAliveClient(url)

    client.request("POST", "/close", json={})
    answer = client.request("POST", "/again", json={})
    client.close()

    assert answer.status_code == 201 and len(set(app.ports)) == 2


def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = KeepAliveClient(f"http://127.0.0.1:{port}")

    with pytest.raises(httpx.ConnectError):
        client.request("GET", "/")


def test_no_answer_within_the_timeout_is_a_read_timeout() -> None:
    async def silent(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            while (await receive())["type"] != "http.disconnect":
                pass

    with running(silent) as url:
        client = KeepAliveClient(url, timeout=0.2)
        with pytest.raises(httpx.ReadTimeout):
            client.request("POST", "/harness/tick", json={})
        client.close()


def test_an_answer_cut_short_is_a_remote_protocol_error() -> None:
    async def breaking(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await receive()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
            raise ConnectionError("cut")

    with running(breaking) as url:
        client = KeepAliveClient(url)
        with pytest.raises(httpx.RemoteProtocolError):
            client.request("GET", "/")
        client.close()


def test_a_url_that_is_no_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        KeepAliveClient("ftp://example.com")
