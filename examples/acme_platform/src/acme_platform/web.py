"""Acme's receivers for its partners' callbacks, as a plain ASGI application (the production app mounts it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acme_platform.platform import AcmePlatform

__all__ = ["create_app"]

_log = logging.getLogger("acme.callbacks")

# Acme's own ASGI types and body reading, deliberately not lendsim's (simulator.types, simulator.http): this is a
# platform team's production code, which never imports the test harness; only its tests do.
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


#: The receivers of the bank's callbacks: signed by the bank when it signs, checked before anything reads them.
_FROM_THE_BANK = frozenset({"/callbacks/bank/repay-result", "/callbacks/bank/notices"})
_REFUSED = object()


def _unverified(platform: AcmePlatform, path: str, scope: Message, raw: bytes) -> bool:
    assert platform.signing is not None
    headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
    why = platform.signing.verify(path, headers, raw)
    if why is not None:
        _log.warning("refused a bank callback to %s: %s", path, why)
    return why is not None


def create_app(platform: AcmePlatform) -> ASGIApp:
    """``POST /callbacks/bank/repay-result``, ``/callbacks/bank/notices`` and ``/callbacks/sms/reports``."""

    def route(path: str, body: Any) -> tuple[int, Any]:
        if path in _FROM_THE_BANK and body is _REFUSED:
            return 401, {"title": "Unauthorized", "detail": "the callback's signature does not verify"}
        if path == "/callbacks/bank/repay-result":
            platform.repayments.on_result(body)
            return 200, {"respCode": "0000", "respMsg": "success"}
        if path == "/callbacks/bank/notices":
            platform.notices.append(body)
            return 200, {"respCode": "0000", "respMsg": "success"}
        if path == "/callbacks/sms/reports":
            platform.sms_receipts(body)
            return 200, {"code": 0, "msg": "成功"}
        return 404, {"title": "Not Found", "detail": f"no receiver at {path}"}

    async def app(
        scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        path = scope["path"]
        if scope["method"] != "POST":
            status, answer = 405, {"title": "Method Not Allowed"}
        elif path in _FROM_THE_BANK and platform.signing is not None and _unverified(platform, path, scope, raw):
            status, answer = route(path, _REFUSED)
        else:
            status, answer = route(path, json.loads(raw or b"null"))
        payload = json.dumps(answer, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app
