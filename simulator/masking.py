"""Masking of personal data: the one helper every log line, journal view and report goes through.

=============  ======================  ==================================
value          masked                  rule
=============  ======================  ==================================
resident ID    ``1101**********1234``  first 4 and last 4 characters kept
mobile number  ``138****1234``         first 3 and last 4 digits kept
bank card      ``6214********5563``    first 4 and last 4 digits kept
name           ``张**``                 first character kept
=============  ======================  ==================================

Stars replace characters one for one, so lengths (and column layouts) are preserved, and a value too short
to keep anything is starred whole. :func:`mask_text` finds the numbers inside free text — 18-character
resident IDs, 16–19-digit card numbers (also written in groups of four), 11-digit mainland mobiles (also
``+86``/``0086`` and ``138 1234 5678`` forms) — in one regular-expression pass. A match must not touch
other digits on either side, so a phone-like run inside a card number is left to the card rule, and IDs
are tried before cards before phones. Masking is idempotent: stars are not digits, so masked text has
nothing left to match.

Deliberate trade-offs: every 16–19-digit run is treated as a card (so are digit-only serials of that length;
give serials a letter prefix); runs of 12–15 or 20+ digits are left alone, which includes the old 15-digit
IDs; an 11-digit run followed by ``.`` and a digit is an amount, not a phone; names are masked only in
:func:`mask_value` under the keys you name, since free text gives no reliable way to find them. The rules
are deliberately wider than what :mod:`simulator.domain` calls a valid ID, mobile or card (no check character,
segment or Luhn test): a mistyped ID or a number from a segment allocated next year is personal data all the same.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Final, overload

__all__ = ["NAME_KEYS", "mask_card", "mask_id", "mask_name", "mask_phone", "mask_text", "mask_value"]

NAME_KEYS: Final = frozenset({"name", "Name"})
"""The keys that hold a person's name in the built-in contracts (bank ``name``, bureau ``Name``)."""


def _keep(value: str, head: int, tail: int) -> str:
    """Star every letter or digit of ``value`` except the first ``head`` and the last ``tail`` of them."""
    if value.isalnum():  # the common case: no separators
        if len(value) <= head + tail:
            return "*" * len(value)
        return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]
    positions = [j for j, char in enumerate(value) if char.isalnum()]
    hidden = positions if len(positions) <= head + tail else positions[head : len(positions) - tail]
    chars = list(value)
    for j in hidden:
        chars[j] = "*"
    return "".join(chars)


def mask_id(value: str) -> str:
    """``"110101199003071234"`` → ``"1101**********1234"``."""
    return _keep(value, 4, 4)


def mask_phone(value: str) -> str:
    """``"13812341234"`` → ``"138****1234"`` (separators, if any, stay where they are)."""
    return _keep(value, 3, 4)


def mask_card(value: str) -> str:
    """``"6214123412345563"`` → ``"6214********5563"``; same length, separators kept."""
    return _keep(value, 4, 4)


def mask_name(value: str) -> str:
    """``"张三丰"`` → ``"张**"``; a one-character name becomes ``"*"``."""
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


# One pass over the text. The pattern opens with a character class, which lets the regex engine jump from
# one digit or "+" to the next in C (a lookbehind in first place would disable that and cost ~15x on
# digit-free text). The lookbehinds that follow reject a start inside a longer number or its decimals; the
# alternatives read the rest of the number; the empty named group ending each alternative is the last group
# to close, so match.lastgroup tells _replace which kind of number it was.
_PATTERN: Final = re.compile(
    r"""
    [0-9+]
    (?<![0-9][0-9+]) (?<![0-9]\.[0-9+])
    (?:
        (?<=[0-9]) [0-9]{16}[0-9Xx] (?P<id>)
      | (?<=[0-9]) [0-9]{15,18} (?P<card>)
      | (?<=[0-9]) [0-9]{3} (?P<cs>[ -]) [0-9]{4} (?P=cs) [0-9]{4} (?P=cs) [0-9]{4} (?:(?P=cs)[0-9]{1,3})? (?P<grouped>)
      | (?: (?<=\+)86 | (?<=0)086 | (?<=8)6 ) [ -]?
        1[3-9][0-9] (?P<ps>[ -]?) [0-9]{4} (?P=ps) [0-9]{4} (?P<cc_phone>)
      | (?<=1) [3-9][0-9] (?P<ps2>[ -]?) [0-9]{4} (?P=ps2) [0-9]{4} (?P<phone>)
    )
    (?![0-9]|\.[0-9])
    """,
    re.VERBOSE,
)


def _replace(match: re.Match[str]) -> str:
    text, kind = match[0], match.lastgroup
    if kind == "phone":
        return _keep(text, 3, 4)
    if kind == "cc_phone":  # +86 / 0086 / 86, then the number: keep the country code and 3 digits
        return _keep(text, 7 if text.startswith("00") else 5, 4)
    return _keep(text, 4, 4)  # an ID, a card, a grouped card


def mask_text(text: str) -> str:
    """``text`` with every resident ID, card number and mainland mobile number in it masked."""
    if len(text) < 11:  # nothing that short can hold a number worth masking
        return text
    return _PATTERN.sub(_replace, text)


@overload
def mask_value(value: str, *, name_keys: Collection[str] = ()) -> str: ...
@overload
def mask_value(value: Mapping[str, object], *, name_keys: Collection[str] = ()) -> dict[str, object]: ...
@overload
def mask_value(value: list[Any], *, name_keys: Collection[str] = ()) -> list[object]: ...
@overload
def mask_value(value: object, *, name_keys: Collection[str] = ()) -> object: ...
def mask_value(value: object, *, name_keys: Collection[str] = ()) -> object:
    """A masked copy of JSON-like data: strings through :func:`mask_text`, dicts (keys too), lists, tuples.

    A string under one of ``name_keys`` (e.g. :data:`NAME_KEYS`) is masked as a name. An integer with 11 or
    more digits that reads as a phone, ID or card comes back as its masked string. Other values are returned
    as they are; the input is never changed.
    """
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {
            (mask_text(key) if isinstance(key, str) else key): (
                mask_name(item) if isinstance(item, str) and key in name_keys else mask_value(item, name_keys=name_keys)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_value(item, name_keys=name_keys) for item in value]
    if isinstance(value, tuple):
        return tuple(mask_value(item, name_keys=name_keys) for item in value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000_000_000:
        text = str(value)
        masked = mask_text(text)
        return masked if masked != text else value
    return value
