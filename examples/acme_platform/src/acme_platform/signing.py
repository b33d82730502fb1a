"""Signing what Acme sends its funding bank and checking what the bank sends back (the bank's partner API spec:
app id, key id, timestamp, nonce, HMAC over a canonical form of the request — lendsim's docs/signing.md).

Acme's own code, not lendsim's: production never imports the test harness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from acme_platform import _clock

__all__ = ["BankSigning", "HmacAuth"]

_HASHES = {"HMAC-SHA256": "sha256", "HMAC-SM3": "sm3"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Key:
    app_id: str
    key_id: str
    secret: bytes
    algorithm: str

    def signature(self, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
        digest = hashlib.new(_HASHES[self.algorithm], body).hexdigest()
        lines = [self.algorithm, method.upper(), path, query, self.app_id, self.key_id, timestamp, nonce, digest]
        mac = hmac.new(self.secret, "\n".join(lines).encode(), _HASHES[self.algorithm]).digest()
        return base64.b64encode(mac).decode()


def _key(item: Mapping[str, Any]) -> _Key:
    return _Key(str(item["appId"]), str(item["keyId"]), str(item["secret"]).encode(), str(item["algorithm"]))


def _window(text: str) -> timedelta:
    """An ISO 8601 duration of hours, minutes and seconds (``PT5M``, ``PT1M30S``, ``PT1H``); five minutes otherwise."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", text)
    if found is None or not any(found.groups()):
        return timedelta(minutes=5)
    hours, minutes, seconds = (float(part or 0) for part in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(slots=True)
class BankSigning:
    """Acme's key at the bank, the bank's keys (the current one and the next), and the window both sides allow."""

    key: _Key
    bank_keys: dict[tuple[str, str], _Key]
    window: timedelta = timedelta(minutes=5)
    _seen: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def from_setup(cls, spec: Mapping[str, Any]) -> BankSigning:
        """From the keys as the bank's onboarding gives them (lendsim's setupRun ``signing``)."""
        banks = [_key(item) for item in spec["bankKeys"]]
        return cls(_key(spec["key"]), {(k.app_id, k.key_id): k for k in banks}, _window(str(spec.get("window", ""))))

    def verify(self, path: str, headers: Mapping[str, str], body: bytes) -> str | None:
        """None when a callback from the bank verifies; else why not."""
        app_id, key_id, stamp, nonce, signature = (
            headers.get(name, "") for name in ("x-app-id", "x-key-id", "x-timestamp", "x-nonce", "x-signature")
        )
        key = self.bank_keys.get((app_id, key_id))
        if key is None:
            return f"unknown key {app_id}/{key_id}" if app_id else "not signed"
        if not stamp.isdigit():
            return "no timestamp"
        signed_at = _EPOCH + timedelta(milliseconds=int(stamp))
        now = _clock.now()
        if abs(signed_at - now) > self.window:
            return f"signed at {signed_at.isoformat()}, beyond the window of our clock {now.isoformat()}"
        if not hmac.compare_digest(key.signature("POST", path, "", stamp, nonce, body), signature):
            return "signature mismatch"
        self._seen = {n: t for n, t in self._seen.items() if t >= now - self.window}
        if nonce in self._seen:
            return f"nonce {nonce} seen before"
        self._seen[nonce] = signed_at + self.window
        return None


class HmacAuth(httpx.Auth):
    """Signs each request to the bank (httpx calls it for every request of the client, retries included)."""

    requires_request_body = True

    def __init__(self, signing: BankSigning, base_path: str = "") -> None:
        self.signing = signing
        self.base_path = base_path.rstrip("/")
        self._prefix = secrets.token_hex(4)
        self._count = itertools.count(1)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = unquote(request.url.path).removeprefix(self.base_path) or "/"
        stamp = str(int((_clock.now() - _EPOCH).total_seconds() * 1000))
        nonce = f"acme{self._prefix}{next(self._count):010d}"
        key = self.signing.key
        query = request.url.query.decode("latin-1")
        request.headers.update(
            {
                "x-app-id": key.app_id,
                "x-key-id": key.key_id,
                "x-timestamp": stamp,
                "x-nonce": nonce,
                "x-signature": key.signature(request.method, path, query, stamp, nonce, request.content),
            }
        )
        yield request
