"""What a server answers when it fails in a way nobody planned for: a 500 with an incident id, never a traceback.

Whatever escapes the engine while it answers a request (a bug, a journal that refuses an entry) is caught by the
ASGI adapter and becomes an ``application/problem+json`` 500 naming an incident id. The same id is in the journal (an
``event`` of ``_sim`` named ``internalError``, holding the error and its traceback) and in the server's log, so the
person who saw the 500 and the person who reads the log find the same failure. If even the journal cannot take it,
the log still has it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import traceback

from simulator.core import CONTROL, PROBLEM_JSON, VIRTUAL_TIME_HEADER, Engine, Request, Response, dumps, problem

__all__ = ["incident"]

_log = logging.getLogger("lendsim.http")


def incident(engine: Engine, request: Request | None, error: BaseException) -> Response:
    """The 500 answered for ``error``, journaled (when the journal can take it) and logged under a new incident id."""
    incident_id = secrets.token_hex(6)
    where = f"{request.method} {request.path}" if request is not None else "a request"
    trace = "".join(traceback.format_exception(error))
    _log.error("incident %s: %s failed\n%s", incident_id, where, trace)
    try:
        engine.record(
            "event",
            partner=CONTROL,
            operation="internalError",
            data={"incident": incident_id, "request": where, "error": repr(error), "traceback": trace},
        )
    except Exception:  # the journal is what failed: the log above has it
        _log.error("incident %s could not be journaled", incident_id, exc_info=True)
    reply = problem(
        500,
        "Internal Server Error",
        f"lendsim failed on {where} (incident {incident_id}); nothing is promised of this request: ask for its "
        f"outcome before sending it again. The journal (kind=event, operation=internalError) and the server's log "
        f"hold the details under incident {incident_id}; please report it.",
        incident=incident_id,
    )
    headers = {"content-type": PROBLEM_JSON}
    with contextlib.suppress(Exception):  # if the clock is what failed, the answer goes without its time
        headers[VIRTUAL_TIME_HEADER] = engine.clock.now().isoformat()
    return Response(500, headers, dumps(reply.body))
