"""O7 ``pii_minimized``: no full ID number, no full card number, no name with an amount where it can leak.

Looked at: the text of every delivered SMS (``smsDelivered`` ``content``), every delivery to the platform (the
body of each ``delivery`` entry: callbacks, notices, SMS receipts) and every line the platform logged
(``platformLog`` ``line``). Found in them, each a violation:

- a full 18-character resident ID — a valid GB 11643 number (birth date and check digit);
- a full card number — 16–19 digits (or in groups of four) that pass the Luhn check and start like a card
  (3, 4, 5 or 6);
- a person's name together with an amount (``1006.00``, ``300元``, ``¥300``): the name of a borrower the bank
  registered (``registerLoan``'s ``name``), or any value under a ``name``/``Name`` key of a body.

Numbers are found where :func:`simulator.masking.mask_text` finds them (the same boundaries: not inside a
longer number, not the decimals of an amount); values under keys that hold opaque serials (``biz_id``,
``repayOuterNo``, …) are not read as IDs or cards. Mobile numbers are not in O7's list (a receipt names its
number); reports mask them anyway. Each distinct leak is reported once, with how often it recurred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.masking import NAME_KEYS, mask_card, mask_id, mask_name, mask_phone, mask_text
from simulator.oracles._base import Context, Handler, Oracle, Route, as_text, stamp
from simulator.oracles._facts import Facts

__all__ = ["PiiMinimized", "find_cards", "find_ids", "valid_card", "valid_id"]

#: Keys whose values are opaque serials, never personal data, in the bodies the partners deliver.
SERIAL_KEYS: Final = frozenset(
    {
        "biz_id",
        "bizId",
        "BizId",
        "out_id",
        "outId",
        "OutId",
        "RequestId",
        "requestId",
        "repayOuterNo",
        "loanOuterNo",
        "reqNo",
        "noticeId",
        "submissionId",
        "correctionNo",
        "disputeId",
        "creditContractNo",
    }
)
_ID: Final = re.compile(r"(?<![0-9])(?<![0-9]\.)[0-9]{17}[0-9Xx](?![0-9]|\.[0-9])")
_CARD: Final = re.compile(
    r"(?<![0-9])(?<![0-9]\.)(?:[0-9]{16,19}|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}"
    r"(?:(?P=sep)[0-9]{1,3})?)(?![0-9]|\.[0-9])"
)
_AMOUNT: Final = re.compile(
    r"(?<![0-9.])[0-9]{1,12}\.[0-9]{2}(?![0-9])|[0-9]+(?:\.[0-9]{1,2})?\s*元|[¥￥]\s*[0-9][0-9,]*(?:\.[0-9]{1,2})?"
)
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_EXCERPT: Final = 120


def valid_id(text: str) -> bool:
    """A GB 11643 resident ID: 17 digits with a plausible birth date, and the right check character."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True)) % 11]
    return text[17].upper() == check


def valid_card(digits: str) -> bool:
    """16–19 digits starting like a payment card (3–6) with a valid Luhn check digit."""
    if not 16 <= len(digits) <= 19 or not digits.isdigit() or digits[0] not in "3456":
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_ids(text: str) -> list[str]:
    """The full resident IDs in ``text``."""
    return [match[0] for match in _ID.finditer(text) if valid_id(match[0])]


def find_cards(text: str) -> list[str]:
    """The full card numbers in ``text`` (an 18-digit valid ID is an ID, not a card)."""
    found = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match[0])
        if valid_card(digits) and not valid_id(digits):
            found.append(match[0])
    return found


@dataclass(slots=True)
class _Text:
    seq: int
    at: datetime
    where: str
    borrower: str | None
    loan: str | None
    text: str
    named: tuple[str, ...]  # values under name keys
    count: int = 1


class PiiMinimized(Oracle):
    invariant = "O7"
    key = "pii_minimized"
    judges = "SMS, deliveries and platform log lines with text"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.seen: dict[tuple[str, str], _Text] = {}  # (kind of place, text) -> first occurrence
        self.leaks: list[tuple[_Text, list[str]]] = []
        self.with_amounts: list[_Text] = []
        self.pattern: re.Pattern[str] | None = None  # every borrower's name, once judging starts

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("event", "sms", "smsDelivered"), self._sms
        yield ("delivery", None, None), self._delivery
        yield ("event", "platform", "platformLog"), self._log

    # -- feeding ---------------------------------------------------------------------------------------

    def _sms(self, entry: Entry) -> None:
        content = as_text(entry.data.get("content"))
        if content is None:
            return
        phone = as_text(entry.data.get("phone"))
        where = f"the SMS delivered to {mask_phone(phone) if phone else 'a number'}"
        holder = entry.borrower or as_text(entry.data.get("intended"))
        self._look(entry, "sms", where, holder, content, ())

    def _delivery(self, entry: Entry) -> None:
        body = entry.data.get("body")
        if body is None:
            return
        texts: list[str] = []
        named: list[str] = []
        _walk(body, None, texts, named)
        where = f"the {entry.operation or 'delivery'} delivery to the platform"
        self._look(entry, f"delivery {entry.operation}", where, entry.borrower, " | ".join(texts), tuple(named))

    def _log(self, entry: Entry) -> None:
        line = entry.data.get("line")
        if isinstance(line, str) and line:
            self._look(entry, "log", "a platform log line", entry.borrower, line, ())

    def _look(
        self, entry: Entry, place: str, where: str, borrower: str | None, text: str, named: tuple[str, ...]
    ) -> None:
        if not text and not named:
            return  # a body of serials, codes and flags only: nothing here could carry personal data
        self.checked += 1
        key = (place, text if not named else text + "\x00" + "\x00".join(named))
        known = self.seen.get(key)
        if known is not None:
            known.count += 1
            return
        found = _Text(entry.seq, entry.virtual_time, where, borrower, entry.loan, text, named)
        self.seen[key] = found
        masked = mask_text(text)
        if masked != text:  # the numbers mask_text knows are there: are any of them full IDs or cards?
            leaks = [f"a full resident ID number ({mask_id(v)})" for v in find_ids(text)]
            leaks.extend(f"a full card number ({mask_card(v)})" for v in find_cards(text))
            if leaks:
                self.leaks.append((found, leaks))
        if _AMOUNT.search(text):
            self.with_amounts.append(found)

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        names = {name: borrower for borrower, name in self.facts.names.items() if len(name) >= 2}
        self.pattern = (
            re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))) if names else None
        )
        by_id = self.facts.id_numbers
        problems: dict[int, tuple[_Text, list[str], str | None]] = {}
        for found, leaks in self.leaks:
            owner = found.borrower or next((by_id[v] for v in find_ids(found.text) if v in by_id), None)
            problems[found.seq] = (found, list(leaks), owner)
        for found in self.with_amounts:
            named = [name for name in found.named if name]
            owner = found.borrower
            if self.pattern is not None:
                for match in self.pattern.finditer(found.text):
                    named.append(match[0])
                    owner = owner or names.get(match[0])
            if not named:
                continue
            amount = _AMOUNT.search(found.text)
            leak = f"a name ({mask_name(named[0])}) together with an amount ({amount[0] if amount else '?'})"
            known = problems.get(found.seq)
            if known is None:
                problems[found.seq] = (found, [leak], owner)
            else:
                known[1].append(leak)
        for seq in sorted(problems):
            found, leaks, owner = problems[seq]
            self._report(found, owner, f"carries {' and '.join(leaks)}")

    def _report(self, found: _Text, owner: str | None, what: str) -> None:
        excerpt = self._masked(found.text)
        if len(excerpt) > _EXCERPT:
            excerpt = excerpt[: _EXCERPT - 1] + "…"
        again = f" (and {found.count - 1} more time{'s' if found.count > 2 else ''})" if found.count > 1 else ""
        self.violate(
            owner,
            found.loan,
            f"{found.where} at {stamp(self.context.calendar, found.at)}{again} {what}: «{excerpt}»",
            (found.seq,),
        )

    def _masked(self, text: str) -> str:
        """``text`` with its IDs, cards, phones and every borrower's name masked."""
        masked = mask_text(text)
        if self.pattern is not None:
            masked = self.pattern.sub(lambda match: mask_name(match[0]), masked)
        return masked


def _walk(value: object, key: str | None, texts: list[str], named: list[str]) -> None:
    """Collect the strings of a JSON body (and long integers), skipping serials; note values under name keys."""
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            _walk(child, str(child_key), texts, named)
    elif isinstance(value, list | tuple):
        for child in value:
            _walk(child, key, texts, named)
    elif isinstance(value, str):
        if key in NAME_KEYS:
            named.append(value)
        elif key not in SERIAL_KEYS:
            texts.append(value)
    elif isinstance(value, int | float) and not isinstance(value, bool) and key not in SERIAL_KEYS:
        texts.append(str(value))
