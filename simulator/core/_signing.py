"""Signed partner traffic: the canonical form, signing, and the bank's check of what the platform sends.

Opt-in (a scenario's ``signing:`` section, ``lendsim serve --signing``); off, nothing here runs. On, every request
to the bank carries five headers and the bank refuses, with a 401 naming the rule, one that does not verify; every
callback and notice the bank delivers is signed the same way, with the bank's key.

    X-App-Id:     who signs (the platform's app id; ``bank`` on deliveries)
    X-Key-Id:     which of its keys
    X-Timestamp:  when, in milliseconds since the Unix epoch, by the signer's clock (virtual time here)
    X-Nonce:      8–64 characters [A-Za-z0-9_-], never used twice within the window
    X-Signature:  base64 of HMAC(key, canonical form), the key's algorithm (HMAC-SHA256, or HMAC-SM3)

The canonical form is nine lines joined by ``\\n`` (no trailing newline)::

    algorithm      HMAC-SHA256
    method         POST
    path           /repayments          (relative to the partner's base URL, percent-encoded as sent)
    query          the query string as sent, without '?' (empty line if none)
    app id
    key id
    timestamp
    nonce
    body digest    lower-case hex SHA-256 (SM3 for HMAC-SM3) of the body's bytes as sent (of b"" if none)

``docs/signing.md`` works an example through. The rules, in the order the bank applies them: ``signature_missing``
(a header is absent), ``unknown_key`` (no such app id and key id), ``skew`` (the timestamp further from the bank's
virtual now than the window), ``signature_mismatch`` (HMACs compared in constant time), ``nonce_reused`` (a nonce
of a verified request within the window). A nonce is remembered only once its request verified (a forgery cannot
use up a platform's nonces) and forgotten once its timestamp is out of the window (a request that old fails
``skew`` anyway): the memory is bounded by the requests of one window.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from simulator._suggest import did_you_mean
from simulator.clock import format_duration, parse_duration
from simulator.errors import ConfigError, LendsimError

__all__ = [
    "ALGORITHMS",
    "BANK_APP_ID",
    "HEADERS",
    "SIGNATURE_RULES",
    "SIGNED_PARTNERS",
    "SIGNING_POINT",
    "Signer",
    "SigningConfig",
    "SigningKey",
    "Verifier",
    "canonical_form",
    "sign",
    "signature_headers",
]

Algorithm = Literal["HMAC-SHA256", "HMAC-SM3"]
#: The algorithms and their hashes. HMAC-SM3 is there when the Python's OpenSSL offers SM3 (OpenSSL 3 does).
ALGORITHMS: Final[Mapping[str, str]] = {"HMAC-SHA256": "sha256", "HMAC-SM3": "sm3"}
#: The headers, lower case, in the order of the module docstring.
HEADERS: Final = ("x-app-id", "x-key-id", "x-timestamp", "x-nonce", "x-signature")
#: The rules a 401 names.
SIGNATURE_RULES: Final = ("signature_missing", "unknown_key", "skew", "signature_mismatch", "nonce_reused")
#: Who signs the bank's deliveries.
BANK_APP_ID: Final = "bank"
#: The partners whose traffic is signed when signing is on.
SIGNED_PARTNERS: Final = ("bank",)
#: The injection point of the bank's signing (a ``key_rotation`` fault).
SIGNING_POINT: Final = "bank.signing"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: What a header value a key names (X-App-Id, X-Key-Id) may hold: printable ASCII without spaces.
_HEADER_SAFE: Final = re.compile(r"[!-~]+")
_KEYS: Final = ("app_id", "algorithm", "window", "platform_secret", "bank_secret", "bank_next_secret")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A shared secret: whose (``app_id``), which (``key_id``), how it signs."""

    app_id: str
    key_id: str
    secret: str
    algorithm: Algorithm = "HMAC-SHA256"

    def to_json(self) -> dict[str, str]:
        return {"appId": self.app_id, "keyId": self.key_id, "secret": self.secret, "algorithm": self.algorithm}


@dataclass(frozen=True, slots=True)
class SigningConfig:
    """Who signs with what: the platform's key (the bank verifies with it), the bank's key for its deliveries and
    the key it rotates to (a ``key_rotation`` fault), and the window a timestamp may be off by.

    The secrets default to fixed, published test values (``docs/signing.md``): they sign a simulation, nothing real.
    """

    app_id: str = "platform"
    algorithm: Algorithm = "HMAC-SHA256"
    window: timedelta = timedelta(minutes=5)
    platform_secret: str = "lendsim-platform-test-secret-1"
    bank_secret: str = "lendsim-bank-test-secret-1"
    bank_next_secret: str = "lendsim-bank-test-secret-2"
    platform_key: SigningKey = field(init=False)
    bank_key: SigningKey = field(init=False)
    bank_next_key: SigningKey = field(init=False)

    def __post_init__(self) -> None:
        if ALGORITHMS[self.algorithm] not in hashlib.algorithms_available:
            raise ConfigError(
                f"signing.algorithm: {self.algorithm} needs {ALGORITHMS[self.algorithm].upper()}, which this Python's "
                "OpenSSL does not offer; use HMAC-SHA256",
                field="signing.algorithm",
            )
        object.__setattr__(self, "platform_key", SigningKey(self.app_id, "p1", self.platform_secret, self.algorithm))
        object.__setattr__(self, "bank_key", SigningKey(BANK_APP_ID, "b1", self.bank_secret, self.algorithm))
        object.__setattr__(self, "bank_next_key", SigningKey(BANK_APP_ID, "b2", self.bank_next_secret, self.algorithm))

    @classmethod
    def from_mapping(cls, spec: Any) -> SigningConfig:
        """A scenario's ``signing:`` section (``{}`` or ``true``: the defaults); ConfigError naming the field."""
        if spec is None or spec is True:
            return cls()
        if not isinstance(spec, Mapping):
            raise ConfigError(f"signing: expected a mapping (or true), got {spec!r}", field="signing")
        for key in spec:
            if key not in _KEYS:
                hint = did_you_mean(str(key), _KEYS) or f"it takes {', '.join(_KEYS)}"
                raise ConfigError(f"signing.{key}: unknown key; {hint}", field=f"signing.{key}")
        values: dict[str, Any] = {}
        for key in ("app_id", "platform_secret", "bank_secret", "bank_next_secret"):
            if key in spec:
                value = spec[key]
                if not isinstance(value, str) or not 1 <= len(value) <= 128:
                    raise ConfigError(
                        f"signing.{key}: expected text of 1–128 characters, got {value!r}", field=f"signing.{key}"
                    )
                if key == "app_id" and not _HEADER_SAFE.fullmatch(value):
                    raise ConfigError(
                        f"signing.app_id: {value!r} is sent as the X-App-Id header, so it takes printable ASCII "
                        "without spaces only; e.g. 'acme-loans'",
                        field="signing.app_id",
                    )
                values[key] = value
        if "algorithm" in spec:
            if spec["algorithm"] not in ALGORITHMS:
                raise ConfigError(
                    f"signing.algorithm: {spec['algorithm']!r} is not one of {', '.join(ALGORITHMS)}",
                    field="signing.algorithm",
                )
            values["algorithm"] = spec["algorithm"]
        if "window" in spec:
            try:
                window = parse_duration(str(spec["window"]))
            except LendsimError as exc:
                raise ConfigError(f"signing.window: {exc}", field="signing.window") from None
            if not timedelta(0) < window <= timedelta(hours=1):
                raise ConfigError(
                    f"signing.window: must be above zero and at most an hour, got {spec['window']!r} (partner APIs "
                    "allow minutes: '5 minutes')",
                    field="signing.window",
                )
            values["window"] = window
        return cls(**values)

    def keys(self) -> dict[tuple[str, str], SigningKey]:
        """The keys the bank verifies requests with, by (app id, key id)."""
        return {(self.platform_key.app_id, self.platform_key.key_id): self.platform_key}

    def to_json(self) -> dict[str, Any]:
        """What a platform needs (setupRun's ``signing``): its own key, and the bank's keys to verify deliveries."""
        return {
            "window": format_duration(self.window),
            "key": self.platform_key.to_json(),
            "bankKeys": [self.bank_key.to_json(), self.bank_next_key.to_json()],
        }


def _digest(algorithm: str, data: bytes) -> str:
    return hashlib.new(ALGORITHMS[algorithm], data).hexdigest()


def canonical_form(
    *,
    algorithm: str,
    method: str,
    path: str,
    query: str,
    app_id: str,
    key_id: str,
    timestamp: str,
    nonce: str,
    body: bytes,
) -> bytes:
    """The bytes a signature is over (see the module docstring)."""
    lines = (algorithm, method.upper(), path, query, app_id, key_id, timestamp, nonce, _digest(algorithm, body))
    return "\n".join(lines).encode()


def sign(key: SigningKey, canonical: bytes) -> str:
    """base64 of the HMAC of ``canonical`` with ``key``."""
    mac = hmac.new(key.secret.encode(), canonical, ALGORITHMS[key.algorithm]).digest()
    return base64.b64encode(mac).decode()


def millis(instant: datetime) -> str:
    """An instant as X-Timestamp writes it."""
    return str(int((instant - _EPOCH).total_seconds() * 1000))


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def signature_headers(
    key: SigningKey, *, method: str, path: str, query: str = "", body: bytes, at: datetime, nonce: str
) -> dict[str, str]:
    """The five headers signing a message with ``key`` at ``at``."""
    timestamp = millis(at)
    canonical = canonical_form(
        algorithm=key.algorithm,
        method=method,
        path=path,
        query=query,
        app_id=key.app_id,
        key_id=key.key_id,
        timestamp=timestamp,
        nonce=nonce,
        body=body,
    )
    return {
        "x-app-id": key.app_id,
        "x-key-id": key.key_id,
        "x-timestamp": timestamp,
        "x-nonce": nonce,
        "x-signature": sign(key, canonical),
    }


class Signer:
    """Signs the bank's deliveries: nonces from a counter (the world's id prefix + ``d`` + the run's seed + a
    sequence), never repeated."""

    __slots__ = ("_count", "_prefix", "config")

    def __init__(self, config: SigningConfig, seed: int = 0, prefix: str = "") -> None:
        self.config = config
        self._prefix = f"{prefix}d{seed & 0xFFFFFFFF:08x}"
        self._count = 0

    def nonce(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count:012d}"

    def headers(self, *, path: str, body: bytes, at: datetime, rotated: bool = False) -> dict[str, str]:
        key = self.config.bank_next_key if rotated else self.config.bank_key
        return signature_headers(key, method="POST", path=path, body=body, at=at, nonce=self.nonce())


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request does not verify: the rule and what was wrong, in words."""

    rule: str
    field: str
    message: str


class Verifier:
    """The bank's check of signed requests, with the nonces of the last window (bounded: see the module)."""

    __slots__ = ("_expiry", "_seen", "config")

    def __init__(self, config: SigningConfig) -> None:
        self.config = config
        self._seen: dict[tuple[str, str], datetime] = {}  # (app id, nonce) -> when it may be used again
        self._expiry: list[tuple[datetime, tuple[str, str]]] = []

    def __len__(self) -> int:
        return len(self._seen)

    def verify(
        self, *, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> Refusal | None:
        """None if the request verifies (its nonce is then remembered), else the first rule it breaks."""
        missing = [name for name in HEADERS if not headers.get(name)]
        if missing:
            return Refusal(
                "signature_missing",
                f"header.{missing[0]}",
                f"the request is not signed: {', '.join(missing)} missing; sign it as docs/signing.md says",
            )
        app_id, key_id, timestamp, nonce = (headers[name] for name in HEADERS[:4])
        key = self.config.keys().get((app_id, key_id))
        if key is None:
            return Refusal("unknown_key", "header.x-key-id", f"no key {key_id!r} of app {app_id!r} is known here")
        if not timestamp.isdigit() or len(timestamp) > 15:
            return Refusal("skew", "header.x-timestamp", f"{timestamp!r} is not milliseconds since the epoch")
        when = _EPOCH + timedelta(milliseconds=int(timestamp))
        off = when - now
        if abs(off) > self.config.window:
            side = "ahead of" if off > timedelta(0) else "behind"
            return Refusal(
                "skew",
                "header.x-timestamp",
                f"the timestamp is {format_duration(abs(off))} {side} the bank's clock ({now.isoformat()}); "
                f"the window is {format_duration(self.config.window)}",
            )
        if not _NONCE.match(nonce):
            return Refusal("signature_mismatch", "header.x-nonce", "a nonce is 8–64 characters of [A-Za-z0-9_-]")
        canonical = canonical_form(
            algorithm=key.algorithm,
            method=method,
            path=path,
            query=query,
            app_id=app_id,
            key_id=key_id,
            timestamp=timestamp,
            nonce=nonce,
            body=body,
        )
        if not hmac.compare_digest(sign(key, canonical).encode(), headers["x-signature"].encode()):
            return Refusal(
                "signature_mismatch",
                "header.x-signature",
                f"the signature does not verify with key {key_id!r} over the canonical form ({key.algorithm}); "
                "compare your canonical form with docs/signing.md's",
            )
        self._forget(now)
        if (app_id, nonce) in self._seen:
            return Refusal("nonce_reused", "header.x-nonce", f"nonce {nonce!r} was used within the last window")
        expires = max(when, now) + self.config.window
        self._seen[(app_id, nonce)] = expires
        heapq.heappush(self._expiry, (expires, (app_id, nonce)))
        return None

    def remember(self, headers: Mapping[str, str], now: datetime) -> None:
        """Take the nonce of a request verified before (a world rebuilt from its journal) without checking again."""
        app_id, nonce, timestamp = headers.get("x-app-id"), headers.get("x-nonce"), headers.get("x-timestamp", "")
        if not app_id or not nonce or not timestamp.isdigit() or len(timestamp) > 15:
            return
        self._forget(now)
        when = _EPOCH + timedelta(milliseconds=int(timestamp))
        expires = max(when, now) + self.config.window
        self._seen[(app_id, nonce)] = expires
        heapq.heappush(self._expiry, (expires, (app_id, nonce)))

    def _forget(self, now: datetime) -> None:
        while self._expiry and self._expiry[0][0] < now:
            _, seen = heapq.heappop(self._expiry)
            self._seen.pop(seen, None)
