"""The merge as it was written before SQLite copied the rows (lendsim 322cf81, ``Journal.merge``): row by row in
Python, a heap merge of each shard's rows in virtual-time order, the entries that name nobody read ahead in a second
merge and folded instant by instant. Kept as the reference the merge is compared with (``test_merge.py``), near
verbatim: only reading a shard's rows (then ``Journal._rows_by_time``) is written out here."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

from simulator.errors import JournalError
from simulator.journal import Fold, Journal
from simulator.journal._journal import BATCH
from simulator.journal._rows import _COLUMNS, _bindable, _entry, _row_of

_Row = tuple[Any, ...]
_Keyed = tuple[int, int, int, _Row]
_OWNERS = slice(7, 11)
_CHUNK = 512
_Dropped = Callable[[int, int, "tuple[int, int] | None"], None]


def reference_merge(
    sources: Sequence[Journal],
    *,
    fold: Fold | None = None,
    seqs: Sequence[MutableMapping[int, int]] | None = None,
) -> Journal:
    """The merge of ``sources`` into a journal in memory, as lendsim 322cf81 made it."""
    target = Journal()
    streams = [_rows_by_time(source, shard) for shard, source in enumerate(sources)]
    wanted: Sequence[MutableMapping[int, int]] = [{} for _ in sources] if seqs is None else seqs
    instant: dict[tuple[int, int], int] = {}
    moment = -(2**63) - 1

    def dropped(shard: int, seq: int, stand_in: tuple[int, int] | None) -> None:
        if seq in wanted[shard] and stand_in is not None and stand_in in instant:
            wanted[shard][seq] = instant[stand_in]

    with target._lock:
        merged: Iterator[_Keyed] = heapq.merge(*streams)
        if fold is not None:
            nobodys = heapq.merge(*(_rows_by_time(source, shard, True) for shard, source in enumerate(sources)))
            merged = _folded(merged, nobodys, fold, dropped if seqs is not None else None)
        pending = target._pending
        for vt_us, shard, seq, row in merged:
            if seqs is not None:
                if seq in wanted[shard]:
                    wanted[shard][seq] = target._next
                if moment != vt_us:
                    moment = vt_us
                    instant.clear()
                if not any(row[_OWNERS]):
                    instant[shard, seq] = target._next
            pending.append(_bindable(target._next, row))
            target._next += 1
            if len(pending) >= BATCH:
                target._commit()
        target._commit()
    return target


def _rows_by_time(source: Journal, shard: int, nobodys: bool = False) -> Iterator[_Keyed]:
    only = " AND borrower IS NULL AND loan IS NULL AND serial IS NULL AND sms_out_id IS NULL" if nobodys else ""
    sql = f"SELECT {_COLUMNS} FROM entries WHERE seq <= ? AND (vt_us, seq) > (?, ?){only} ORDER BY vt_us, seq LIMIT ?"
    upper, generation = source._snapshot("vt_us")
    vt_cursor, seq_cursor = -(2**63), 0
    while True:
        rows = source._chunk(sql, (upper, vt_cursor, seq_cursor, _CHUNK), generation)
        for row in rows:
            yield row[2], shard, row[0], row
        if len(rows) < _CHUNK:
            return
        seq_cursor, vt_cursor = rows[-1][0], rows[-1][2]


def _folded(
    merged: Iterator[_Keyed], nobodys: Iterator[_Keyed], fold: Fold, dropped: _Dropped | None = None
) -> Iterator[_Keyed]:
    pending = next(nobodys, None)
    current: int | None = None
    replaced: dict[tuple[int, int], tuple[_Row | None, tuple[int, int] | None]] = {}
    for keyed in merged:
        if keyed[0] != current:
            current = keyed[0]
            instant: list[_Keyed] = []
            while pending is not None and pending[0] == current:
                instant.append(pending)
                pending = next(nobodys, None)
            replaced = _fold_instant(instant, fold, dropped is not None) if instant else {}
        if any(keyed[3][_OWNERS]):
            yield keyed
            continue
        row, stand_in = replaced[keyed[1], keyed[2]]
        if row is not None:
            yield (*keyed[:3], row)
        elif dropped is not None:
            dropped(keyed[1], keyed[2], stand_in)


def _stand_ins(instant: list[_Keyed], nobodys: list[int], kept: Mapping[int, bool]) -> dict[int, tuple[int, int]]:
    ranks: dict[tuple[Any, ...], int] = {}
    keys: dict[int, tuple[Any, ...]] = {}
    for position in nobodys:
        _, shard, _, row = instant[position]
        what = (row[1], row[5], row[6])
        rank = ranks.get((shard, *what), 0)
        ranks[(shard, *what)] = rank + 1
        keys[position] = (*what, rank)
    first: dict[tuple[Any, ...], tuple[int, int]] = {}
    for position in nobodys:
        if kept[position]:
            first.setdefault(keys[position], instant[position][1:3])
    return {position: first[keys[position]] for position in nobodys if not kept[position] and keys[position] in first}


def _fold_instant(
    instant: list[_Keyed], fold: Fold, stand_ins: bool
) -> dict[tuple[int, int], tuple[_Row | None, tuple[int, int] | None]]:
    folded = fold([(keyed[1], _entry(keyed[3])) for keyed in instant])
    if len(folded) != len(instant):
        raise JournalError(
            f"a merge's fold returned {len(folded)} entries for {len(instant)}; return one (or None) for each"
        )
    positions = list(range(len(instant)))
    kept = {position: entry is not None for position, entry in enumerate(folded)}
    standing = _stand_ins(instant, positions, kept) if stand_ins else {}
    return {
        (keyed[1], keyed[2]): (
            None if entry is None else _row_of(entry),
            standing.get(position),
        )
        for position, (keyed, entry) in enumerate(zip(instant, folded, strict=True))
    }
