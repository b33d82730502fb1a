"""The platform's side of signed partner traffic, written from ``docs/signing.md`` alone (not from lendsim's code:
two implementations of one canonical form are what catches a canonicalisation bug).

``setupRun`` says whether the run is signed (its ``signing``: the platform's key, the bank's keys, the window).
The platform then signs every request to the bank (:meth:`Signing.headers`) and checks every callback and notice
the bank delivers (:meth:`Signing.check`): the key, the timestamp within the window of the platform's clock, the
signature (compared in constant time), the nonce not seen within the window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = ["Signing"]

_HASHES: Final = {"HMAC-SHA256": "sha256", "HMAC-SM3": "sm3"}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NAMES: Final = ("x-app-id", "x-key-id", "x-timestamp", "x-nonce", "x-signature")


@dataclass(frozen=True, slots=True)
class _Key:
    app_id: str
    key_id: str
    secret: bytes
    algorithm: str

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> _Key:
        return cls(str(item["appId"]), str(item["keyId"]), str(item["secret"]).encode(), str(item["algorithm"]))

    def mac(self, canonical: bytes) -> str:
        return base64.b64encode(hmac.new(self.secret, canonical, _HASHES[self.algorithm]).digest()).decode()


def _canonical(key: _Key, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.new(_HASHES[key.algorithm], body).hexdigest()
    return "\n".join(
        (key.algorithm, method.upper(), path, query, key.app_id, key.key_id, timestamp, nonce, digest)
    ).encode()


def _window(text: str) -> timedelta:
    """An ISO 8601 duration of hours, minutes and seconds (``PT5M``, ``PT1M30S``, ``PT1H``); five minutes otherwise."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", text)
    if found is None or not any(found.groups()):
        return timedelta(minutes=5)
    hours, minutes, seconds = (float(part or 0) for part in found.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(slots=True)
class Signing:
    """The run's keys, and the nonces of the bank's deliveries seen within the window."""

    key: _Key
    bank_keys: dict[tuple[str, str], _Key]
    window: timedelta
    tag: str
    _count: int = 0
    _seen: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @classmethod
    def from_setup(cls, spec: Mapping[str, Any] | None, tag: str) -> Signing | None:
        """setupRun's ``signing``, or None when the run is not signed."""
        if not spec:
            return None
        banks = [_Key.of(item) for item in spec.get("bankKeys", [])]
        return cls(
            _Key.of(spec["key"]),
            {(key.app_id, key.key_id): key for key in banks},
            _window(str(spec.get("window", "PT5M"))),
            tag,
        )

    def headers(self, method: str, path: str, query: str, body: bytes, now: datetime) -> dict[str, str]:
        """The five headers signing a request to the bank at the platform's ``now``."""
        self._count += 1
        nonce = f"n{self.tag}{self._count:010d}"
        timestamp = str(int((now - _EPOCH).total_seconds() * 1000))
        key = self.key
        return {
            "x-app-id": key.app_id,
            "x-key-id": key.key_id,
            "x-timestamp": timestamp,
            "x-nonce": nonce,
            "x-signature": key.mac(_canonical(key, method, path, query, timestamp, nonce, body)),
        }

    def check(self, path: str, headers: Mapping[str, str], body: bytes, now: datetime | None) -> str | None:
        """None if a delivery from the bank to ``path`` verifies, else why not (rule: what)."""
        values = {name: headers.get(name) or "" for name in _NAMES}
        if not all(values.values()):
            return "signature_missing: the delivery carries no signature"
        key = self.bank_keys.get((values["x-app-id"], values["x-key-id"]))
        if key is None:
            return f"unknown_key: {values['x-app-id']}/{values['x-key-id']}"
        if not values["x-timestamp"].isdigit():
            return "skew: the timestamp is not milliseconds"
        when = _EPOCH + timedelta(milliseconds=int(values["x-timestamp"]))
        if now is not None and abs(when - now) > self.window:
            return f"skew: signed at {when.isoformat()}, our clock says {now.isoformat()}"
        canonical = _canonical(key, "POST", path, "", values["x-timestamp"], values["x-nonce"], body)
        if not hmac.compare_digest(key.mac(canonical).encode(), values["x-signature"].encode()):
            return "signature_mismatch: the signature does not verify"
        seen = (key.app_id, values["x-nonce"])
        latest = max(when, now) if now is not None else when
        self._seen = {nonce: until for nonce, until in self._seen.items() if until >= latest - self.window}
        if seen in self._seen:
            return f"nonce_reused: {values['x-nonce']}"
        self._seen[seen] = when + self.window
        return None
