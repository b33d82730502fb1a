"""How :meth:`Journal.merge` writes the shards' entries into the merged journal: SQLite copies them, Python folds.

The merged order is virtual time, then the shard's position, then the seq in the shard. A run's entries fall on a
few hundred virtual instants a shard (the clock's ticks and the bank's batches: ~75 entries an instant in the
incident), so the merge goes instant by instant and, within one, shard by shard: a shard's entries of an instant
are one ``INSERT INTO main.entries SELECT … FROM shard.entries WHERE vt_us = ? ORDER BY seq``, the shard's file
attached to the merged journal's connection — the rows go from file to file inside SQLite, never decoded, never
in Python — and the merged seqs are the rowids SQLite hands out in insertion order: 1, 2, 3, …

Python sees only what the fold needs — an instant's entries that name nobody, of the operations the fold says it
may change (``folding``) if it says so, read through each shard's own connection — and cuts a shard's copy of an
instant around the few entries the fold changed or left out (a changed one is written from Python) and around the
entries whose merged seq was asked for (each copied alone, its seq noted).

SQLite attaches at most 10 files to a connection (``SQLITE_MAX_ATTACHED``): in a merge of more shards, the first
nine keep theirs and the others take turns in the tenth, attached as their turn comes (~0.3 ms each: a few seconds
for 20 pieces of a run, negligible beside the copy of their entries). A shard kept in memory (``Journal()``) is
copied to a temporary file to be attached.
"""

from __future__ import annotations

import heapq
import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from simulator.errors import JournalError
from simulator.journal._codec import from_us
from simulator.journal._entry import Entry
from simulator.journal._rows import (
    _COLUMNS,
    _DATA,
    _INSERT,
    _bindable,
    _encode,
    _entry,
    _Row,
    _row_of,
    _storable,
)

if TYPE_CHECKING:
    from simulator.journal._journal import Fold, Journal

_AFTER_ALL: Final = 2**63 - 1  # above every seq
_ATTACHED_CACHE_KIB: Final = 2048  # the page cache of each shard's attachment: it is read an instant at a time
_IN: Final = 500  # seqs looked up per query
_NOBODY: Final = "borrower IS NULL AND loan IS NULL AND serial IS NULL AND sms_out_id IS NULL"
_COPIED: Final = (
    "kind, vt_us, vt_offset_us, wall_time, partner, operation, borrower, loan, serial, sms_out_id, status, "
    "correlation, data"
)

_Instant = tuple[int, list[int]]  # a virtual instant and the shards (positions, ascending) with entries at it


def merge_into(
    target: Journal,
    sources: Sequence[Journal],
    fold: Fold | None,
    seqs: Sequence[MutableMapping[int, int]] | None,
    *,
    folding: Collection[str] | None = None,
    unsafe: bool,
) -> None:
    """Write the merge of ``sources`` into ``target``, new and empty (its lock held by the caller): see
    :meth:`Journal.merge` for what it holds. ``unsafe``: ``target`` is a file the merge made, removed if it fails,
    so it is written with no rollback journal and no waiting for the disk; it is a journal file like any other
    (write-ahead log, ``synchronous = NORMAL``) once the merge is done."""
    for source in sources:
        source._snapshot("vt_us")  # its buffered appends written, its index on virtual time built (kept)
        with source._lock:  # the pages that building it read are not read again: memory back, not the setting
            source._conn.execute("PRAGMA shrink_memory")
    conn = target._conn
    scratch: Path | None = None
    try:
        paths = []
        for position, source in enumerate(sources):
            if source.path in (":memory:", ""):
                scratch = scratch or Path(tempfile.mkdtemp(prefix="lendsim-merge-"))
                paths.append(_to_file(source, scratch / f"shard-{position + 1}.sqlite"))
            else:
                paths.append(source.path)
        cited = _cited(sources, seqs)
        if unsafe:
            conn.execute("PRAGMA journal_mode = OFF").fetchall()
            conn.execute("PRAGMA synchronous = OFF")
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = -{_ATTACHED_CACHE_KIB}")  # rows are appended: the last pages are enough
        copy = _Copy(conn, paths)
        nobody = _nobody_query(folding)
        try:
            for moment, shards in _instants(sources):
                copy.begin()
                _merge_instant(copy, sources, moment, shards, fold, seqs, cited.get(moment, {}), nobody)
                copy.commit()
        finally:
            copy.close()
        target._next = copy.next
        conn.execute(f"PRAGMA cache_size = {cache}")
        conn.execute("PRAGMA shrink_memory")
        if unsafe:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            conn.execute("PRAGMA synchronous = NORMAL")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _merge_instant(
    copy: _Copy,
    sources: Sequence[Journal],
    moment: int,
    shards: list[int],
    fold: Fold | None,
    seqs: Sequence[MutableMapping[int, int]] | None,
    cited: Mapping[int, set[int]],
    nobody: tuple[str, tuple[str, ...]],
) -> None:
    """Write one virtual instant's entries, shard by shard, those that name nobody (``nobody``: the query that
    reads those the fold is given) folded; set in ``seqs`` the merged seq of each of ``cited`` (the instant's seqs
    asked for, by shard)."""
    changed: dict[int, dict[int, _Row | None]] = {}
    stand_ins: dict[tuple[int, int], tuple[int, int]] = {}
    if fold is not None:
        nobodys = [(shard, row) for shard in shards for row in _nobodys(sources[shard], moment, nobody)]
        if nobodys:
            changed, stand_ins = _fold(nobodys, fold, cited if seqs is not None else {})
    asked = {shard: set(found) for shard, found in cited.items()}
    for shard, seq in stand_ins.values():
        asked.setdefault(shard, set()).add(seq)
    numbered: dict[tuple[int, int], int] = {}
    for shard in shards:
        copy.shard_at(shard, moment, changed.get(shard, {}), asked.get(shard, set()), numbered)
    if seqs is not None:
        for shard, found in cited.items():
            for seq in found:
                merged = numbered.get((shard, seq)) or numbered.get(stand_ins.get((shard, seq), (-1, -1)))
                if merged is not None:
                    seqs[shard][seq] = merged


def _fold(
    nobodys: list[tuple[int, _Row]], fold: Fold, cited: Mapping[int, set[int]]
) -> tuple[dict[int, dict[int, _Row | None]], dict[tuple[int, int], tuple[int, int]]]:
    """Pass an instant's entries that name nobody (``nobodys``: each with its shard, in merge order) through
    ``fold``: what it changed, by shard and seq (the row to write; None: left out), and for each entry of ``cited``
    left out, the (shard, seq) of the entry standing for it, if the merge numbers that one first."""
    entries = _entries(row for _, row in nobodys)
    folded = fold([(shard, entry) for (shard, _), entry in zip(nobodys, entries, strict=True)])
    if len(folded) != len(nobodys):
        raise JournalError(
            f"a merge's fold returned {len(folded)} entries for {len(nobodys)}; return one (or None) for each"
        )
    changed: dict[int, dict[int, _Row | None]] = {}
    left_out_cited = False
    for (shard, row), entry, out in zip(nobodys, entries, folded, strict=True):
        if out is entry and _same_data(entry, row[_DATA]):  # as it was read, so written as it is stored
            continue
        written = None if out is None else _row_of(out)
        if written is None or _bindable(0, written) != _bindable(0, row):
            changed.setdefault(shard, {})[row[0]] = written
            left_out_cited = left_out_cited or (written is None and row[0] in cited.get(shard, ()))
    return changed, _stand_ins(nobodys, folded) if left_out_cited else {}


def _entries(rows: Iterable[_Row]) -> list[Entry]:
    """The entries of stored ``rows`` of one instant (as ``Journal`` reads them back: one virtual time built once)."""
    times: dict[tuple[int, int], datetime] = {}
    entries = []
    for row in rows:
        when = times.get((row[2], row[3]))
        if when is None:
            when = times[row[2], row[3]] = from_us(row[2], row[3])
        entries.append(_entry(row, when))
    return entries


def _same_data(entry: Entry, stored: str | None) -> bool:
    """Whether ``entry``'s data is written as ``stored`` (the merge writes each folded entry's data anew)."""
    if not entry.data:
        return stored is None
    return stored is not None and _encode(dict(entry.data)) == stored


def _stand_ins(nobodys: list[tuple[int, _Row]], folded: list[Entry | None]) -> dict[tuple[int, int], tuple[int, int]]:
    """For each entry of an instant the fold left out, by (shard, seq): the (shard, seq) of the first entry it kept
    with the same kind, partner and operation and as many such entries before it in its own shard — if the merge
    writes that one first and it names nobody (the merged seq the left-out entry is given)."""
    ranks: dict[tuple[Any, ...], int] = {}
    keys = []
    for shard, row in nobodys:
        what = (shard, row[1], row[5], row[6])  # kind, partner, operation
        rank = ranks.get(what, 0)
        ranks[what] = rank + 1
        keys.append((*what[1:], rank))
    first: dict[tuple[Any, ...], tuple[int, int]] = {}
    for key, (shard, row), out in zip(keys, nobodys, folded, strict=True):
        if out is not None:
            first.setdefault(key, (shard, row[0]))
    kept = {(shard, row[0]): out for (shard, row), out in zip(nobodys, folded, strict=True)}
    standing = {}
    for key, (shard, row), out in zip(keys, nobodys, folded, strict=True):
        stand_in = first.get(key)
        if out is None and stand_in is not None and stand_in < (shard, row[0]):
            kept_entry = kept[stand_in]
            assert kept_entry is not None
            if not any((kept_entry.borrower, kept_entry.loan, kept_entry.serial, kept_entry.sms_out_id)):
                standing[shard, row[0]] = stand_in
    return standing


class _Copy:
    """The merged journal's connection, writing, and the next seq. The shards' files are attached to it, each its
    own schema while SQLite's limit allows; past it, the shards beyond the first ``limit - 1`` take turns in the
    last one (they are read in turn, instant after instant: the one just read is the one read again last)."""

    def __init__(self, conn: sqlite3.Connection, paths: Sequence[str]) -> None:
        self._conn = conn
        self._paths = paths
        self._own = max(0, conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) - 1)  # shards with a schema to themselves
        if len(paths) <= self._own + 1:
            self._own = len(paths)
        self._turns: int | None = None  # the shard in the last schema, if any
        self._attached: list[str] = []
        self.next = 1

    def begin(self) -> None:
        self._conn.execute("BEGIN")

    def commit(self) -> None:
        self._conn.execute("COMMIT")

    def close(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        for name in self._attached:
            self._conn.execute(f"DETACH {name}")
        self._attached.clear()

    def _schema(self, shard: int) -> str:
        """The schema ``shard``'s file is attached as, attached now if it is not."""
        own = shard < self._own
        name = f"lendsim_shard_{shard}" if own else "lendsim_shard_turns"
        if name in self._attached if own else self._turns == shard:
            return name
        within = self._conn.in_transaction
        if within:  # a file is attached and detached between transactions
            self.commit()
        if not own and self._turns is not None:
            self._conn.execute(f"DETACH {name}")
            self._attached.remove(name)
        uri = Path(self._paths[shard]).absolute().as_uri() + "?mode=ro"
        self._conn.execute(f"ATTACH ? AS {name}", (uri,))
        self._attached.append(name)
        self._conn.execute(f"PRAGMA {name}.cache_size = -{_ATTACHED_CACHE_KIB}")
        if not own:
            self._turns = shard
        if within:
            self.begin()
        return name

    def shard_at(
        self,
        shard: int,
        moment: int,
        changed: Mapping[int, _Row | None],
        asked: set[int],
        numbered: dict[tuple[int, int], int],
    ) -> None:
        """Copy ``shard``'s entries at ``moment`` in seq order: those ``changed`` by the fold written as it says
        (None: left out), the others as they are; each kept one of ``changed`` and each of ``asked`` numbered in
        ``numbered``."""
        schema = self._schema(shard)
        copy = (
            f"INSERT INTO main.entries ({_COPIED}) SELECT {_COPIED} FROM {schema}.entries "
            "WHERE vt_us = ? AND seq > ? AND seq < ? ORDER BY seq"
        )
        after = -1
        for seq in sorted(asked.union(changed)):
            self.next += self._conn.execute(copy, (moment, after, seq)).rowcount
            if seq in changed:
                out = changed[seq]
                if out is not None:
                    self._write(out)
                    numbered[shard, seq] = self.next - 1
            elif self._conn.execute(copy, (moment, seq - 1, seq + 1)).rowcount:
                numbered[shard, seq] = self.next
                self.next += 1
            after = seq
        self.next += self._conn.execute(copy, (moment, after, _AFTER_ALL)).rowcount

    def _write(self, row: _Row) -> None:
        bound = _bindable(self.next, row)
        try:
            self._conn.execute(_INSERT, bound)
        except UnicodeEncodeError:  # a lone surrogate the fold wrote: stored escaped, as an append stores it
            self._conn.execute(_INSERT, _storable(bound))
        self.next += 1


def _instants(sources: Sequence[Journal]) -> Iterator[_Instant]:
    """Every virtual instant with entries in any of ``sources``, in order, with the shards that have entries at it."""
    each = []
    for shard, source in enumerate(sources):
        with source._lock:
            moments = source._conn.execute("SELECT DISTINCT vt_us FROM entries ORDER BY vt_us").fetchall()
        each.append([(moment, shard) for (moment,) in moments])
    for moment, group in itertools.groupby(heapq.merge(*each), key=lambda pair: pair[0]):
        yield moment, [shard for _, shard in group]


def _nobody_query(folding: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    """The query of an instant's entries that name nobody (no borrower, loan, serial or SMS) in seq order, and the
    operations it binds after the instant: of the operations in ``folding`` only, if given."""
    if folding is None:
        return f"SELECT {_COLUMNS} FROM entries WHERE vt_us = ? AND {_NOBODY} ORDER BY seq", ()
    operations = tuple(sorted(folding))
    within = ", ".join("?" * len(operations)) or "NULL"
    query = f"SELECT {_COLUMNS} FROM entries WHERE vt_us = ? AND {_NOBODY} AND operation IN ({within}) ORDER BY seq"
    return query, operations


def _nobodys(source: Journal, moment: int, nobody: tuple[str, tuple[str, ...]]) -> list[_Row]:
    """``source``'s entries at ``moment`` that the query ``nobody`` (:func:`_nobody_query`) reads."""
    query, operations = nobody
    with source._lock:
        return source._conn.execute(query, (moment, *operations)).fetchall()


def _cited(
    sources: Sequence[Journal], seqs: Sequence[MutableMapping[int, int]] | None
) -> dict[int, dict[int, set[int]]]:
    """The seqs asked for, by the virtual instant of their entry and their shard (a seq no entry has: left out)."""
    cited: dict[int, dict[int, set[int]]] = {}
    for shard, (source, asked) in enumerate(zip(sources, seqs or (), strict=False)):
        keys = sorted(asked)
        for start in range(0, len(keys), _IN):
            chunk = keys[start : start + _IN]
            with source._lock:
                found = source._conn.execute(
                    f"SELECT seq, vt_us FROM entries WHERE seq IN ({', '.join('?' * len(chunk))})", chunk
                ).fetchall()
            for seq, moment in found:
                cited.setdefault(moment, {}).setdefault(shard, set()).add(seq)
    return cited


def _to_file(source: Journal, path: Path) -> str:
    """A copy of the journal ``source`` (kept in memory) in the file ``path``, to be attached."""
    copy = sqlite3.connect(path)
    try:
        with source._lock:
            source._conn.backup(copy)
    finally:
        copy.close()
    return str(path)
