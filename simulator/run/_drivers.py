"""Platform drivers: how the harness talks to the platform under test.

Both speak contracts/platform.yaml — set-up, ticks, the borrower repaying in the app, the ledger — and receive
the partners' deliveries (callbacks, notices, SMS receipts):

- ``InProcessDriver``: a Python object with one method per operation (``setup_run``, ``tick``,
  ``borrower_repay``, ``platform_ledger``, ``repay_result_notify``, ``bank_notice``, ``sms_report``, …); its
  httpx clients are routed to the simulator through respx, its ``lendsim.platform`` log lines are journaled.
- ``HttpDriver``: a platform served at a URL; the simulator is served on a loopback port for it to call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import httpx

from simulator.core import DeliveryResult, Engine
from simulator.openapi import Operation, snake
from simulator.testing import base_url, mock_router

__all__ = ["HttpDriver", "InProcessDriver", "PlatformDriver", "PlatformError", "snake"]

PLATFORM_LOGGER = "lendsim.platform"


class PlatformError(Exception):
    """The platform under test failed to answer an operation of contracts/platform.yaml."""


class PlatformDriver(Protocol):
    def start(self, sim: Engine) -> Mapping[str, str]:
        """Make the partners reachable for the platform; return their base URLs by partner."""
        ...

    def call(self, operation_id: str, body: Any = None) -> Any:
        """One operation of contracts/platform.yaml; PlatformError if the platform fails it."""
        ...

    def stop(self) -> None: ...


class _JournalHandler(logging.Handler):
    """Journals each line the platform logs, as it wrote it: invariant O7 judges what is in them."""

    def __init__(self, sim: Engine) -> None:
        super().__init__(logging.DEBUG)
        self.sim = sim

    def emit(self, record: logging.LogRecord) -> None:
        self.sim.event("platform", "platformLog", data={"level": record.levelname, "line": record.getMessage()})


class InProcessDriver:
    """Drive a platform object in this process; its httpx clients reach the simulator through respx."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self._router: Any = None
        self._handler: _JournalHandler | None = None
        self.sim: Engine | None = None

    def start(self, sim: Engine) -> Mapping[str, str]:
        self.sim = sim
        self._router = mock_router(sim)
        self._router.start()
        self._handler = _JournalHandler(sim)
        logger = logging.getLogger(PLATFORM_LOGGER)
        logger.addHandler(self._handler)
        logger.setLevel(logging.DEBUG)
        sim.deliverer = self._deliver
        return {partner: base_url(partner) for partner in sim.contracts}

    def call(self, operation_id: str, body: Any = None) -> Any:
        method = getattr(self.platform, snake(operation_id), None)
        if method is None:
            raise PlatformError(f"the platform has no method {snake(operation_id)}() for {operation_id}")
        try:
            return method() if operation_id == "platformLedger" else method(body)
        except Exception as exc:
            raise PlatformError(f"{snake(operation_id)}() raised {exc!r}") from exc

    def _deliver(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        try:
            answer = self.call(operation.operation_id, body)
        except PlatformError as exc:
            return DeliveryResult(500, str(exc))
        return DeliveryResult(200, None, answer)

    def stop(self) -> None:
        if self._router is not None:
            self._router.stop(quiet=True)
        if self._handler is not None:
            logging.getLogger(PLATFORM_LOGGER).removeHandler(self._handler)


class HttpDriver:
    """Drive a platform served at ``url`` (it implements contracts/platform.yaml over HTTP)."""

    def __init__(self, url: str, *, timeout: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._client = httpx.Client(base_url=self.url, timeout=timeout)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()  # one thread at a time in the simulator: the runner or the server
        self.sim: Engine | None = None

    def start(self, sim: Engine) -> Mapping[str, str]:
        import socket

        import uvicorn

        from simulator.http import HttpDeliverer, create_app

        self.sim = sim
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app = create_app(sim, lock=self.lock)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise PlatformError("the simulator's server for the platform did not start")
            time.sleep(0.01)
        http = HttpDeliverer(self.url, timeout=self.timeout)

        def deliver(operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
            with self.released():
                return http.send(operation, body, headers)

        sim.deliverer = deliver
        return {partner: f"http://127.0.0.1:{port}/{partner}" for partner in sim.contracts}

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let the platform call the simulator while the runner waits for it (else they would deadlock)."""
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    def call(self, operation_id: str, body: Any = None) -> Any:
        assert self.sim is not None
        operation = self.sim.platform.operation(operation_id)
        try:
            with self.released():
                response = self._client.request(
                    operation.method, operation.path, json=body if operation.method != "GET" else None
                )
        except httpx.HTTPError as exc:
            raise PlatformError(f"{operation.method} {self.url}{operation.path} failed: {exc!r}") from exc
        if response.status_code >= 400:
            raise PlatformError(
                f"{operation.method} {self.url}{operation.path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            with self.released():
                self._thread.join(timeout=10)
        self._client.close()
