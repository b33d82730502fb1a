"""What ``lendsim check`` tests: a contract file and the base URL its operations are served at.

The contract is loaded with lendsim's own loader first, so a broken file is reported with file, line and
JSON pointer (exit 2) before schemathesis sees it. The base URL is ``--url`` plus the contract's server path
(``servers[0].url``, e.g. ``/bank``) unless ``--base-path`` says otherwise; a URL that already ends with that
path is taken as it is. One request before the run tells an unreachable service from a non-conformant one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.errors import ConfigError, UnreachableError
from simulator.openapi import Contract, load_contract

__all__ = ["Target", "probe", "resolve_target", "server_path"]

#: Seconds the reachability probe waits for any answer.
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Target:
    """A contract and the URL its paths are relative to (``http://127.0.0.1:8080/bank``)."""

    contract: Contract
    file: Path
    base_url: str


def resolve_target(contract_file: str | Path, url: str, base_path: str | None = None) -> Target:
    """Load ``contract_file`` (ContractError if it is broken) and work out the base URL (ConfigError if bad)."""
    file = Path(contract_file)
    contract = load_contract(file)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--url {url!r} is not an http(s) URL with a host; write e.g. http://127.0.0.1:8080", field="url"
        )
    path = server_path(contract.document) if base_path is None else base_path
    path = "/" + path.strip("/") if path.strip("/") else ""
    root = url.rstrip("/")
    if path and parts.path.rstrip("/").endswith(path):
        path = ""  # the URL already names the contract's path
    return Target(contract, file, root + path)


def server_path(document: Mapping[str, Any]) -> str:
    """The path of the contract's first server (``/bank`` or the path of ``https://host/api/v2``; ``""`` for
    ``/`` or none), without a trailing slash."""
    servers = document.get("servers") or []
    first = servers[0] if isinstance(servers, list) and servers else {}
    url = first.get("url", "") if isinstance(first, Mapping) else ""
    path = urlsplit(url).path.strip("/") if isinstance(url, str) else ""
    return f"/{path}" if path else ""


def probe(target: Target, headers: Mapping[str, str]) -> None:
    """Raise UnreachableError unless something answers at the base URL (any status will do)."""
    try:
        httpx.get(target.base_url, headers=dict(headers), timeout=PROBE_TIMEOUT)
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise UnreachableError(
            f"nothing answers at {target.base_url} ({reason}); start the service there "
            "(e.g. `lendsim serve --port 8080`) or fix --url / --base-path"
        ) from None
