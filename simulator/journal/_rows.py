"""The stored form of an entry: the row SQLite holds (its columns, the form ``INSERT`` binds) and the
:class:`Entry` read back from it — what :class:`~simulator.journal.Journal` writes and reads, and what its merge
copies."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from simulator.errors import JournalError
from simulator.journal._codec import encode_data, escape_surrogates, from_us, to_us, unserialisable
from simulator.journal._entry import Entry

_COLUMNS: Final = (
    "seq, kind, vt_us, vt_offset_us, wall_time, partner, operation, borrower, loan, serial, sms_out_id, "
    "status, correlation, data"
)
# Binding None costs sqlite3 an adapter lookup (~0.6 µs each on a slow machine), so absent values are
# bound as '' / -1 / NaN and stored as NULL: NULLIF for text and status, SQLite itself for NaN.
_INSERT: Final = (
    f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), "
    "NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, -1), NULLIF(?, ''), NULLIF(?, ''))"
)
_NAN: Final = math.nan

_Row = tuple[Any, ...]


# Text columns by their index in a row, for _storable.
_TEXT_COLUMNS: Final = {5: "partner", 6: "operation", 7: "borrower", 8: "loan", 9: "serial", 10: "sms_out_id"}
_DATA: Final = 13


def _storable(row: _Row) -> _Row:
    """``row`` as it can be stored: a lone surrogate in ``data`` as its JSON escape (the same value once read), in
    an id column as a backslash escape (``\\udc00``), the columns so escaped named in ``data["escaped"]``."""
    values = list(row)
    escaped = []
    for index, name in (*_TEXT_COLUMNS.items(), (12, "correlation")):
        if not _utf8(values[index]):
            values[index] = values[index].encode("utf-8", "backslashreplace").decode()
            escaped.append(name)
    if escaped:
        data = _decode(values[_DATA]) if values[_DATA] else {}
        values[_DATA] = encode_data({**data, "escaped": escaped})
    elif not _utf8(values[_DATA]):
        values[_DATA] = escape_surrogates(values[_DATA])
    return tuple(values)


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


_OWNERS: Final = slice(7, 11)  # borrower, loan, serial, sms_out_id in a stored row


def _row_of(entry: Entry) -> _Row:
    """The stored row of ``entry`` (its seq is renumbered on the way in)."""
    offset = entry.virtual_time.utcoffset()
    if offset is None:
        raise _naive("virtual_time", entry.virtual_time)
    return (
        entry.seq,
        entry.kind,
        to_us(entry.virtual_time),
        offset // timedelta(microseconds=1),
        entry.wall_time,
        entry.partner,
        entry.operation,
        entry.borrower,
        entry.loan,
        entry.serial,
        entry.sms_out_id,
        entry.status,
        entry.correlation,
        _encode(dict(entry.data)) if entry.data else None,
    )


def _bindable(seq: int, row: _Row) -> _Row:
    """A stored row, renumbered, in the form ``_INSERT`` binds (no None)."""
    _, kind, vt_us, off_us, wall, *text, status, correlation, data = row
    return (
        seq,
        kind,
        vt_us,
        off_us,
        _NAN if wall is None else wall,
        *(value or "" for value in text),
        -1 if status is None else status,
        correlation or "",
        data or "",
    )


def _entry(row: _Row, when: datetime | None = None) -> Entry:
    """The entry of a stored ``row``; ``when``: its virtual time, if the caller built it already."""
    seq, kind, vt_us, off_us, wall, partner, operation, borrower, loan, serial, sms, status, corr, data = row
    return Entry(
        seq,
        kind,
        from_us(vt_us, off_us) if when is None else when,
        wall,
        partner,
        operation,
        borrower,
        loan,
        serial,
        sms,
        status,
        corr,
        {} if data is None else _decode(data),
    )


# Stored data is read back by orjson (several times faster) where it gives what json.loads gives: not when a run of
# 19 digits may be an integer past 64 bits (orjson reads it as a float, json as an int), nor what orjson refuses
# (a lone surrogate, deep nesting), which json reads as before.
_DIGITS_AS_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER: Final = b"0" * 19


def _decode(text: str) -> dict[str, Any]:
    value: dict[str, Any]
    try:
        encoded = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        encoded = b""
    # find, not `in`: `bytes in bytes` first tries the operand as an int and raises (and clears) a TypeError.
    if encoded and encoded.translate(_DIGITS_AS_ZERO).find(_LONG_NUMBER) < 0:
        try:
            value = orjson.loads(encoded)
        except orjson.JSONDecodeError:
            pass
        else:
            return value
    value = json.loads(text)
    return value


def _encode(data: dict[str, Any]) -> str:
    try:
        return encode_data(data)
    except (TypeError, ValueError, RecursionError) as exc:
        raise unserialisable(data, exc) from None


def _naive(name: str, value: datetime) -> JournalError:
    return JournalError(
        f"{name}={value.isoformat()!r} is naive (no UTC offset); pass a timezone-aware datetime, "
        "e.g. with tzinfo=ZoneInfo('Asia/Shanghai'), or the virtual clock's now()"
    )
