"""A request's body read within a deadline: a client that declares a body and never finishes sending it is answered
408 and its connection closed, instead of holding the connection (and a file descriptor) for ever.

uvicorn reads the body only as the app asks for it and has no deadline of its own for it, so the app keeps one:
:data:`BODY_DEADLINE` wall seconds from the moment the request's head arrived to the body's last byte. The
request is refused through the engine (:meth:`Engine.refuse`), so it is journaled like any other refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final

from simulator.core import Engine, Request, Response, problem
from simulator.types import Scope

__all__ = ["BODY_DEADLINE", "read_within"]

#: Wall seconds a client has to send a request's whole body (1 MiB, the most a body may be, takes well under a
#: second on any link a platform talks to its partners over).
BODY_DEADLINE: Final = 10.0


async def read_within(
    reading: Awaitable[Request | None], scope: Scope, deadline: float, engine: Engine
) -> Request | Response | None:
    """The request ``reading`` reads (``read_request``), or the 408 answered when its body did not arrive within
    ``deadline`` seconds; None if the client went away first."""
    try:
        async with asyncio.timeout(deadline):
            return await reading
    except TimeoutError:
        head = Request(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        )
        response = engine.refuse(
            head,
            problem(
                408,
                "Request Timeout",
                f"the body did not arrive within {deadline:g} s of the request (declared "
                f"{head.headers.get('content-length', 'no')} bytes); send the whole body at once",
            ),
        )
        response.headers["connection"] = "close"  # what was sent of the body is not read: the connection ends
        return response
