"""What the journal records: :class:`Entry`, one thing that happened, and :class:`Page`, a slice of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["KINDS", "Entry", "Page"]

#: Every kind of entry, in the order a request's story usually unfolds:
#: ``request``/``response`` (an HTTP exchange, inbound or outbound), ``delivery`` (an attempt to deliver
#: a callback, SMS or file), ``event`` (a batch run, a clock or model event), ``fault`` (a fault that
#: fired) and ``drift`` (a contract or ledger divergence the simulator noticed).
KINDS: tuple[str, ...] = ("request", "response", "delivery", "event", "fault", "drift")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that happened, as the journal recorded it.

    Read back from the journal, ``virtual_time`` carries a fixed-offset ``timezone`` with the offset it
    was appended with (``+08:00`` stays ``+08:00``; a ``ZoneInfo`` comes back as its offset at that
    instant) and ``data`` is the JSON round trip of what was appended (tuples become lists).
    """

    seq: int
    """1, 2, 3 … in append order (renumbered by :meth:`Journal.merge`)."""
    kind: str
    """One of :data:`KINDS`."""
    virtual_time: datetime
    """When it happened on the virtual clock; timezone-aware."""
    wall_time: float | None = None
    """Epoch seconds from the journal's injected wall clock; ``None`` when it has none."""
    partner: str | None = None
    """``"bank"``, ``"bureau"``, ``"sms"``, ``"platform"`` or ``"_sim"`` for the simulator itself."""
    operation: str | None = None
    """The contract's operationId or the event's name, e.g. ``"repayApply"``, ``"overdueBatch"``."""
    borrower: str | None = None
    loan: str | None = None
    serial: str | None = None
    """The business serial (``repayOuterNo``)."""
    sms_out_id: str | None = None
    status: int | None = None
    """The HTTP status where one applies."""
    correlation: str | None = None
    """Pairs a request with its response, a delivery with its attempts."""
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The JSON-serialisable payload: bodies, headers, details."""

    def to_json(self) -> dict[str, Any]:
        """The entry as the control API serves it: camelCase keys, ISO-8601 times."""
        wall = self.wall_time
        return {
            "seq": self.seq,
            "kind": self.kind,
            "virtualTime": self.virtual_time.isoformat(),
            "wallTime": None if wall is None else datetime.fromtimestamp(wall, UTC).isoformat(),
            "partner": self.partner,
            "operation": self.operation,
            "borrower": self.borrower,
            "loan": self.loan,
            "serial": self.serial,
            "smsOutId": self.sms_out_id,
            "status": self.status,
            "correlation": self.correlation,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a :meth:`Journal.query`, in ``seq`` order."""

    items: list[Entry]
    next: int | None
    """Pass it as ``after=`` to get the next page; ``None`` when there is nothing after this page."""
