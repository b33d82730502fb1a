"""A request body read as JSON by rules a server can keep: :func:`read_json`.

JSON text may say more than a server can hold or than a client means. What is legal JSON but refused here, each
with the rule a problem names (``errors[].rule``) and the field where it was found:

- ``depth``: arrays and objects nested more than :data:`MAX_DEPTH` levels (the validator and the journal walk a
  value recursively; no contract nests anywhere near this);
- ``finite``: ``NaN``, ``Infinity``, ``-Infinity`` (not JSON, but what Python's json writes) and a number beyond a
  double (``1e400``), which no amount can be and which JSON cannot write back;
- ``digits``: an integer of more than :data:`MAX_DIGITS` digits (CPython's limit for converting one: past it
  ``int()`` raises);
- ``unicode``: a lone surrogate (``"\\udc00"``, legal in JSON text, not Unicode) in a string or a key, and a body
  that is not UTF-8 at all;
- ``duplicateKey``: an object naming a key twice (RFC 8259 leaves the meaning open; a parser keeps the last, so
  ``{"repayOuterNo": "A", …, "repayOuterNo": "B"}`` would be read as B by us and maybe as A by a proxy in between).

Bodies are read by orjson (four times faster than json) where it gives what json gives: orjson refuses non-finite
numbers, lone surrogates, invalid UTF-8 and nesting past 1,024 levels, and reads an integer of more than 64 bits as
a float — bodies with 19 digits in a row go to json, and so does any body orjson refuses. On json's side the
hooks mark what is refused and a walk finds where. On orjson's side duplicates are found by counting colons: the
text holds one for each member and each colon inside a string; a value re-written by orjson holds exactly those of
the members it kept. Fewer colons re-written than read means a member was dropped — read again by json to name it
(a colon written as ``\\u003a`` in a string breaks the count, so such a body is read again too).
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import orjson

from simulator.openapi._violation import Violation

__all__ = ["MAX_DEPTH", "MAX_DIGITS", "read_json"]

#: Arrays and objects nested deeper than this are refused (rule ``depth``).
MAX_DEPTH: Final = 64
#: Integers with more digits than this are refused (rule ``digits``): CPython's own limit for converting one.
MAX_DIGITS: Final = 4300


def read_json(body: bytes) -> tuple[Any, bool, Violation | None]:
    """``(value, plain, None)``, or ``(None, False, the violation)`` when the body breaks a rule (see the module).

    ``plain`` says the value holds only what orjson reads — dicts with str keys, lists, str, 64-bit ints, finite
    floats, bools, None — so ``orjson.dumps`` writes it as ``json`` would (the journal's fast path)."""
    scan = body.translate(_SCAN)  # one pass: every digit a 0, '[' a '{', 'A' an 'a' (see _SCAN)
    if scan.find(_LONG_NUMBER) < 0:  # no run of 19 digits: orjson reads it as json does
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:  # what orjson refuses json may take (NaN, a BOM, UTF-16, lone surrogates)
            pass
        else:
            if scan.count(b"{") > MAX_DEPTH:  # each level opens one (or more, inside strings)
                return _read_slowly(body)
            colons = scan.count(b":")
            if colons and (scan.find(_ESCAPED_COLON) >= 0 or _colons_written(value) != colons):
                return _read_slowly(body)  # a member named twice may have been dropped (see the module)
            return value, True, None
    return _read_slowly(body)


def _colons_written(value: Any) -> int:
    """The colons in ``value`` written by orjson: one per member kept, and those inside its strings."""
    try:
        return orjson.dumps(value).count(b":")
    except orjson.JSONEncodeError:  # nothing orjson read should fail to be written; if it does, json decides
        return -1


def _read_slowly(body: bytes) -> tuple[Any, bool, Violation | None]:
    try:
        value = json.loads(
            body,
            object_pairs_hook=_Members,
            parse_constant=_NonFinite,
            parse_float=_float,
            parse_int=_int,
        )
    except RecursionError:
        return None, False, _too_deep()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, False, _malformed(exc)
    found = _first_refused(value)
    if found is not None:
        return None, False, found
    return _plain_dicts(value), False, None


class _Members(dict[str, Any]):
    """An object as json read it, remembering the first key it named twice."""

    __slots__ = ("twice",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.twice: str | None = None
        if len(self) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.twice = key
                    break
                seen.add(key)


class _NonFinite(str):
    """``NaN``, ``Infinity``, ``-Infinity`` or a number beyond a double (``1e400``), as written."""


class _TooLong(str):
    """An integer of more than :data:`MAX_DIGITS` digits (only its length is kept)."""


def _float(text: str) -> float | _NonFinite:
    number = float(text)
    return number if math.isfinite(number) else _NonFinite(text)


def _int(text: str) -> int | _TooLong:
    if len(text) - text.startswith("-") > MAX_DIGITS:
        return _TooLong(str(len(text) - text.startswith("-")))
    return int(text)


def _first_refused(value: Any) -> Violation | None:
    """The first value the rules refuse, with where it is (``body.repayList[0].installmentNo``); None if none.

    A walk with a stack rather than recursion: json.loads takes nesting as deep as the interpreter's limit."""
    stack: list[tuple[str, int, Any]] = [("body", 0, value)]
    while stack:
        path, depth, item = stack.pop()
        kind = type(item)
        if kind is _Members or kind is list:
            if depth >= MAX_DEPTH:
                return _too_deep()
            if kind is list:
                stack.extend((f"{path}[{index}]", depth + 1, child) for index, child in enumerate(item))
                continue
            if item.twice is not None:
                return _duplicate(f"{path}.{item.twice}")
            for key, child in reversed(item.items()):
                if not _utf8(key):
                    return _not_unicode(f"{path} (a key)")
                stack.append((f"{path}.{key}", depth + 1, child))
        elif kind is str:
            if not _utf8(item):
                return _not_unicode(path)
        elif kind is _NonFinite:
            return Violation(
                path,
                "finite",
                f"is {item}, which is no finite number (and no JSON); send a number a double can hold, or a string",
            )
        elif kind is _TooLong:
            return Violation(
                path,
                "digits",
                f"is an integer of {int(item):,} digits; at most {MAX_DIGITS:,} are read — send it as a string",
            )
    return None


def _plain_dicts(value: Any) -> Any:
    """``value`` with each :class:`_Members` made a plain dict (what a behaviour, the validator and the journal
    expect); values nested no deeper than :data:`MAX_DEPTH` by now."""
    kind = type(value)
    if kind is _Members:
        return {key: _plain_dicts(child) for key, child in value.items()}
    if kind is list:
        return [_plain_dicts(child) for child in value]
    return value


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _too_deep() -> Violation:
    return Violation(
        "body",
        "depth",
        f"nests arrays and objects more than {MAX_DEPTH} levels deep; no request of this API nests nearly that far",
    )


def _duplicate(where: str) -> Violation:
    return Violation(
        where,
        "duplicateKey",
        "is named twice in the same object; send each field once (parsers disagree on which one counts)",
    )


def _not_unicode(where: str) -> Violation:
    return Violation(
        where,
        "unicode",
        "holds a lone surrogate (such as \\udc00), which is not Unicode text; send UTF-8, with a character beyond "
        "U+FFFF as a surrogate pair (\\ud83d\\ude00) or as itself",
    )


def _malformed(exc: json.JSONDecodeError | UnicodeDecodeError) -> Violation:
    if isinstance(exc, UnicodeDecodeError):
        return Violation("body", "unicode", "is not UTF-8 text; send the JSON encoded as UTF-8")
    return Violation("body", "json", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")


# What read_json looks for, found in one translated copy of the body (translate + find is 6x faster than a regex):
# - a run of 19 digits, which orjson reads as a float and json as an int: every digit is mapped to "0";
# - the levels opened: every '[' is mapped to '{', so one count;
# - the colons, and a colon escaped in a string (\u003a or \u003A; with digits as 0 and 'A' as 'a' both read
#   \u000a, as does a newline written \u000a: such a body is read again for nothing, which is rare and only slower).
# find and count, not `in`: `bytes in bytes` first tries the operand as an int and raises (and clears) a TypeError.
_SCAN = bytes.maketrans(b"123456789[A", b"000000000{a")
_LONG_NUMBER = b"0" * 19
_ESCAPED_COLON = b"\\u000a"
