"""``GET /_sim/ui``: the live view of a running server — the clock and its advance, the faults, the journal's tail.

One static page shipped in the package (``simulator/http/ui/index.html``, no build step): it holds no data, and
everything it shows or changes goes through the control API (``/_sim/clock``, ``/_sim/faults``, ``/_sim/journal``:
the masked view), under that API's rules — the page itself is behind the same guard (``http/_guard.py``: a loopback
``Host``), and each call it makes carries the control token when the server has one (given in the address as
``/_sim/ui#token=…``, or typed in when a call is refused; kept for the tab's session only). Headers keep the page
from being framed (the buttons move the clock) or from loading anything but itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from simulator.core import CONTROL, Request, Response

__all__ = ["UI_PATH", "ui_page"]

UI_PATH: Final = f"/{CONTROL}/ui"
_PAGE: Final = Path(__file__).parent / "ui" / "index.html"
_HEADERS: Final = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


@cache
def _page() -> bytes:
    return _PAGE.read_bytes()


def ui_page(request: Request) -> Response | None:
    """The live view's page for a ``GET``/``HEAD`` of ``/_sim/ui``; None for any other request."""
    if request.path.rstrip("/") != UI_PATH or request.method not in ("GET", "HEAD"):
        return None
    return Response(200, dict(_HEADERS), _page())  # a HEAD's body the server leaves out
