"""The journal: the single record of what happened in a run.

Oracles, reports and the control API read it, never private state; it is partitionable by borrower and
is the merge point of sharded runs (:meth:`Journal.merge`).
"""

from __future__ import annotations

from simulator.journal._codec import encode_data, escape_surrogates
from simulator.journal._entry import KINDS, Entry, Page
from simulator.journal._journal import BATCH, MAX_LIMIT, EntryFields, Filters, Fold, Journal, set_aside

__all__ = [
    "BATCH",
    "KINDS",
    "MAX_LIMIT",
    "Entry",
    "EntryFields",
    "Filters",
    "Fold",
    "Journal",
    "Page",
    "encode_data",
    "escape_surrogates",
    "set_aside",
]
