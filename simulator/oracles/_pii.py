"""O7 ``pii_minimized``: no personal data in anything the platform sends out, nor where it can leak.

Looked at:

- everything the platform sends: each request to a partner (``x-lendsim-source`` absent or ``platform``) — its
  path, query string, the headers the journal keeps, and every value of its body, ids such as ``OutId`` and
  ``repayOuterNo`` included; its log lines (``platformLog``); its answers to the harness that the journal holds
  (``platformLedger``);
- what reaches a phone or the platform: the text of every delivered SMS (``smsDelivered`` ``content``) and every
  delivery to the platform (callbacks, notices, SMS receipts).

Found in them, each a violation:

- a borrower's resident ID number (from the bank's ``registerLoan``) anywhere, even inside a longer id
  (``rst-<ID>-3``); any full 18-character resident ID — a valid GB 11643 number — outside an id field;
- a full card number — 16–19 digits (or in groups of four) that pass the Luhn check and start like a card
  (3, 4, 5 or 6) — outside an id field;
- in what the platform sends, its logs and its ledger: a borrower's mobile number (also written ``139 1234 5678``);
- a person's name together with an amount (``1006.00``, ``300元``, ``¥300``): the name of a borrower the bank
  registered (``registerLoan``'s ``name``), or any value under a ``name``/``Name`` key of a body.

Fields whose purpose is personal data are not read (:data:`PERSONAL_FIELDS`): the gateway's ``PhoneNumbers`` and
``PhoneNumber``, the borrower's details in the bank's ``registerLoan``, a dispute's subject in ``fileDispute``, and
``cardInfo`` of a ``REPAY_BY_USER`` card debit — the one repayApply that needs the card, its ID and phone. Any
other ``cardInfo`` is data the bank has no need of (断直连, data minimisation).

Numbers are found where :func:`simulator.masking.mask_text` finds them (the same boundaries: not inside a
longer number, not the decimals of an amount); values under keys that hold opaque serials (``biz_id``,
``repayOuterNo``, …) are read only for the borrowers' own numbers, never as "some valid ID or card". Each
distinct leak in an SMS, a delivery or a log line is reported once, with how often it recurred; in the
platform's requests, once per operation, field and kind of data, with how often.

Not seen (the journal does not hold them): headers other than ``user-agent``, ``x-request-id``,
``idempotency-key``, ``content-type`` and ``content-length``; the platform's answers to the harness other than
its ledger (``borrowerRepay``, ``tick``) and to the partners' deliveries; the borrowers' card numbers as such
(``setupRun`` is not journaled), so a card is found by its form (Luhn), not by whose it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl

from simulator.journal import Entry
from simulator.masking import NAME_KEYS, mask_card, mask_id, mask_name, mask_phone, mask_text
from simulator.oracles._base import PLATFORM_SOURCES, Context, Handler, Oracle, Route, as_text, source_of, stamp
from simulator.oracles._facts import Facts

__all__ = ["PERSONAL_FIELDS", "PiiMinimized", "find_cards", "find_ids", "valid_card", "valid_id"]

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


@dataclass(slots=True)
class _Sent:
    """The first request of one operation that carried one kind of personal data in one field, and how often."""

    seq: int
    at: datetime
    where: str
    field: str
    borrower: str | None
    loan: str | None
    text: str
    leak: str
    count: int = 1


class PiiMinimized(Oracle):
    invariant = "O7"
    key = "pii_minimized"
    judges = "platform requests, SMS, deliveries, platform log lines and ledgers with text"
    params: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.seen: dict[tuple[str, str], _Text] = {}  # (kind of place, text) -> first occurrence
        self.leaks: list[tuple[_Text, list[str]]] = []
        self.with_amounts: list[_Text] = []
        self.sent: dict[tuple[str, str, str], _Sent] = {}  # (operation, field, kind) -> first request
        self.pattern: re.Pattern[str] | None = None  # every borrower's name, once judging starts
        self._names: tuple[int, re.Pattern[str] | None] = (0, None)  # names known so far, as a pattern

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("request", None, None), self._request
        yield ("event", "sms", "smsDelivered"), self._sms
        yield ("delivery", None, None), self._delivery
        yield ("event", "platform", "platformLog"), self._log
        yield ("event", "platform", "platformLedger"), self._ledger

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
            self._look(entry, "log", "a platform log line", entry.borrower, line, (), phones=True)

    def _ledger(self, entry: Entry) -> None:
        texts: list[str] = []
        named: list[str] = []
        _walk(entry.data, None, texts, named)
        self._look(entry, "ledger", "the platform's ledger", None, " | ".join(texts), tuple(named), phones=True)

    def _look(
        self,
        entry: Entry,
        place: str,
        where: str,
        borrower: str | None,
        text: str,
        named: tuple[str, ...],
        *,
        phones: bool = False,
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
        leaks = [self._said(kind, value) for kind, value in self._numbers(text, phones=phones)]
        if leaks:
            self.leaks.append((found, leaks))
        if _AMOUNT.search(text):
            self.with_amounts.append(found)

    def _numbers(self, text: str, *, phones: bool, generic: bool = True) -> list[tuple[str, str]]:
        """The personal numbers in ``text``, each once: (``id``/``card``/``phone``, the number). ``generic``: any valid
        ID or card counts, not only the borrowers' own numbers."""
        found: dict[str, str] = {}
        if generic and mask_text(text) != text:  # the numbers mask_text knows are there: full IDs or cards?
            found.update((value, "id") for value in find_ids(text))
            found.update((value, "card") for value in find_cards(text))
        ids, numbers = self.facts.id_numbers, self.facts.phones
        for match in _RUN.finditer(_JOINED.sub("", text) if phones else text):
            run = match[0].upper()
            for index in range(len(run) - 17):
                if run[index : index + 18] in ids:
                    found.setdefault(run[index : index + 18], "id")
            if phones:
                for index in range(len(run) - 10):
                    if run[index : index + 11] in numbers:
                        found.setdefault(run[index : index + 11], "phone")
        return [(kind, value) for value, kind in found.items()]

    @staticmethod
    def _said(kind: str, value: str) -> str:
        if kind == "id":
            return f"a full resident ID number ({mask_id(value)})"
        if kind == "card":
            return f"a full card number ({mask_card(value)})"
        return f"a borrower's mobile number ({mask_phone(value)})"

    # -- what the platform sends ---------------------------------------------------------------------------

    def _request(self, entry: Entry) -> None:
        if entry.kind != "request" or source_of(entry) not in PLATFORM_SOURCES or entry.partner in (None, "_sim"):
            return
        self.checked += 1
        operation = f"{entry.partner}.{entry.operation or '?'}"
        texts: list[str] = []
        named: list[str] = []
        for field, serial, text in _request_fields(entry):
            if (entry.partner, entry.operation, field.rsplit(".", 1)[-1]) in PERSONAL_FIELDS:
                continue
            for kind, value in self._numbers(text, phones=True, generic=not serial):
                self._sent(entry, operation, field, kind, self._said(kind, value), text)
            if field.startswith("body.") and field.rsplit(".", 1)[-1] in NAME_KEYS:
                named.append(text)
            elif not serial:
                texts.append(text)
        joined = " | ".join(texts)
        amount = _AMOUNT.search(joined)
        if amount is None:
            return
        names = [name for name in named if name]
        pattern = self._known_names()
        if pattern is not None:
            names.extend(match[0] for match in pattern.finditer(joined))
        if names:
            leak = f"a name ({mask_name(names[0])}) together with an amount ({amount[0]})"
            self._sent(entry, operation, "body", "name", leak, joined)

    def _sent(self, entry: Entry, operation: str, field: str, kind: str, leak: str, text: str) -> None:
        known = self.sent.get((operation, field, kind))
        if known is not None:
            known.count += 1
            return
        where = f"the platform's {entry.operation or 'request'} request to the {entry.partner}"
        self.sent[(operation, field, kind)] = _Sent(
            entry.seq, entry.virtual_time, where, field, entry.borrower, entry.loan, text, leak
        )

    def _known_names(self) -> re.Pattern[str] | None:
        """The names of the borrowers registered so far, as one pattern (made again only when more are known)."""
        names = self.facts.names
        if len(names) != self._names[0]:
            self._names = (len(names), _names_pattern(names))
        return self._names[1]

    # -- judging ---------------------------------------------------------------------------------------

    def judge(self) -> None:
        names = {name: borrower for borrower, name in self.facts.names.items() if len(name) >= 2}
        self.pattern = _names_pattern(self.facts.names)
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
        reports: list[tuple[int, int, Callable[[], None]]] = [
            (seq, 0, partial(self._report, found, owner, f"carries {' and '.join(leaks)}"))
            for seq, (found, leaks, owner) in problems.items()
        ]
        reports.extend(
            (sent.seq, index + 1, partial(self._report_sent, sent)) for index, sent in enumerate(self.sent.values())
        )
        for _, _, report in sorted(reports, key=lambda item: item[:2]):
            report()  # in journal order

    def _report(self, found: _Text, owner: str | None, what: str) -> None:
        excerpt = self._excerpt(found.text)
        again = f" (and {found.count - 1} more time{'s' if found.count > 2 else ''})" if found.count > 1 else ""
        self.violate(
            owner,
            found.loan,
            f"{found.where} at {stamp(self.context.calendar, found.at)}{again} {what}: «{excerpt}»",
            (found.seq,),
        )

    def _report_sent(self, sent: _Sent) -> None:
        again = f" (and {sent.count - 1} more request{'s' if sent.count > 2 else ''})" if sent.count > 1 else ""
        place = "its body" if sent.field == "body" else sent.field
        self.violate(
            sent.borrower or self.facts.borrower_of(sent.loan),
            sent.loan,
            f"{sent.where} at {stamp(self.context.calendar, sent.at)}{again} carries {sent.leak} in {place}: "
            f"«{self._excerpt(sent.text)}»",
            (sent.seq,),
        )

    def _excerpt(self, text: str) -> str:
        """``text`` with its IDs, cards, phones and every borrower's name masked, cut short."""
        masked = mask_text(text)
        for value, kind in self._embedded(masked):
            masked = masked.replace(value, mask_id(value) if kind == "id" else mask_phone(value))
        pattern = self.pattern or _names_pattern(self.facts.names)
        if pattern is not None:
            masked = pattern.sub(lambda match: mask_name(match[0]), masked)
        return masked if len(masked) <= _EXCERPT else masked[: _EXCERPT - 1] + "…"

    def _embedded(self, text: str) -> list[tuple[str, str]]:
        """The borrowers' IDs and phones still in ``text`` once mask_text is done: inside longer digit runs."""
        return [(value, kind) for kind, value in self._numbers(text, phones=True, generic=False)]


#: Fields of a partner's request whose purpose is a borrower's personal data: (partner, operation, field name). A
#: loan registered at the bank names its borrower; a dispute names its subject; an SMS goes to a number. (A card
#: debit's ``cardInfo`` is allowed in ``repayApply`` of mode ``REPAY_BY_USER`` only: see ``_request_fields``.)
PERSONAL_FIELDS: Final = frozenset(
    {
        ("sms", "sendSms", "PhoneNumbers"),
        ("sms", "querySendDetails", "PhoneNumber"),
        ("bank", "registerLoan", "certNo"),
        ("bank", "registerLoan", "phone"),
        ("bank", "registerLoan", "name"),
        ("bureau", "fileDispute", "IDNum"),
        ("bureau", "fileDispute", "Name"),
    }
)
_RUN: Final = re.compile(r"[0-9]{11,}[Xx]?")
_JOINED: Final = re.compile(r"(?<=[0-9])[ -](?=[0-9])")


def _names_pattern(names: Mapping[str, str]) -> re.Pattern[str] | None:
    known = sorted({name for name in names.values() if len(name) >= 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in known)) if known else None


def _request_fields(entry: Entry) -> Iterator[tuple[str, bool, str]]:
    """(field, whether it holds an opaque serial, text) for each piece of a request the platform sent: its path,
    each query parameter, the headers the journal keeps, every value of its body."""
    data = entry.data
    path = data.get("path")
    if isinstance(path, str):
        yield "path", True, path
    query = data.get("query")
    if isinstance(query, str) and query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            yield f"query.{name}", name in SERIAL_KEYS, value
    headers = data.get("headers")
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if isinstance(value, str) and name not in _PLAIN_HEADERS:
                yield f"header {name}", False, value
    body = data.get("body")
    if body is None and isinstance(data.get("bodyText"), str):
        yield "body", False, data["bodyText"]
        return
    card_debit = (
        entry.operation == "repayApply" and isinstance(body, Mapping) and body.get("repayMode") == "REPAY_BY_USER"
    )
    yield from _body_fields(body, "body", None, skip="cardInfo" if card_debit else None)


#: Headers that hold nothing a platform chose: never personal data.
_PLAIN_HEADERS: Final = frozenset({"content-type", "content-length", "x-lendsim-source"})


def _body_fields(value: object, field: str, key: str | None, *, skip: str | None) -> Iterator[tuple[str, bool, str]]:
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            if child_key == skip:
                continue  # a card debit's cardInfo: the one place the card, its ID and phone belong
            name = str(child_key)
            yield from _body_fields(child, f"{field}.{name}", name, skip=None)
    elif isinstance(value, list | tuple):
        for child in value:
            yield from _body_fields(child, field, key, skip=None)
    elif isinstance(value, str):
        yield field, key in SERIAL_KEYS, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield field, key in SERIAL_KEYS, str(value)


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
