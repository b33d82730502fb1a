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
    if body.translate(_DIGITS_AS_ZERO).find(_LONG_NUMBER) < 0:  # no run of 19 digits: orjson reads it as json does
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:  # what orjson refuses json may take (NaN, a BOM, UTF-16, lone surrogates)
            pass
        else:
            if _may_nest_too_deep(body) or (b":" in body and _dropped_a_member(body, value)):
                return _read_slowly(body)
            return value, True, None
    return _read_slowly(body)


def _dropped_a_member(body: bytes, value: Any) -> bool:
    """Whether orjson may have dropped a member named twice (see the module): then json reads it again."""
    if b"\\u003a" in body or b"\\u003A" in body:
        return True
    try:
        return orjson.dumps(value).count(b":") != body.count(b":")
    except orjson.JSONEncodeError:  # nothing orjson read should fail to be written; if it does, json decides
        return True


def _may_nest_too_deep(body: bytes) -> bool:
    return body.count(b"[") + body.count(b"{") > MAX_DEPTH  # each level opens one (or more, inside strings)


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


# orjson reads an integer of more than 64 bits as a float, json keeps it an int: bodies with 19 digits in a row go to
# json. The digit run is found by mapping every digit to "0" and looking for nineteen of them (a regex is 6× slower).
# find, not `in`: `bytes in bytes` first tries the operand as an int and raises (and clears) a TypeError.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
