"""A violation's chain of events, as lines people read (each entry fetched by its seq, not by a scan)."""

from __future__ import annotations

from collections.abc import Iterable

from simulator.journal import Journal

__all__ = ["describe_chain"]


def describe_chain(journal: Journal, seqs: Iterable[int]) -> list[str]:
    """``#seq virtual-time kind partner operation [status]`` for each journal entry of a chain."""
    lines = []
    for seq in seqs:
        for entry in journal.query(after=seq - 1, limit=1).items:
            status = f" {entry.status}" if entry.status is not None else ""
            lines.append(
                f"#{entry.seq} {entry.virtual_time.isoformat()} {entry.kind} {entry.partner or ''} "
                f"{entry.operation or ''}{status}"
            )
    return lines
