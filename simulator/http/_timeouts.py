"""How long the platform's HTTP client waits for each partner before it gives up: where the two clocks meet.

Over HTTP the simulator cannot see the client's timeout, so the platform declares it (``clientTimeouts`` in
``setupRun``'s answer, contracts/platform.yaml) or the user does (``--client-timeout``). A ``latency`` fault shorter
than it is answered at once, stamped that much later in virtual time; one at or beyond it is served as the timeout
it is: the connection held, no answer, until the client gives up — :data:`HOLD_MARGIN` longer at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from simulator.clock import format_duration

__all__ = ["HOLD_MARGIN", "ClientTimeouts"]

#: How much longer than the client's declared timeout a held request is kept open, at most: its own timer fires
#: first, and it sees a timeout (not a closed connection) whenever it keeps to what it declared.
HOLD_MARGIN: Final = timedelta(seconds=0.5)


class ClientTimeouts:
    """The platform's client timeout per partner: what it declared, else ``default`` (None: waits however long)."""

    __slots__ = ("_declared", "default")

    def __init__(self, default: timedelta | None = None, declared: Mapping[str, timedelta] | None = None) -> None:
        self.default = default
        self._declared: dict[str, timedelta] = dict(declared or {})

    def declare(self, declared: Mapping[str, timedelta]) -> None:
        """What the platform says its client waits for each partner (replaces what it said before)."""
        self._declared = dict(declared)

    def of(self, partner: str) -> timedelta | None:
        """How long the client waits for ``partner``'s answer; None when it waits however long it takes."""
        return self._declared.get(partner, self.default)

    def to_json(self) -> dict[str, object]:
        """What the journal keeps: the declared timeouts and the default, as ISO 8601 durations."""
        return {
            "declared": {partner: format_duration(value) for partner, value in sorted(self._declared.items())},
            "default": format_duration(self.default) if self.default is not None else None,
        }

    def __repr__(self) -> str:
        return f"<ClientTimeouts {self.to_json()}>"
