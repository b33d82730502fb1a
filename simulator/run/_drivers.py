"""Platform drivers: how the harness talks to the platform under test.

Both speak contracts/platform.yaml — set-up, ticks, the borrower repaying in the app, the ledger (the harness's
own calls: :data:`HARNESS_OPERATIONS`) — and receive the partners' deliveries (callbacks, notices, SMS
receipts: :data:`RECEIVERS`). A harness call the platform fails raises :class:`~simulator.errors.PlatformError`
(the run stops there, an error); a delivery it fails is answered as the failed delivery it is (the sender
retries, the invariants judge):

- ``InProcessDriver``: a Python object with one method per operation (``setup_run``, ``tick``,
  ``borrower_repay``, ``platform_ledger``, ``repay_result_notify``, ``bank_notice``, ``sms_report``, …); its
  httpx clients are routed to the simulator through respx, its ``lendsim.platform`` log lines are journaled.
- ``HttpDriver``: a platform served at a URL; the simulator is served on a loopback port for it to call.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Final, Protocol

import httpx

from simulator.core import DeliveryResult, Engine, dumps
from simulator.errors import LendsimError, PlatformError
from simulator.masking import mask_text
from simulator.openapi import Operation, snake
from simulator.run._timeouts import DEFAULT_CLIENT_TIMEOUT
from simulator.testing import base_url, mock_router

__all__ = ["HARNESS_OPERATIONS", "RECEIVERS", "HttpDriver", "InProcessDriver", "PlatformDriver", "snake"]

PLATFORM_LOGGER = "lendsim.platform"
#: The operations of contracts/platform.yaml the harness calls while it drives a run.
HARNESS_OPERATIONS: Final = ("setupRun", "tick", "borrowerRepay", "platformLedger")
#: The platform's receivers: the partners' deliveries (callbacks, notices, SMS receipts).
RECEIVERS: Final = ("repayResultNotify", "bankNotice", "smsReport")
_ANSWER_SHOWN: Final = 300


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
        self._check_methods()
        self.sim = sim
        self._router = mock_router(sim)
        self._router.start()
        self._handler = _JournalHandler(sim)
        logger = logging.getLogger(PLATFORM_LOGGER)
        logger.addHandler(self._handler)
        logger.setLevel(logging.DEBUG)
        sim.deliverer = self._deliver
        return {partner: base_url(partner) for partner in sim.contracts}

    def _check_methods(self) -> None:
        """Every operation a run calls or delivers must have its method, before anything runs."""
        missing = [
            op for op in (*HARNESS_OPERATIONS, *RECEIVERS) if not callable(getattr(self.platform, snake(op), None))
        ]
        if missing:
            names = ", ".join(f"{snake(op)}()" for op in missing)
            raise PlatformError(
                missing[0],
                f"the in-process platform {type(self.platform).__name__} has no {names}",
                hint="an in-process platform has one method per operation of contracts/platform.yaml "
                "(setup_run, tick, borrower_repay, platform_ledger, repay_result_notify, bank_notice, sms_report)",
            )

    def call(self, operation_id: str, body: Any = None) -> Any:
        method = getattr(self.platform, snake(operation_id), None)
        if not callable(method):
            raise PlatformError(operation_id, f"the in-process platform has no method {snake(operation_id)}()")
        try:
            return method() if operation_id == "platformLedger" else method(body)
        except Exception as exc:
            raise PlatformError(operation_id, mask_text(f"{snake(operation_id)}() raised {exc!r}")) from exc

    def _deliver(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        """A delivery to the receiver's method: ``method(body)``, or ``method(body, headers=…, raw=…)`` (the headers and
        the body's bytes as they would go over the wire, to verify a signature) when the method takes ``headers``. An
        exception carrying an HTTP ``status`` of 400–599 (a refusal) is answered with that status, any other as 500."""
        method = getattr(self.platform, snake(operation.operation_id), None)
        if callable(method) and _takes_headers(method):
            try:
                answer = method(body, headers=dict(headers), raw=dumps(body))
            except Exception as exc:
                status = getattr(exc, "status", None)
                refused = isinstance(status, int) and 400 <= status <= 599
                message = mask_text(f"{snake(operation.operation_id)}() raised {exc!r}")
                return DeliveryResult(status if refused else 500, message)
            return DeliveryResult(200, None, answer)
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
    """Drive a platform served at ``url`` (it implements contracts/platform.yaml over HTTP).

    ``client_timeout``: how long the platform's client waits for a partner it declares no timeout for (a latency at
    or beyond it is served as a timeout); ``timeout``: how long the harness waits for the platform.
    """

    def __init__(
        self, url: str, *, timeout: float = 600.0, client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT
    ) -> None:
        from simulator.http import ClientTimeouts, KeepAliveClient

        self.url = url.rstrip("/")
        self.timeout = timeout
        self._client = KeepAliveClient(self.url, timeout=timeout)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._deliverer: Any = None
        self.lock = threading.RLock()  # one thread at a time in the simulator: a runner's or the server's
        #: How long the platform's client waits for each partner (setupRun's answer declares it).
        self.client_timeouts = ClientTimeouts(client_timeout)
        self.sim: Engine | None = None

    def start(self, sim: Engine) -> Mapping[str, str]:
        import socket

        from simulator.http import HttpDeliverer, create_app, make_server, problem_protocol

        self.sim = sim
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # as `lendsim serve` has it: the control API guarded against web pages (host=), what uvicorn's parser refuses
        # answered as a journaled problem (http=)
        app = create_app(sim, lock=self.lock, client_timeouts=self.client_timeouts, host="127.0.0.1")
        self._server = make_server(
            app, host="127.0.0.1", port=port, release=app.release, http=problem_protocol(sim, app.lock)
        )  # stops within 2 s
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise LendsimError("the simulator's server for the platform did not start within 10 s")
            time.sleep(0.01)
        http = self._deliverer = HttpDeliverer(self.url, timeout=self.timeout, workers=1)

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
        where = f"{operation.method} {self.url}{operation.path}"
        try:
            with self.released():
                response = self._client.request(
                    operation.method, operation.path, json=body if operation.method != "GET" else None
                )
        except httpx.ConnectError as exc:
            raise PlatformError(
                operation_id,
                f"{where}: could not connect ({exc})",
                hint=f"is the platform running and listening at {self.url}?",
            ) from None
        except httpx.TimeoutException:
            raise PlatformError(operation_id, f"{where}: no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise PlatformError(operation_id, f"{where}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise PlatformError(operation_id, f"{where} answered {response.status_code}: {_excerpt(response.text)}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise PlatformError(
                operation_id,
                f"{where} answered {response.status_code} with a body that is not JSON: {_excerpt(response.text)}",
            ) from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            with self.released():
                self._thread.join(timeout=10)
        if self._deliverer is not None:
            self._deliverer.close()  # its connections to the platform
        self._client.close()


def _takes_headers(method: Any) -> bool:
    """Whether a receiver method takes the delivery's ``headers`` (and ``raw`` body) besides the body: looked up
    once per method (its function, whatever instance it is bound to), not on every delivery."""
    function = getattr(method, "__func__", method)
    try:
        return _has_headers(function)
    except TypeError:  # an unhashable callable: looked at each time
        return _has_headers.__wrapped__(function)


@functools.lru_cache(maxsize=256)
def _has_headers(function: Any) -> bool:
    try:
        return "headers" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _excerpt(text: str) -> str:
    """What the platform answered, masked and cut short enough for a report line."""
    text = mask_text(" ".join(text.split()))
    return text if len(text) <= _ANSWER_SHOWN else text[: _ANSWER_SHOWN - 1] + "…"
