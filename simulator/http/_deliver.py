"""Deliveries to a platform over HTTP: callbacks, notices and SMS receipts POSTed to its receivers.

Sends on worker threads and hands the engine a Future, so a server never blocks its event loop on the
platform — a platform that calls the simulator back while handling a callback must not deadlock it. A runner
sends them itself (:meth:`HttpDeliverer.send`), from several threads at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from simulator.core import DeliveryResult, dumps
from simulator.http._client import KeepAliveClient
from simulator.openapi import Operation

__all__ = ["HttpDeliverer"]


class HttpDeliverer:
    """POST each delivery to ``base_url`` + the receiver's path from contracts/platform.yaml."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        workers: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``transport``: an httpx transport to send through (a test's ``httpx.MockTransport``); by default the
        deliveries go over :class:`KeepAliveClient` connections."""
        self.base_url = base_url.rstrip("/")
        self._client: httpx.Client | KeepAliveClient = (
            KeepAliveClient(self.base_url, timeout=timeout)
            if transport is None
            else httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lendsim-deliver")

    def __call__(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> Future[DeliveryResult]:
        return self._pool.submit(self.send, operation, body, headers)

    def send(self, operation: Operation, body: Any, headers: Mapping[str, str]) -> DeliveryResult:
        """Send one delivery now and say how it went (what a platform's receiver answered, or why nothing did)."""
        try:
            # the bytes the engine signed (signing on): the core's own JSON writer, not httpx's
            sent = {**headers, "content-type": "application/json"}
            response = self._client.request(operation.method, operation.path, content=dumps(body), headers=sent)
        except httpx.ConnectError:
            return DeliveryResult(None, "connection_refused")
        except httpx.TimeoutException:
            return DeliveryResult(None, "timeout")
        except httpx.TransportError as exc:
            return DeliveryResult(None, f"connection_reset: {exc}")
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:2000] or None
        return DeliveryResult(response.status_code, None, answer)

    def close(self) -> None:
        """Stop sending: deliveries not yet sent are dropped, one waiting on the platform is not waited for."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()
