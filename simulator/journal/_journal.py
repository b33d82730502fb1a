"""The journal: the single record of what happened in a run, kept in SQLite.

Every request, response, delivery, event, fault and drift goes in through :meth:`Journal.append`, which
returns it as an :class:`Entry` (:meth:`Journal.add` is the same append without building the Entry: the
engine's hot path). Oracles, reports and the control API read entries back by one set of :class:`Filters`:
a page (:meth:`~Journal.query`), a stream (:meth:`~Journal.iter`), a count or the latest one. Sharded runs
write one journal per shard and meet in :meth:`Journal.merge` (``_merge.py``).

Appends are on the hot path (two per HTTP request), so they are buffered in memory and written in
batches of :data:`BATCH` rows, one transaction each; any read writes the buffer first, so reads always
see every append. :meth:`Journal.flush` writes and commits on demand (a process reading the file from
outside sees committed rows only). An index on a column is built the first time a filter needs it
(one bulk ``CREATE INDEX``), so a run that is only read back in full never pays for index upkeep. A journal file's
write-ahead log is copied into the database by a thread of its own (:class:`_Checkpointer`), never by the commit
that happens to fill it: that copy and its disk flushes took 30–90 ms, and the commit is on a server's event loop.
The journal never reads the wall clock: ``wall_clock`` is injected.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self, TypedDict, Unpack

from simulator._suggest import did_you_mean
from simulator.errors import JournalError
from simulator.journal._codec import to_us
from simulator.journal._entry import KINDS, Entry, Page
from simulator.journal._merge import merge_into
from simulator.journal._rows import (
    _COLUMNS,
    _INSERT,
    _NAN,
    _encode,
    _entry,
    _naive,
    _Row,
    _storable,
)

__all__ = ["BATCH", "MAX_LIMIT", "EntryFields", "Filters", "Fold", "Journal", "set_aside"]

MAX_LIMIT: Final = 10_000
"""The largest page :meth:`Journal.query` returns."""
BATCH: Final = 1024
"""Appends buffered in memory before they are written to SQLite and committed."""
_CHUNK: Final = 512  # rows fetched per round trip while streaming
_FEW_SOURCES: Final = 4  # a merge of more journals reads each with a small page cache ...
_SOURCE_CACHE_KIB: Final = 2048  # ... of this many KiB
CHECKPOINT_ROWS: Final = 2048
"""Rows committed to a journal file between two checkpoints (the write-ahead log copied into the database): about
the 4 MB of log at which SQLite would checkpoint by itself, inside a commit."""

_APPLICATION_ID: Final = 0x4C534A4E  # "LSJN" in the SQLite header: this file is a lendsim journal
_SCHEMA_VERSION: Final = 1  # PRAGMA user_version

_SCHEMA: Final = """
CREATE TABLE entries (
    seq          INTEGER PRIMARY KEY,  -- 1, 2, 3 … in append order
    kind         TEXT    NOT NULL,
    vt_us        INTEGER NOT NULL,     -- virtual time: microseconds since 1970-01-01T00:00Z
    vt_offset_us INTEGER NOT NULL,     -- the UTC offset it was given with, in microseconds
    wall_time    REAL,                 -- epoch seconds from the injected wall clock
    partner      TEXT,
    operation    TEXT,
    borrower     TEXT,
    loan         TEXT,
    serial       TEXT,
    sms_out_id   TEXT,
    status       INTEGER,
    correlation  TEXT,
    data         TEXT                  -- the payload as a JSON object; NULL when empty
);
"""

# The index each filter can use, built the first time a read needs it (one bulk CREATE INDEX costs a
# fraction of keeping it up to date row by row). Partial where many rows lack the value. Every index
# ends with the rowid (seq), so `column = ? AND seq > ? ORDER BY seq` reads it in order.
_INDEXES: Final = {
    "kind": "CREATE INDEX IF NOT EXISTS entries_kind ON entries (kind)",
    "vt_us": "CREATE INDEX IF NOT EXISTS entries_vt_us ON entries (vt_us)",
    **{
        column: f"CREATE INDEX IF NOT EXISTS entries_{column} ON entries ({column}) WHERE {column} IS NOT NULL"
        for column in ("operation", "borrower", "loan", "serial", "sms_out_id", "correlation")
    },
}

#: How :meth:`Journal.merge` folds the entries of one virtual instant that name nobody: given them with their
#: shard's position, in merge order, the entry to write in place of each, or ``None`` to leave it out.
Fold = Callable[[list[tuple[int, Entry]]], list[Entry | None]]


class EntryFields(TypedDict, total=False):
    """What an entry records besides its kind and virtual time (:class:`Entry` says what each one means).

    ``data_json`` is the JSON text of ``data`` when the caller has it already (the engine encodes a response
    body once, for the wire and the journal): it is stored as given, not checked.
    """

    partner: str | None
    operation: str | None
    borrower: str | None
    loan: str | None
    serial: str | None
    sms_out_id: str | None
    status: int | None
    correlation: str | None
    data: Mapping[str, Any] | None
    data_json: str | None


class Filters(TypedDict, total=False):
    """What :meth:`Journal.query`, :meth:`~Journal.iter`, :meth:`~Journal.count` and :meth:`~Journal.last`
    filter on; every filter given must match (AND).

    ``kind`` is one kind or several (any of them); ``since``/``until`` bound the virtual time
    (``since <= t < until``); ``after`` keeps entries with ``seq > after`` (a page's ``next``).
    """

    kind: str | Iterable[str] | None
    partner: str | None
    operation: str | None
    borrower: str | None
    loan: str | None
    serial: str | None
    sms_out_id: str | None
    status: int | None
    correlation: str | None
    since: datetime | None
    until: datetime | None
    after: int


# Filters a page can be driven by through an index, most selective first: SQLite has no statistics to
# choose by, so only the first one present uses its index and the others are written `+column`, which
# keeps the planner off a less selective index (kind, operation) when a borrower or a serial is given.
_BY_ID: Final = ("correlation", "serial", "sms_out_id", "loan", "borrower")
_FILTER_NAMES: Final = (
    "kind",
    "partner",
    "operation",
    "borrower",
    "loan",
    "serial",
    "sms_out_id",
    "status",
    "correlation",
    "since",
    "until",
    "after",
)
_KIND_SET: Final = frozenset(KINDS)
_TEXT_FIELDS: Final = ("partner", "operation", "borrower", "loan", "serial", "sms_out_id", "correlation")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class _Query:
    """A compiled filter: the WHERE clause, its parameters and the index that should drive it."""

    __slots__ = ("index", "params", "where")

    def __init__(self, where: str, params: tuple[Any, ...], index: str | None) -> None:
        self.where = where
        self.params = params
        self.index = index


_EVERYTHING: Final = _Query("1", (), None)


class Journal:
    """The record of a run: append entries as things happen, query them afterwards.

    ``Journal()`` lives in memory; ``Journal(path)`` keeps its rows in an SQLite file, so memory stays
    flat over long runs, and reopening the file continues its sequence. ``wall_clock`` (e.g.
    ``time.time``) stamps each entry's ``wall_time``; without one it is ``None``.

    What is committed (a full batch, :meth:`flush`) survives the process dying — a crash, ``kill -9``. With
    ``fsync=True`` each commit also waits until the file is on the disk, so it survives a power cut or an
    operating-system crash too (at the cost of a disk flush per commit).

    One thread at a time may use a journal, and it may be created in one thread and used in another
    (calls are serialised by a lock). Close it, or use it as a context manager, so the last appends
    are written; one that is garbage-collected or still open at interpreter exit is closed then.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        wall_clock: Callable[[], float] | None = None,
        fsync: bool = False,
    ) -> None:
        if wall_clock is not None and not callable(wall_clock):
            raise JournalError(
                f"wall_clock={wall_clock!r} is not callable; pass a function returning epoch seconds, "
                "e.g. time.time, or None"
            )
        try:
            name = os.fspath(path)
        except TypeError:
            raise JournalError(f"path={path!r} is not a file path; pass a str or pathlib.Path, or ':memory:'") from None
        self._path: str = name
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._pending: list[_Row] = []
        self._closed = False
        self._generation = 0  # bumped by clear(), so iterations under way notice
        # The last virtual time appended and its stored form: the clock often hands out the same object.
        self._last_vt: tuple[datetime | None, int, int] = (None, 0, 0)
        self._last_wall: float = _NAN  # the wall time of the last append, for the Entry append returns
        self._conn, self._next, self._indexes = _open(name, fsync)
        self._checkpointer = _Checkpointer(name) if name not in (":memory:", "") else None
        self._unchecked = 0  # rows committed since the checkpointer was last asked
        self._finalizer = weakref.finalize(self, _close, self._conn, self._pending, name, self._checkpointer)

    # -- writing --------------------------------------------------------------------------------------

    def append(self, kind: str, virtual_time: datetime, **fields: Unpack[EntryFields]) -> Entry:
        """Record one thing that happened and return it as an :class:`Entry` with its ``seq``.

        The returned entry holds ``virtual_time`` and ``data`` as given (not copies); the journal keeps
        the JSON of ``data``, so what a read returns is its JSON round trip. Text fields are strings or
        ``None``; an empty string is recorded as ``None`` (no such id). The fields are :class:`EntryFields`.
        """
        seq = self.add(kind, virtual_time, **fields)
        status = fields.get("status")
        data = fields.get("data")
        return Entry(
            seq,
            kind,
            virtual_time,
            None if self._wall_clock is None else self._last_wall,
            fields.get("partner") or None,
            fields.get("operation") or None,
            fields.get("borrower") or None,
            fields.get("loan") or None,
            fields.get("serial") or None,
            fields.get("sms_out_id") or None,
            None if status is None else int(status),
            fields.get("correlation") or None,
            {} if data is None else data,
        )

    def add(
        self,
        kind: str,
        virtual_time: datetime,
        partner: str | None = None,
        operation: str | None = None,
        borrower: str | None = None,
        loan: str | None = None,
        serial: str | None = None,
        sms_out_id: str | None = None,
        status: int | None = None,
        correlation: str | None = None,
        data: Mapping[str, Any] | None = None,
        data_json: str | None = None,
    ) -> int:
        """:meth:`append` without building the :class:`Entry`: check one entry, buffer its row and return its
        ``seq``. The fields may also be given positionally, in column order.

        The engine's fast path (everything it journals, two entries a request, positionally): building the
        :class:`Entry` that :meth:`append` returns would cost 20k instructions a request of the engine's 188k with
        the bank stubbed, 1.9 % of a request through ``lendsim.transport`` (1,085k), whose target (≤ 1.3× a bare
        ``httpx.MockTransport``) is not met; matching a dozen keywords costs 3.5k more (``bench/run instructions``).
        """
        if not (kind in _KIND_SET if type(kind) is str else _is_kind(kind)):
            raise _bad_kind(kind, "append")
        last_vt = self._last_vt
        if virtual_time is last_vt[0]:
            vt_us, off_us = last_vt[1], last_vt[2]
        else:
            if not isinstance(virtual_time, datetime):
                raise JournalError(
                    f"virtual_time={virtual_time!r} is not a datetime; pass the virtual clock's now(), "
                    "a timezone-aware datetime"
                )
            offset = virtual_time.utcoffset()
            if offset is None:
                raise _naive("virtual_time", virtual_time)
            delta = virtual_time - _EPOCH  # to_us(), inlined: this is the hot path
            vt_us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            off_us = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
            self._last_vt = (virtual_time, vt_us, off_us)
        for value in (partner, operation, borrower, loan, serial, sms_out_id, correlation):
            if value is not None and not isinstance(value, str):  # '' is fine: stored like None
                raise _not_text(partner, operation, borrower, loan, serial, sms_out_id, correlation)
        if status is None:
            status_bind = -1
        elif type(status) is int and 0 <= status <= 999:
            status_bind = status
        else:
            status_bind = _check_status(status)
        if data is None:
            text = ""
        elif data_json is not None and type(data) is dict:
            text = data_json if data else ""
        elif type(data) is dict:
            text = _encode(data) if data else ""
        elif isinstance(data, Mapping):
            text = _encode(dict(data)) if data else ""
        else:
            raise JournalError(
                f"data={data!r} is a {type(data).__name__}, not a mapping; pass a dict (a JSON object), "
                "e.g. data={'body': ...}"
            )
        clock = self._wall_clock
        with self._lock:
            if self._closed:
                raise _closed_error(self._path)
            if clock is None:
                wall_bind = _NAN  # stored as NULL
            else:
                wall_bind = clock()  # read under the lock, so wall times follow seq
                if type(wall_bind) is not float:
                    wall_bind = _check_wall(wall_bind)
            seq = self._next
            self._next = seq + 1
            row = (
                seq,
                kind,
                vt_us,
                off_us,
                wall_bind,
                partner or "",
                operation or "",
                borrower or "",
                loan or "",
                serial or "",
                sms_out_id or "",
                status_bind,
                correlation or "",
                text,
            )
            self._last_wall = wall_bind
            pending = self._pending
            pending.append(row)
            if len(pending) >= BATCH:
                self._commit()
        return seq

    def flush(self) -> None:
        """Write and commit the buffered appends, so other connections (and processes) see them."""
        with self._lock:
            self._check_open()
            self._commit()

    def _commit(self) -> None:
        """Under the lock: write and commit the buffer; every :data:`CHECKPOINT_ROWS` rows, wake the checkpointer."""
        written = len(self._pending)
        _write(self._conn, self._pending, self._path)
        if self._checkpointer is not None:
            self._unchecked += written
            if self._unchecked >= CHECKPOINT_ROWS:
                self._unchecked = 0
                self._checkpointer.nudge()

    def clear(self) -> None:
        """Remove every entry; the next append gets ``seq`` 1 again.

        Iterations under way stop with a :class:`JournalError` at their next chunk.
        """
        with self._lock:
            self._check_open()
            self._pending.clear()
            try:
                self._conn.execute("DELETE FROM entries")
            except sqlite3.Error as exc:
                raise JournalError(f"cannot clear the journal {self._path!r} ({exc})") from None
            self._next = 1
            self._generation += 1

    def close(self) -> None:
        """Write the buffered appends and close the journal. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The SQLite file the journal lives in, or ``":memory:"``."""
        return self._path

    def query(self, *, limit: int = 100, **filters: Unpack[Filters]) -> Page:
        """At most ``limit`` (1..:data:`MAX_LIMIT`) entries matching ``filters``, in ``seq`` order.

        Page through everything with ``after=page.next`` until ``next`` is ``None``.
        """
        if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
            raise JournalError(
                f"limit={limit!r} is out of range; pass an int from 1 to {MAX_LIMIT} and page with after=page.next"
            )
        query = _compile(filters)
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM entries WHERE {query.where} ORDER BY seq LIMIT ?",
            (*query.params, limit + 1),
            query.index,
        )
        items = [_entry(row) for row in rows[:limit]]
        return Page(items, items[-1].seq if len(rows) > limit else None)

    def iter(self, **filters: Unpack[Filters]) -> Iterator[Entry]:
        """Every entry matching ``filters``, in ``seq`` order, read a few hundred rows at a time.

        Entries appended after the iteration started are not included.
        """
        after = filters.pop("after", None)
        return self._stream(_compile(filters), 0 if after is None else _check_after(after))

    def __iter__(self) -> Iterator[Entry]:
        """Every entry, in ``seq`` order, read a few hundred rows at a time."""
        return self._stream(_EVERYTHING, 0)

    def count(self, **filters: Unpack[Filters]) -> int:
        """How many entries match ``filters``."""
        if not filters:
            return len(self)
        query = _compile(filters)
        rows = self._fetch(f"SELECT count(*) FROM entries WHERE {query.where}", query.params, query.index)
        return int(rows[0][0])

    def tally(self) -> dict[tuple[str, str | None, str | None], int]:
        """How many entries of each kind, partner and operation (counted by SQLite: no entry is read back)."""
        rows = self._fetch("SELECT kind, partner, operation, count(*) FROM entries GROUP BY 1, 2, 3", (), None)
        return {(kind, partner, operation): count for kind, partner, operation, count in rows}

    def __len__(self) -> int:
        return self._snapshot(None)[0]  # seq is dense: 1..n

    def last(self, **filters: Unpack[Filters]) -> Entry | None:
        """The latest (highest ``seq``) entry matching ``filters``, or ``None``."""
        query = _compile(filters)
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM entries WHERE {query.where} ORDER BY seq DESC LIMIT 1",
            query.params,
            query.index,
        )
        return _entry(rows[0]) if rows else None

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self._next - 1} entries"
        return f"<Journal {self._path!r} {state}>"

    # -- merging --------------------------------------------------------------------------------------

    @classmethod
    def merge(
        cls,
        journals: Iterable[Journal],
        path: str | os.PathLike[str] = ":memory:",
        *,
        fold: Fold | None = None,
        folding: Collection[str] | None = None,
        seqs: Sequence[MutableMapping[int, int]] | None = None,
    ) -> Journal:
        """One journal holding the entries of ``journals`` (the shards of a run), renumbered from 1.

        Entries are ordered by virtual time, then by the shard's position in ``journals``, then by their
        ``seq`` in the shard. SQLite copies them from file to file, a virtual instant at a time (how:
        ``simulator/journal/_merge.py``); nothing is loaded but an instant's entries that name nobody, for ``fold``.
        The shards stay open and unchanged (but for an index on virtual time, built in each as a query by time
        builds it, and the page cache of each when there are many: 2 MiB, so that a merge of hundreds holds no more
        than a few). A merge into a new file that fails removes the file.

        ``fold``: what becomes of the entries that name nobody (no borrower, loan, serial or SMS: a partner's
        daily batch, a file made ready, a fault), the happenings each shard has for itself. It is called once per
        virtual instant with that instant's such entries, each with its shard's position in ``journals``, in
        merge order, and returns, for each, the entry to write in its place (itself, or one that stands for the
        whole run) or ``None`` to leave it out. Entries that name a borrower, loan, serial or SMS are never
        folded: each belongs to one shard.

        ``folding``: the operations ``fold`` may change, when it says. Only entries of those are given to it; the
        others are copied as stored, never read into Python (an instant's platform log lines of every shard are
        as many as the run has borrowers; a fold that passes them through need not see them).

        ``seqs``: for each of ``journals``, a mapping whose keys are seqs of that journal (a violation's chain,
        judged in the shard); the merge sets each one's value to its entry's seq in the merged journal. An entry
        the fold left out takes the seq of the entry that stands for it: the one the fold kept at the same
        instant with the same kind, partner and operation, as many of those before it in its own shard (a
        fault's later first firing, left out for an earlier one at another instant, keeps its value). Only the
        keys asked for are looked up: no map of every entry is held.
        """
        sources = list(journals)
        for index, source in enumerate(sources):
            if not isinstance(source, Journal):
                raise JournalError(
                    f"journals[{index}]={source!r} is not a Journal; open each shard's file with Journal(path)"
                )
        name = path if isinstance(path, str) else os.fspath(path) if isinstance(path, os.PathLike) else ""
        made = isinstance(name, str) and name not in (":memory:", "") and not os.path.exists(name)
        target = cls(path)
        try:
            if target._next > 1:
                raise JournalError(
                    f"cannot merge into {target.path!r}: it already holds {target._next - 1} entries; "
                    "pass the path of a new file"
                )
            if seqs is not None and len(seqs) != len(sources):
                raise JournalError(f"seqs names {len(seqs)} journals, the merge {len(sources)}; give one mapping each")
            if len(sources) > _FEW_SOURCES:  # each read once, in order: a few pages each, or many sources' caches
                for source in sources:  # would add up to more than the run a piece was cut to bound
                    with source._lock, contextlib.suppress(sqlite3.Error):
                        source._conn.execute(f"PRAGMA cache_size = -{_SOURCE_CACHE_KIB}")
            with target._lock:
                try:
                    merge_into(target, sources, fold, seqs, folding=folding, unsafe=made)
                except sqlite3.Error as exc:
                    raise JournalError(f"cannot merge into the journal {target.path!r} ({exc})") from None
        except BaseException:
            target.close()
            if made:  # written without a rollback journal: half a merge is no journal
                for suffix in ("", *_SIDE_FILES):
                    with contextlib.suppress(OSError):
                        os.remove(name + suffix)
            raise
        return target

    # -- internals ------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise _closed_error(self._path)

    def _ready(self, index: str | None) -> None:
        """Before a read, under the lock: write the buffer and build the index the read wants."""
        self._check_open()
        self._commit()
        if index is not None and index not in self._indexes:
            self._indexes.add(index)  # tried once: a journal opened read-only is scanned instead
            with contextlib.suppress(sqlite3.OperationalError):
                self._conn.execute(_INDEXES[index])

    def _fetch(self, sql: str, params: tuple[Any, ...], index: str | None) -> list[_Row]:
        with self._lock:
            self._ready(index)
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"cannot read the journal {self._path!r} ({exc})") from None

    def _snapshot(self, index: str | None) -> tuple[int, int]:
        """The last ``seq`` stored and the generation now, to bound an iteration.

        Read from the file rather than from ``_next``, so a journal opened to watch a file that another
        process is writing sees the latest committed entries.
        """
        with self._lock:
            self._ready(index)
            try:
                last = self._conn.execute("SELECT max(seq) FROM entries").fetchone()[0]
            except sqlite3.Error as exc:
                raise JournalError(f"cannot read the journal {self._path!r} ({exc})") from None
            return last or 0, self._generation

    def _chunk(self, sql: str, params: tuple[Any, ...], generation: int) -> list[_Row]:
        with self._lock:
            self._check_open()
            if self._generation != generation:
                raise JournalError(
                    f"the journal {self._path!r} was cleared while being iterated; start the iteration again"
                )
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"cannot read the journal {self._path!r} ({exc})") from None

    def _stream(self, query: _Query, after: int) -> Iterator[Entry]:
        sql = f"SELECT {_COLUMNS} FROM entries WHERE seq > ? AND seq <= ? AND {query.where} ORDER BY seq LIMIT ?"
        upper, generation = self._snapshot(query.index)
        cursor = after
        while cursor < upper:
            rows = self._chunk(sql, (cursor, upper, *query.params, _CHUNK), generation)
            for row in rows:
                yield _entry(row)
            if len(rows) < _CHUNK:
                return
            cursor = rows[-1][0]


# -- opening, writing, closing --------------------------------------------------------------------------

# The files SQLite keeps beside a database in WAL mode: committed transactions not yet copied into it, and an index.
_SIDE_FILES: Final = ("-wal", "-shm")


def set_aside(path: str | os.PathLike[str]) -> str | None:
    """Move the journal file at ``path`` (with the files SQLite keeps beside it) to ``path.1`` — or ``.2``, … the
    first name free — so a new journal can start there; returns the new name, or None when there was no file.

    Nothing is deleted: what a killed process committed to its write-ahead log moves along with the file."""
    name = os.fspath(path)
    if not os.path.exists(name):
        return None
    number = 1
    while any(os.path.exists(f"{name}.{number}{suffix}") for suffix in ("", *_SIDE_FILES)):
        number += 1
    target = f"{name}.{number}"
    try:
        os.replace(name, target)
        for suffix in _SIDE_FILES:
            if os.path.exists(name + suffix):
                os.replace(name + suffix, target + suffix)
    except OSError as exc:
        raise JournalError(f"cannot move the journal {name!r} aside to {target!r} ({exc.strerror or exc})") from None
    return target


def _open(path: str, fsync: bool = False) -> tuple[sqlite3.Connection, int, set[str]]:
    """Connect to ``path``: the connection, the next ``seq`` and the indexes already built."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise JournalError(
            f"cannot open the journal file {path!r} ({exc}); check that its folder exists and is writable"
        ) from None
    try:
        _prepare(conn, path, fsync)
        last = conn.execute("SELECT max(seq) FROM entries").fetchone()[0]
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")
        indexes = {name.removeprefix("entries_") for (name,) in names} & _INDEXES.keys()
    except sqlite3.Error as exc:
        conn.close()
        raise JournalError(f"cannot read the journal {path!r} ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return conn, (last or 0) + 1, indexes


def _prepare(conn: sqlite3.Connection, path: str, fsync: bool = False) -> None:
    """Check that ``path`` is a lendsim journal (or create one in a new, empty file) and tune it."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise JournalError(
            f"{path!r} is not a lendsim journal ({exc}); pass the path of a journal or of a new file"
        ) from None
    if app_id == 0 and objects == 0:
        try:
            conn.executescript(
                f"BEGIN; {_SCHEMA} PRAGMA application_id = {_APPLICATION_ID}; "
                f"PRAGMA user_version = {_SCHEMA_VERSION}; COMMIT;"
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot create a journal in {path!r} ({exc}); check that it is writable") from None
    elif app_id != _APPLICATION_ID:
        raise JournalError(
            f"{path!r} is an SQLite database but not a lendsim journal (application_id {app_id:#x}, "
            f"{objects} schema objects); pass the path of a journal or of a new file"
        )
    elif version > _SCHEMA_VERSION:
        raise JournalError(
            f"{path!r} is a lendsim journal of schema version {version}, newer than this lendsim reads "
            f"({_SCHEMA_VERSION}); upgrade lendsim to open it"
        )
    if path not in (":memory:", ""):
        try:
            # WAL: readers in other processes do not block the writer. NORMAL: a commit is written to the file
            # (the operating system holds it: a killed process loses nothing committed), not flushed to the disk
            # (a power cut may lose the last commits, never corrupt the file); FULL flushes each commit.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages: index upkeep stays in memory
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the journal's _Checkpointer does it, off this thread
        except sqlite3.Error as exc:
            raise JournalError(f"cannot set up the journal file {path!r} ({exc}); check that it is writable") from None


def _write(conn: sqlite3.Connection, pending: list[_Row], path: str) -> None:
    """Insert the buffered rows in one transaction and empty the buffer.

    A row holding a lone surrogate (which UTF-8, and so SQLite, cannot carry) is stored escaped rather than
    failing the whole batch: :func:`_storable`.
    """
    if not pending:
        return
    try:
        try:
            _insert(conn, pending)
        except UnicodeEncodeError:
            pending[:] = [_storable(row) for row in pending]
            _insert(conn, pending)
    except sqlite3.IntegrityError as exc:
        if _stored(conn, pending):  # committed, then an exception (a signal's) came before the buffer was emptied
            pending.clear()
            return
        raise JournalError(
            f"cannot write to the journal {path!r} ({exc}): another Journal or process appended to the same "
            "file; give each writer its own file and combine them with Journal.merge"
        ) from None
    except sqlite3.Error as exc:
        raise JournalError(f"cannot write to the journal {path!r} ({exc})") from None
    pending.clear()


def _stored(conn: sqlite3.Connection, rows: list[_Row]) -> bool:
    """Whether ``rows`` (a buffer, in seq order) are in the file already, each as it is buffered."""
    first, last = rows[0][0], rows[-1][0]
    try:
        stored = conn.execute(
            "SELECT seq, kind, vt_us, data FROM entries WHERE seq IN (?, ?) ORDER BY seq", (first, last)
        ).fetchall()
        count = conn.execute("SELECT count(*) FROM entries WHERE seq BETWEEN ? AND ?", (first, last)).fetchone()[0]
    except sqlite3.Error:
        return False
    ends = [rows[0]] if first == last else [rows[0], rows[-1]]
    expected = [(row[0], row[1], row[2], row[-1] or None) for row in ends]
    return count == len(rows) and stored == expected


def _insert(conn: sqlite3.Connection, rows: list[_Row]) -> None:
    conn.execute("BEGIN")
    try:
        conn.executemany(_INSERT, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _close(conn: sqlite3.Connection, pending: list[_Row], path: str, checkpointer: _Checkpointer | None) -> None:
    try:
        if checkpointer is not None:
            checkpointer.stop()
        _write(conn, pending, path)
    finally:
        conn.close()  # the last connection to the file checkpoints what is left of the log


class _Checkpointer:
    """Copies a journal file's write-ahead log into the database on a thread of its own, each time it is nudged.

    The journal's own connection never checkpoints (``wal_autocheckpoint = 0``, set in :func:`_prepare`): SQLite
    would do it inside whichever commit fills the log past ~4 MB, copying the log into the database and flushing
    both to the disk — 30–90 ms on the server's event loop, every second or two under load (``bench/run latency``).
    Here a second connection runs a passive checkpoint, which never blocks the writer; sqlite3 lets go of the GIL
    meanwhile, so the event loop goes on. Durability is unchanged: a commit is in the log before it is answered,
    and the log is the database until it is copied. The thread starts at the first nudge (a short-lived journal
    never has one) and holds no reference to the journal.
    """

    __slots__ = ("_due", "_path", "_stopping", "_thread")

    def __init__(self, path: str) -> None:
        self._path = path
        self._due = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lendsim-journal-checkpoint", daemon=True)
            self._thread.start()
        self._due.set()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping = True
            self._due.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:  # the file went away: the journal's own connection reports what matters
            return
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._stopping:
                    return
                with contextlib.suppress(sqlite3.Error):  # busy now: the next nudge copies this log too
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()


# -- filters --------------------------------------------------------------------------------------------


def _compile(filters: Mapping[str, Any]) -> _Query:
    """The WHERE clause, parameters and driving index for ``filters``, checked."""
    unknown = [name for name in filters if name not in _FILTER_NAMES]
    if unknown:
        name = unknown[0]
        close = did_you_mean(name, _FILTER_NAMES)
        hint = f"{close} " if close else ""
        raise JournalError(f"unknown filter {name!r}; {hint}the journal filters on: {', '.join(_FILTER_NAMES)}")
    terms: list[str] = []
    params: list[Any] = []
    index: str | None = None  # the first (most selective) filter present drives the query

    def column(name: str) -> str:
        nonlocal index
        if index is None:
            index = name
            return name
        return "+" + name

    for name in _BY_ID:
        value = filters.get(name)
        if value is not None:
            terms.append(f"{column(name)} = ?")
            params.append(_check_text(name, value))
    since, until = filters.get("since"), filters.get("until")
    if since is not None or until is not None:
        vt = column("vt_us")
        low = high = None
        if since is not None:
            low = to_us(_check_aware("since", since))
            terms.append(f"{vt} >= ?")
            params.append(low)
        if until is not None:
            high = to_us(_check_aware("until", until))
            terms.append(f"{vt} < ?")
            params.append(high)
        if low is not None and high is not None and low > high:
            raise JournalError(
                f"since={since!r} is after until={until!r}; swap them (the window is since <= virtual_time < until)"
            )
    operation = filters.get("operation")
    if operation is not None:
        terms.append(f"{column('operation')} = ?")
        params.append(_check_text("operation", operation))
    kind = filters.get("kind")
    if kind is not None:
        kinds = _check_kinds(kind)
        if not kinds:
            terms.append("0")
        elif len(kinds) == 1:
            terms.append(f"{column('kind')} = ?")
            params.append(kinds[0])
        else:
            # Not through the kind index: it returns the kinds one after the other, so every page would
            # sort all the remaining matches; a scan in seq order stops as soon as the page is full.
            terms.append("+kind IN (" + ", ".join("?" * len(kinds)) + ")")
            params.extend(kinds)
    partner = filters.get("partner")
    if partner is not None:
        terms.append("partner = ?")
        params.append(_check_text("partner", partner))
    status = filters.get("status")
    if status is not None:
        terms.append("status = ?")
        params.append(_check_status(status))
    after = filters.get("after")
    if after is not None:
        terms.append("seq > ?")
        params.append(_check_after(after))
    return _Query(" AND ".join(terms) or "1", tuple(params), index)


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise JournalError(f"{name}={value!r} is not a str; pass the {name} as a string, or None for any")
    return value


def _check_aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise JournalError(f"{name}={value!r} is not a datetime; pass a timezone-aware datetime, or None")
    if value.utcoffset() is None:
        raise _naive(name, value)
    return value


def _check_after(after: object) -> int:
    if type(after) is not int or after < 0:
        raise JournalError(f"after={after!r} is not a seq; pass 0 (the start) or a page's next")
    return after


def _check_kinds(kind: object) -> list[str]:
    kinds = [kind] if isinstance(kind, str) else kind
    if not isinstance(kinds, Iterable):
        raise JournalError(f"kind={kind!r} is not a kind; pass one of {', '.join(KINDS)} or a list of them")
    result = list(kinds)
    for one in result:
        if not _is_kind(one):
            raise _bad_kind(one, "filter")
    return result


def _is_kind(kind: object) -> bool:
    try:
        return kind in _KIND_SET
    except TypeError:  # unhashable
        return False


def _check_status(status: object) -> int:
    if isinstance(status, int) and not isinstance(status, bool) and 0 <= status <= 999:
        return int(status)  # also an IntEnum such as http.HTTPStatus
    raise JournalError(f"status={status!r} is not an HTTP status; pass an int such as 200 or 503, or None")


def _check_wall(value: object) -> float:
    if type(value) is int:
        return float(value)
    raise JournalError(
        f"the wall clock returned {value!r}, not epoch seconds; inject a clock such as time.time that returns a float"
    )


# -- messages -------------------------------------------------------------------------------------------


def _bad_kind(kind: object, action: str) -> JournalError:
    close = did_you_mean(kind, KINDS) if isinstance(kind, str) else ""
    hint = f"{close} " if close else ""
    verb = "append" if action == "append" else "filter on"
    return JournalError(f"unknown journal kind {kind!r}; {hint}{verb} one of: {', '.join(KINDS)}")


def _not_text(*values: object) -> JournalError:
    """The error for the first text field (in :data:`_TEXT_FIELDS` order) that is neither a str nor None."""
    for name, value in zip(_TEXT_FIELDS, values, strict=True):
        if value is not None and not isinstance(value, str):
            return JournalError(f"{name}={value!r} is a {type(value).__name__}, not a str; pass str({name}) or None")
    # Left out of coverage, unreachable: the one caller (Journal.append) calls it only once it found such a field.
    raise AssertionError("every text field is a str or None")  # pragma: no cover


def _closed_error(path: str) -> JournalError:
    return JournalError(f"the journal {path!r} is closed; open it again with Journal({path!r})")
