"""Serve a reference platform over HTTP, as ``contracts/platform.yaml`` describes it.

``create_app(platform)`` wraps any object with the in-process methods (:class:`lendsim_examples.Platform`) in a
raw ASGI application: each request is matched to an operation of the platform contract, its body checked
against the contract (400, 413 and 415 as RFC 9457 problems naming the field), and handed to the method of the
same name in snake case on a worker thread (of the app's own pool, not waited for when the server stops), one
request at a time (a platform is not thread-safe, and the simulator may deliver a callback while the harness's
tick is still running). Every answer carries ``X-Lendsim-Virtual-Time``: the platform's clock, which follows the
header of every request.

``uvicorn --factory lendsim_examples.asgi:naive_app`` (or ``resilient_app``) serves one.

Where the example leans on lendsim and where it is deliberately its own: the HTTP plumbing — matching an operation
and checking a body against the platform contract (:mod:`simulator.openapi`), reading a body and answering the
lifespan (:mod:`simulator.http`), the ASGI types (:mod:`simulator.types`) — is lendsim's public helpers, since it
decides nothing a scenario judges. What the platform does with a request (money, ledgers, retries, idempotency:
``_base.py``, ``naive.py``, ``resilient.py``) is its own code, independent of the simulator it is judged against.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from lendsim_examples._base import VIRTUAL_TIME_HEADER, Platform, Problem, snake
from simulator._resources import bundled_contracts_dir
from simulator.http import lifespan, read_body
from simulator.openapi import Contract, Operation, Violation, load_contract
from simulator.types import Receive, Scope, Send

__all__ = ["MAX_BODY", "PlatformApp", "app_for", "create_app", "naive_app", "resilient_app"]

#: The largest request body accepted (the platform contract's 413).
MAX_BODY: Final = 1024 * 1024
_PROBLEM: Final = "application/problem+json"
_STATUS: Final = {"borrowerRepay": 202}  # the operations not answered with 200
_log = logging.getLogger(__name__)


#: The receivers of the bank's deliveries: they get the headers and the raw body, to check the signature.
_SIGNED_RECEIVERS: Final = frozenset({"repayResultNotify", "bankNotice"})


def _contract() -> Contract:
    return load_contract(bundled_contracts_dir() / "platform.yaml", name="platform")


class PlatformApp:
    """A platform (the in-process object) behind the HTTP routes of the platform contract."""

    def __init__(self, platform: Platform, *, contract: Contract | None = None, max_body: int = MAX_BODY) -> None:
        self.platform = platform
        self.contract = contract or _contract()
        self.max_body = max_body
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await lifespan(receive, send, shutdown=self._close)

    async def _close(self) -> None:
        if self._pool is not None:
            # The server is stopping: a handler still waiting on a partner is not waited for (its own pool, not
            # the event loop's default one, which asyncio.run would wait for).
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        close = getattr(self.platform, "close", None)
        if callable(close):
            close()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        method = str(scope["method"]).upper()
        path = str(scope["path"])
        matched = self.contract.operations.match(method, path)
        operation = matched[0] if matched else None
        stamp = headers.get(VIRTUAL_TIME_HEADER)
        read = await read_body(receive, self.max_body)
        if read is None:
            return  # the client went away before sending the whole request
        body, too_large = read
        if operation is None:
            allowed = self.contract.operations.allowed_methods(path)
            if allowed:
                status, answer = _problem(
                    405, "Method Not Allowed", f"{method} is not served at {path}; use {', '.join(allowed)}"
                )
                await self._respond(send, status, answer, _PROBLEM, stamp, allow=", ".join(allowed))
                return
            status, answer = _problem(404, "Not Found", f"no operation of the platform contract at {method} {path}")
            await self._respond(send, status, answer, _PROBLEM, stamp)
            return
        assert matched is not None
        query = scope.get("query_string", b"").decode("latin-1")
        _, param_errors = operation.validate_params(matched[1], query, headers)
        if param_errors:  # e.g. a virtual-time stamp that is no date-time: refused, and not taken as the clock
            await self._respond(send, *_invalid(operation, param_errors, 400), _PROBLEM, None)
            return
        if too_large:
            status, answer = _problem(
                413,
                "Request body too large",
                f"the body is larger than {self.max_body} bytes",
                operation=operation.operation_id,
                type_="urn:lendsim:problem:payload-too-large",
            )
            await self._respond(send, status, answer, _PROBLEM, stamp)
            return
        value, errors, error_status = operation.decode_body(body, headers.get("content-type"))
        if errors:
            await self._respond(send, *_invalid(operation, errors, error_status), _PROBLEM, stamp)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(thread_name_prefix="lendsim-platform")
        signed = (headers, body) if operation.operation_id in _SIGNED_RECEIVERS else None
        status, answer, media = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._invoke, operation, value, stamp, signed
        )
        await self._respond(send, status, answer, media, stamp)

    def _invoke(
        self,
        operation: Operation,
        body: Any,
        virtual_time: str | None,
        signed: tuple[dict[str, str], bytes] | None = None,
    ) -> tuple[int, Any, str]:
        with self._lock:
            observe = getattr(self.platform, "observe", None)
            if virtual_time and callable(observe):
                observe(virtual_time)
            method = getattr(self.platform, snake(operation.operation_id))
            try:
                if operation.operation_id == "platformLedger":
                    answer = method()
                elif signed is not None:  # the headers and the bytes as they came: to check the bank's signature
                    answer = method(body, headers=signed[0], raw=signed[1])
                else:
                    answer = method(body)
            except Problem as exc:
                status, problem = _problem(exc.status, exc.title, exc.detail, operation=operation.operation_id)
                return status, problem, _PROBLEM
            except Exception as exc:
                _log.exception("platform failed on %s", operation.operation_id)
                status, problem = _problem(500, "Platform error", f"{type(exc).__name__}: {exc}"[:500])
                return status, problem, _PROBLEM
            return _STATUS.get(operation.operation_id, 200), answer, "application/json"

    async def _respond(
        self, send: Send, status: int, body: Any, media: str, stamp: str | None, *, allow: str | None = None
    ) -> None:
        """Write the answer, stamped with the platform's clock (or, when it has none, the request's stamp)."""
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode())]
        if allow is not None:  # a 405 says which methods the path takes (RFC 9110)
            headers.append((b"allow", allow.encode()))
        now = getattr(self.platform, "now", None)
        when = now.isoformat() if now is not None else stamp
        if when:
            headers.append((VIRTUAL_TIME_HEADER.encode(), when.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _problem(
    status: int, title: str, detail: str, *, operation: str | None = None, type_: str | None = None
) -> tuple[int, dict[str, Any]]:
    kind = type_ or f"urn:lendsim:problem:{title.lower().replace(' ', '-')}"
    return status, {"type": kind, "title": title, "status": status, "detail": detail, "operation": operation}


def _invalid(operation: Operation, errors: list[Violation], status: int) -> tuple[int, dict[str, Any]]:
    if status == 415:
        code, answer = _problem(
            415,
            "Unsupported media type",
            errors[0].message,
            operation=operation.operation_id,
            type_="urn:lendsim:problem:unsupported-media-type",
        )
        return code, answer
    code, answer = _problem(
        400,
        "Request does not match the contract",
        f"{len(errors)} field{'s' if len(errors) > 1 else ''} violate{'' if len(errors) > 1 else 's'} the platform "
        f"contract; first: {errors[0].field}: {errors[0].message}",
        operation=operation.operation_id,
        type_="urn:lendsim:problem:contract-violation",
    )
    answer["errors"] = [error.to_json() for error in errors]
    return code, answer


def create_app(platform: Platform) -> PlatformApp:
    """An ASGI application serving ``platform`` as contracts/platform.yaml describes."""
    return PlatformApp(platform)


def app_for(name: str) -> PlatformApp:
    """``"naive"`` or ``"resilient"``, freshly made and served."""
    from lendsim_examples import naive, resilient

    factories: dict[str, Callable[[], Platform]] = {"naive": naive.create, "resilient": resilient.create}
    if name not in factories:
        raise ValueError(f"no reference platform {name!r}; choose naive or resilient")
    return create_app(factories[name]())


def naive_app() -> PlatformApp:
    """``uvicorn --factory lendsim_examples.asgi:naive_app``."""
    return app_for("naive")


def resilient_app() -> PlatformApp:
    """``uvicorn --factory lendsim_examples.asgi:resilient_app``."""
    return app_for("resilient")
