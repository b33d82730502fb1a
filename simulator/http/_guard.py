"""What keeps the control API (``/_sim``) of a server on loopback out of reach of the web pages its user opens.

A server on 127.0.0.1 needs no token, so anything that can make the user's browser send a request to it could
drive it. Two ways a page can, and what closes each:

- **A cross-site request** (``fetch(url, {method: "POST", mode: "no-cors", body})``, a form): a page may send a
  POST anywhere without asking, as long as its content type is ``text/plain``, a form or multipart. So every POST
  to ``/_sim`` must say ``Content-Type: application/json`` (even with no body): a page cannot send that without a
  CORS preflight, which lendsim never grants (an ``OPTIONS`` is a 405 without ``Access-Control-Allow-*``). The same
  preflight keeps a page from sending a ``DELETE``.
- **DNS rebinding**: a page of ``evil.example`` whose name then resolves to 127.0.0.1 is same-origin with the
  server for the browser, and can read ``/_sim/journal``. Its requests still say ``Host: evil.example``, so a
  control call must name a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``) or the host the server was
  given (``--host``). A server listening on every interface (``0.0.0.0``, ``::``) is reached under names it cannot
  know; there the control token, required beyond loopback, is the guard.

The answers are ``application/problem+json`` naming the header and the rule (``contentType``, ``host``), journaled
like every refusal (:meth:`Engine.refuse`). The token itself is the engine's to check (``core/_engine.py``); how
long it must be is :data:`MIN_TOKEN`.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from simulator.core import CONTROL, Reply, Request, problem
from simulator.openapi import Violation

__all__ = ["MIN_TOKEN", "ControlGuard"]

#: The shortest control token ``lendsim serve`` accepts: 16 characters (of a generated one, 32).
MIN_TOKEN: Final = 16

_PREFIX = f"/{CONTROL}"
_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE"))  # a page sends none of them cross-site unasked
_WILDCARDS = frozenset(("0.0.0.0", "::", ""))


class ControlGuard:
    """``guard(request)``: the problem to answer a control call that could come from a web page, or None."""

    __slots__ = ("_host", "_wildcard")

    def __init__(self, host: str) -> None:
        self._host = host.strip("[]").lower()
        self._wildcard = self._host in _WILDCARDS

    def __call__(self, request: Request) -> Reply | None:
        path = request.path
        if not (path == _PREFIX or path.startswith(_PREFIX + "/")):
            return None
        named = request.headers.get("host")
        if named is not None and not self._wildcard and not self._allowed(named):
            return problem(
                403,
                "Forbidden",
                f"header.host: {named!r} is not this server's name [host]; the control API answers requests "
                "addressed to localhost, 127.0.0.1, [::1] or the --host it was started with (a page of another "
                "site reaching it through DNS rebinding names its own)",
                errors=[Violation("header.host", "host", f"{named!r} is not a loopback name nor the --host given")],
            )
        if request.method not in _SAFE_METHODS and not _json(request.headers.get("content-type", "")):
            given = request.headers.get("content-type")
            return problem(
                415,
                "Unsupported Media Type",
                f"header.content-type: a {request.method} to the control API must say 'Content-Type: "
                f"application/json' (even with no body), not {given!r} [contentType]; a web page can send the "
                "others to any address without asking",
                errors=[
                    Violation(
                        "header.content-type",
                        "contentType",
                        f"{given!r} is not application/json; send 'Content-Type: application/json'",
                    )
                ],
            )
        return None

    def _allowed(self, named: str) -> bool:
        name = _hostname(named)
        if name == "localhost" or name == self._host:
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False


def _hostname(named: str) -> str:
    """The host of a ``Host`` header, without its port: ``127.0.0.1:8080`` → ``127.0.0.1``, ``[::1]:80`` → ``::1``."""
    named = named.strip().lower()
    if named.startswith("["):
        return named[1:].partition("]")[0]
    if named.count(":") == 1:
        named = named.partition(":")[0]
    return named.rstrip(".")


def _json(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/json"
