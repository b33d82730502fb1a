"""A violation's chain of events: as lines people read, or as records reports lay out (each entry fetched by its
seq, not by a scan)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from simulator.journal import Entry, Journal

__all__ = ["chain_entries", "describe_chain", "describe_entry"]


def _entries(journal: Journal, seqs: Iterable[int]) -> Iterator[Entry]:
    for seq in seqs:
        yield from journal.query(after=seq - 1, limit=1).items


def describe_entry(entry: Entry) -> str:
    """``#seq virtual-time kind partner operation [status]``: one entry on one line."""
    status = f" {entry.status}" if entry.status is not None else ""
    return (
        f"#{entry.seq} {entry.virtual_time.isoformat()} {entry.kind} {entry.partner or ''} "
        f"{entry.operation or ''}{status}"
    )


def describe_chain(journal: Journal, seqs: Iterable[int]) -> list[str]:
    """:func:`describe_entry` for each journal entry of a chain."""
    return [describe_entry(entry) for entry in _entries(journal, seqs)]


def chain_entries(journal: Journal, seqs: Iterable[int]) -> list[dict[str, Any]]:
    """Each journal entry of a chain as a record: ``entry`` (its seq), ``time`` (virtual, ISO 8601), ``kind``,
    ``party``, ``operation``, ``status``, ``ids`` (borrower, loan, serial, smsOutId: those it has) and ``summary``
    (:func:`describe_entry`). Not masked: whoever shows it masks it."""
    records = []
    for entry in _entries(journal, seqs):
        ids = {
            key: value
            for key, value in (
                ("borrower", entry.borrower),
                ("loan", entry.loan),
                ("serial", entry.serial),
                ("smsOutId", entry.sms_out_id),
            )
            if value is not None
        }
        records.append(
            {
                "entry": entry.seq,
                "time": entry.virtual_time.isoformat(),
                "kind": entry.kind,
                "party": entry.partner,
                "operation": entry.operation,
                "status": entry.status,
                "ids": ids,
                "summary": describe_entry(entry),
            }
        )
    return records
