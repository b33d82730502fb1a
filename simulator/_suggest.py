"""The "did you mean" of every error message: one way to find the closest names, one way to say them.

``f"unknown key {key!r}; {suggest(key, KEYS)}"`` reads ``unknown key 'timout'; did you mean 'timeout'?`` when a
name is close (:func:`did_you_mean`), and ``unknown key 'x'; use one of 'a', 'b', 'c'`` when none is
(:func:`one_of`). The phrase always follows a semicolon and names values as ``repr`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["closest", "did_you_mean", "one_of", "suggest", "suggestion"]


def closest(
    value: object, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6, ignore_case: bool = False
) -> list[str]:
    """Up to ``n`` of ``choices`` most like ``value`` (``difflib``'s ratio at least ``cutoff``), best first.

    With ``ignore_case``, a choice equal to ``value`` but for case is the only answer; otherwise case is
    ignored in the comparison and the choices come back as written.
    """
    import difflib  # only when a message needs it: a few milliseconds off every start

    text = str(value)
    if not ignore_case:
        return difflib.get_close_matches(text, list(choices), n=n, cutoff=cutoff)
    by_lower = {choice.lower(): choice for choice in choices}
    if text.lower() in by_lower:
        return [by_lower[text.lower()]]
    return [by_lower[c] for c in difflib.get_close_matches(text.lower(), list(by_lower), n=n, cutoff=cutoff)]


def suggestion(matches: Sequence[str]) -> str:
    """``"did you mean 'a'?"``, ``"did you mean 'a' or 'b'?"``, ``"did you mean 'a', 'b' or 'c'?"``; "" for none."""
    if not matches:
        return ""
    named = [repr(match) for match in matches]
    return f"did you mean {' or '.join([', '.join(named[:-1]), named[-1]] if len(named) > 1 else named)}?"


def did_you_mean(
    value: object, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6, ignore_case: bool = False
) -> str:
    """The :func:`suggestion` of the :func:`closest` choices; "" when none is close."""
    return suggestion(closest(value, choices, n=n, cutoff=cutoff, ignore_case=ignore_case))


def one_of(choices: Iterable[str], *, limit: int | None = 12) -> str:
    """``"use one of 'a', 'b', 'c'"``: the first ``limit`` of ``choices`` (all for None), ``…`` past them."""
    listed = list(choices)
    shown = listed if limit is None else listed[:limit]
    more = ", …" if len(shown) < len(listed) else ""
    return f"use one of {', '.join(map(repr, shown))}{more}"


def suggest(value: object, choices: Sequence[str], *, n: int = 1, cutoff: float = 0.6, limit: int | None = 12) -> str:
    """:func:`did_you_mean` when a choice is close, else :func:`one_of` the choices."""
    return did_you_mean(value, choices, n=n, cutoff=cutoff) or one_of(choices, limit=limit)
