"""A small HTTP/1.1 client for the platform under test: what a replay over HTTP spends most of its requests on.

The harness's calls (ticks, payments) and the partners' deliveries (callbacks, notices, SMS receipts) go to one base
URL, thousands of them a run. ``httpx.Client`` spends about 0.75 ms of CPU on each on a slow machine, the standard
library's ``http.client`` about 0.2 ms (docs/benchmarks.md, "HTTP replay"), and a replay over HTTP is meant to cost
about what it costs in-process. So this is ``http.client`` with a kept-alive connection per thread (the runner sends
from several threads at once), the same errors ``httpx`` raises (its ``ConnectError``, ``ReadTimeout``,
``RemoteProtocolError``: callers catch those whichever client sent), and an answer with the few members callers
read (``status_code``, ``content``, ``text``, ``json()``).
"""

from __future__ import annotations

import http.client
import json as jsonlib
import select
import socket
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from simulator.core import dumps

__all__ = ["Answer", "KeepAliveClient"]


class Answer:
    """What the platform answered: the status and the body (read whole)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, content: bytes, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON (``ValueError`` when it is none)."""
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError:
            return jsonlib.loads(self.content)  # what orjson refuses and json reads (integers past 64 bits)


class KeepAliveClient:
    """Requests to ``base_url`` over one kept-alive connection per calling thread; ``timeout`` seconds per connect and
    per read. Thread-safe: each thread has its own connection."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL with a host")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """Send one request (``json`` as its body, if not None; else ``content``, bytes as they are) and read the
        whole answer.

        Raises ``httpx.ConnectError`` (nothing listens, or the host is unknown), ``httpx.ConnectTimeout`` /
        ``httpx.ReadTimeout``, or ``httpx.RemoteProtocolError`` (the connection broke or the answer is no HTTP).
        """
        sent = dict(headers or {})
        body = content
        if json is not None:
            body = _encode(json)
            sent["content-type"] = "application/json"
        connection = self._connection()
        try:
            connection.request(method, self._prefix + path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        except TimeoutError:
            connected = connection.sock is not None
            self._drop(connection)
            if not connected:
                raise httpx.ConnectTimeout(f"no connection to {self.base_url} within {self.timeout:g} s") from None
            raise httpx.ReadTimeout(f"no answer from {self.base_url} within {self.timeout:g} s") from None
        except (ConnectionRefusedError, socket.gaierror) as exc:
            self._drop(connection)
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        except (OSError, http.client.HTTPException) as exc:
            self._drop(connection)
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from None
        if response.will_close:
            self._drop(connection)
        return Answer(response.status, content, {key.lower(): value for key, value in response.getheaders()})

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection; a new one when it has none, or the platform closed it while it was idle."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None and connection.sock is not None and _closed_by_peer(connection.sock):
            self._drop(connection)
            connection = None
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle kept-alive socket that is readable was closed by the other side (or it sent what nobody asked for)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _encode(value: Any) -> bytes:
    """Compact UTF-8 JSON, by orjson when it can (what it refuses, such as a non-string key, the simulator's way)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return dumps(value)
