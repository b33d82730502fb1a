"""How an entry's values are stored: virtual times as integers, payloads as compact JSON.

Virtual time is stored as integer microseconds since the epoch (UTC), so ordering and filtering are
numeric, plus the UTC offset in microseconds, so an entry comes back with the offset it was appended
with. Payloads are stored as compact JSON text (``separators=(",", ":")``, ``ensure_ascii=False``,
no NaN or Infinity). A lone surrogate (legal in JSON text, ``"\\udc00"``, but not Unicode, so UTF-8 cannot carry it)
is written as its JSON escape: the text stays valid UTF-8 and reads back as the same value. Everything here is on
the append path: it is written for speed.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from simulator.errors import JournalError

__all__ = ["encode_data", "escape_surrogates", "from_us", "to_us", "unserialisable"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Microseconds since 1970-01-01T00:00Z of an aware datetime (the caller checked it is aware).

    ``Journal.append`` inlines the same arithmetic (and the same for the offset).
    """
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# The epoch seen from each UTC offset met so far: adding a timedelta to it gives a datetime with that
# offset. A handful of offsets in practice, so the cache stays tiny.
_EPOCH_AT: dict[int, datetime] = {}


def from_us(us: int, off_us: int) -> datetime:
    """The aware datetime stored as ``(us, off_us)``, with a fixed-offset timezone of ``off_us``."""
    base = _EPOCH_AT.get(off_us)
    if base is None:
        tz = UTC if off_us == 0 else timezone(timedelta(microseconds=off_us))
        base = _EPOCH_AT[off_us] = _EPOCH.astimezone(tz)
    return base + timedelta(microseconds=us)


def _default(value: object) -> object:
    # Mappings that are not dicts (MappingProxyType, httpx.Headers, …) are JSON objects too.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_encoder() -> Callable[[Any], str] | None:
    """The C encoder ``JSONEncoder.encode`` builds on every call (with its settings below), built once: the same
    text and the same errors, without the per-call set-up (~2 µs of a 6 µs body on a slow machine)."""
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - CPython always has _json (json's C accelerator); other interpreters
        # may not, and get json's own encoder below; the suite runs on CPython only.
        return None
    encoder = make_encoder(None, _default, encode_basestring, None, ":", ",", False, False, False)

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


_json_encode: Callable[[Any], str] = (
    _c_encoder()
    or json.JSONEncoder(
        ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":"), default=_default
    ).encode
)

# What orjson writes byte for byte as the json encoder does: exact dicts, lists and tuples of these, str, int, bool
# and None (it refuses, and json then writes, non-str keys, ints past 64 bits, lone surrogates and deep nesting).
# Not floats: orjson writes 1e16 where json writes 1e+16, and NaN as null where json refuses it.
_LEAVES = frozenset((str, int, bool, type(None)))


def _orjson_writes_it_as_json(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return kind in _LEAVES
    for item in items:  # noqa: SIM110 - all() over a generator costs more than the walk saves
        if type(item) not in _LEAVES and not _orjson_writes_it_as_json(item):
            return False
    return True


def encode_data(value: Any) -> str:
    """Compact JSON text of a payload; raises TypeError/ValueError/RecursionError like ``json.dumps``.

    Through orjson (about 4× faster) when it writes the same text, through the json encoder otherwise. A lone
    surrogate in a string (orjson refuses it) is written as its JSON escape, ``\\udc00``, so the text can be
    stored and sent as UTF-8.
    """
    try:
        if _orjson_writes_it_as_json(value):
            return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, RecursionError):  # what orjson refuses (or a cycle): json says what is wrong
        pass
    text = _json_encode(value)
    if not text.isascii():  # only non-ASCII text can hold a surrogate: the check costs nothing on ASCII
        try:
            text.encode()
        except UnicodeEncodeError:
            return escape_surrogates(text)
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as a JSON escape (``\\udc00``): in JSON text, the same value."""
    return _SURROGATE.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


def unserialisable(data: Mapping[str, Any], exc: BaseException) -> JournalError:
    """The error for a payload ``json`` refused, naming the key path of the first bad value."""
    try:
        found = _find_bad(data, "data", set())
    except RecursionError:
        return JournalError("data is nested too deeply to store as JSON; flatten it to fewer than ~900 levels")
    # Left out of coverage, unreachable while _find_bad refuses all that the encoders refuse (tests/journal pins each
    # kind of bad value); should they part ways, this still names the encoder's own complaint.
    if found is None:  # pragma: no cover
        return JournalError(f"data cannot be stored as JSON ({exc}); pass dicts, lists, str, int, float, bool, None")
    return JournalError(found)


def _find_bad(value: object, path: str, seen: set[int]) -> str | None:
    if value is None or isinstance(value, str | int):  # bool is an int
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return f"{path} is {value!r}, which JSON cannot represent; store None or a string such as 'NaN' instead"
    if isinstance(value, Mapping | list | tuple):
        if id(value) in seen:
            return f"{path} refers back to a container that holds it (a circular reference); pass a tree"
        seen.add(id(value))
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not (key is None or isinstance(key, str | int | float)):
                    return (
                        f"{path} has the key {_repr.repr(key)} of type {type(key).__name__}; "
                        "JSON object keys must be strings: convert the key with str()"
                    )
                found = _find_bad(item, f"{path}[{key!r}]", seen)
                if found is not None:
                    return found
        else:
            for index, item in enumerate(value):
                found = _find_bad(item, f"{path}[{index}]", seen)
                if found is not None:
                    return found
        seen.discard(id(value))
        return None
    hint = "value.isoformat()" if hasattr(value, "isoformat") else "str(value)"
    return (
        f"{path} is {_repr.repr(value)} of type {type(value).__name__}, which is not JSON-serialisable; "
        f"convert it before appending (e.g. {hint}); "
        "the journal stores dicts, lists, str, int, float, bool and None"
    )
