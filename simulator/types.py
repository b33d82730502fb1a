"""Type aliases shared across the package: the ASGI interface and the closed sets of values.

Aliases only, no behaviour; it imports nothing of ours, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, TypeAlias

__all__ = ["ASGIApplication", "Message", "Receive", "Scope", "Send", "Sex"]

# -- ASGI (https://asgi.readthedocs.io/en/latest/specs/main.html) --------------------------------------------

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApplication: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
"""Any ASGI 3 application (not to be confused with :class:`simulator.http.ASGIApp`, the simulator's own)."""

# -- closed sets ----------------------------------------------------------------------------------------------

Sex: TypeAlias = Literal["M", "F"]
"""A person's sex as a resident ID encodes it: an odd sequence number for ``"M"``, an even one for ``"F"``."""
