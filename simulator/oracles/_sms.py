"""O2 ``sms_unique``: at most one overdue SMS per loan, installment and template, and none to a non-borrower.

Every delivered copy counts (``smsDelivered``; a ``duplicate`` fault at the handset makes several copies of
one send, a retry storm makes several sends). An SMS is an *overdue* SMS when its template is the one the
bank's overdue notices use (``overdueNoticeSent.templateCode``, ``bankNotice.smsTemplateCode``) or its OutId
is an overdue notice's. Its (loan, installment) comes from that OutId, else from its number (the loan
registered with it) and its ``dueDate`` parameter; an SMS that resolves to neither is grouped by OutId, else
by number, template and parameters.

Any other SMS the sender keyed with an OutId (a platform's own message about an installment, such as "we will
restore your credit record") is held to the same rule per (OutId, template): a blind retry storm under one key
is as much a duplicate as the bank's.

Any SMS — overdue or not — that the gateway says reached someone other than the person it was meant for
(``toIntended`` false, or ``recipient`` ≠ ``intended``) is a violation: it went to a non-borrower.

``senders`` (default both ``bank`` and ``platform``) limits the check to the messages of those senders (by the
``x-lendsim-source`` of the ``sendSms`` that carried the OutId): ``[platform]`` judges what the platform under
test sent, leaving the bank's notices — which a recycled number takes to a stranger whatever the platform
does — out of its verdict.

What the phone receives decides too, whatever ids the sender used: the same text delivered to the same number
again within ``repeat_window`` (default 24 hours) of the previous copy is a repeat — a platform that resends
under a fresh OutId each time is caught by what the borrower's phone shows, not by its keys.

What it judged (``checked``): every delivered SMS of those senders; and, when the platform is one of them, every
installment the bank told the platform was overdue (a ``bankNotice`` OVERDUE it acknowledged) — the occasions
on which a platform sends its own SMS about an installment. A platform that rightly sends nothing on them (it
cannot tell a reissued number from its borrower's) has been judged on them, not left "not exercised", as O1
judges an installment paid in time that nothing went wrong with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, ClassVar, Final

from simulator.journal import Entry
from simulator.masking import mask_phone
from simulator.oracles._base import Context, Handler, Oracle, Route, as_int, as_text, body_of, bounded, source_of, stamp
from simulator.oracles._facts import SENDERS, Facts, Sms, read_senders

__all__ = ["SENDERS", "SmsUnique"]

#: How close two copies of the same text to the same number must be to count as a repeat, unless ``expect:`` says.
REPEAT_WINDOW: Final = timedelta(hours=24)
_EXCERPT: Final = 24


class SmsUnique(Oracle):
    invariant = "O2"
    key = "sms_unique"
    judges = "delivered SMS of the judged senders and overdue installments the platform was told of"
    params: ClassVar[Mapping[str, Any]] = {"senders": SENDERS, "repeat_window": REPEAT_WINDOW}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self.senders = read_senders(self.key, params["senders"])
        self.window: timedelta = params["repeat_window"]
        self.sends: dict[str, list[int]] = {}  # OutId -> sendSms requests
        self.sender_of: dict[str, str] = {}  # OutId -> who sent it
        self.told: set[tuple[str, int]] = set()  # (loan, installment) the platform acknowledged as overdue

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("request", "sms", "sendSms"), self._send
        if "platform" in self.senders:
            yield ("delivery", "bank", "bankNotice"), self._told

    def _told(self, entry: Entry) -> None:
        body = body_of(entry)
        if entry.status is None or not 200 <= entry.status < 300 or not isinstance(body, Mapping):
            return
        loan, no = as_text(body.get("loanOuterNo")) or entry.loan, as_int(body.get("installmentNo"))
        if body.get("noticeType") == "OVERDUE" and loan is not None and no is not None:
            self.told.add((loan, no))

    def _send(self, entry: Entry) -> None:
        if entry.sms_out_id is not None:
            self.sends.setdefault(entry.sms_out_id, []).append(entry.seq)
            self.sender_of[entry.sms_out_id] = "bank" if source_of(entry) == "bank" else "platform"

    def _judged(self, sms: Sms) -> bool:
        """Whether ``sms`` is one this check judges: sent by one of ``senders`` — as the gateway recorded the send,
        else as the ``sendSms`` that carried its OutId says (an SMS whose sender is unknown always is)."""
        sender = sms.sender
        if sender is None and sms.out_id is not None:
            sender = self.sender_of.get(sms.out_id)
        return sender is None or sender in self.senders

    def judge(self) -> None:
        facts = self.facts
        groups: dict[tuple[str, ...], list[Sms]] = {}
        targets: dict[tuple[str, ...], tuple[str, int] | None] = {}
        strays: set[tuple[str | None, str | None, str | None]] = set()
        received: dict[tuple[str, str], list[Sms]] = {}  # (number, text) -> what that phone showed
        self.checked += len(self.told)  # occasions for the platform's own SMS, whether it sent any or not
        for sms in facts.sms:
            if not self._judged(sms):
                continue
            self.checked += 1
            received.setdefault((sms.phone or "?", sms.message), []).append(sms)
            stray = (sms.biz_id, sms.phone, sms.recipient)
            if sms.wrong_recipient and stray not in strays:  # once per send, however many copies
                strays.add(stray)
                self._stray(sms)
            if not facts.is_overdue_notice(sms) and sms.out_id is None:
                continue  # not about an installment, and no sender key to tell a repeat by
            target = facts.target(sms)
            template = sms.template or "?"
            if target is not None:
                key: tuple[str, ...] = ("loan", target[0], str(target[1]), template)
            elif sms.out_id is not None:
                key = ("out", sms.out_id, template)
            else:
                key = ("to", sms.phone or "?", template, sms.params_key)
            groups.setdefault(key, []).append(sms)
            targets[key] = target
        said: list[frozenset[int]] = []
        for key, copies in groups.items():
            if len(copies) > 1:
                self._repeated(copies, targets[key])
                said.append(frozenset(sms.seq for sms in copies))
        for copies in received.values():
            for burst in self._bursts(copies):
                seqs = frozenset(sms.seq for sms in burst)
                if not any(seqs <= known for known in said):  # not just the repeat an id already told
                    self._received_again(burst)

    def _bursts(self, copies: list[Sms]) -> Iterable[list[Sms]]:
        """The runs of ``copies`` (one text to one number) in which each came within the window of the one before."""
        burst: list[Sms] = []
        for sms in sorted(copies, key=lambda item: (item.at, item.seq)):
            if burst and sms.at - burst[-1].at > self.window:
                if len(burst) > 1:
                    yield burst
                burst = []
            burst.append(sms)
        if len(burst) > 1:
            yield burst

    def _received_again(self, burst: list[Sms]) -> None:
        first, last = burst[0], burst[-1]
        sends = len({sms.biz_id for sms in burst})
        out_ids = sorted({sms.out_id for sms in burst if sms.out_id})
        target = self.facts.target(first)
        loan = target[0] if target is not None else None
        borrower = self.facts.borrower_of(loan) or first.intended or first.recipient
        if borrower is None and first.phone is not None:
            loans = self.facts.phones.get(first.phone, ())
            borrower = self.facts.borrower_of(loans[0]) if loans else None
        text = first.content or first.template or "?"
        excerpt = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
        phone = mask_phone(first.phone) if first.phone else "a number"
        keys = (
            f"under {len(out_ids)} different OutIds ({', '.join(bounded(out_ids, 2))})"
            if len(out_ids) > 1
            else f"under one OutId ({out_ids[0]})"
            if out_ids
            else "without an OutId"
        )
        chain = [seq for out_id in out_ids for seq in bounded(self.sends.get(out_id, []), 1)]
        chain.extend(bounded([sms.seq for sms in burst], 3))
        self.violate(
            borrower,
            loan,
            f"the same SMS {first.template} «{excerpt}» reached {phone} "
            f"{len(burst)} times ({sends} send{'s' if sends != 1 else ''} {keys}) between "
            f"{stamp(self.context.calendar, first.at)} and {stamp(self.context.calendar, last.at)}, each within "
            f"{_hours(self.window)} of the one before; a phone should show a message once",
            chain,
        )

    def _repeated(self, copies: list[Sms], target: tuple[str, int] | None) -> None:
        first, last = copies[0], copies[-1]
        sends = len({sms.biz_id for sms in copies})
        phones = ", ".join(sorted({mask_phone(sms.phone) for sms in copies if sms.phone}))
        calendar = self.context.calendar
        loan, what = (target[0], f"loan {target[0]} installment {target[1]}") if target else (None, "one notice")
        borrower = self.facts.borrower_of(loan) or first.intended or first.recipient
        out_ids = sorted({sms.out_id for sms in copies if sms.out_id})
        chain = [seq for out_id in out_ids for seq in bounded(self.sends.get(out_id, []), 2)]
        if target is not None:
            chain.extend(self.facts.notice_seqs.get(target, ()))
        chain.extend(bounded([sms.seq for sms in copies], 3))
        self.violate(
            borrower,
            loan,
            f"{what}: the {'overdue ' if self.facts.is_overdue_notice(first) else ''}SMS {first.template} was "
            f"delivered {len(copies)} times "
            f"({sends} send{'s' if sends != 1 else ''}) to {phones or 'an unknown number'} between "
            f"{stamp(calendar, first.at)} and {stamp(calendar, last.at)}; at most one is allowed"
            + (f" (OutId {', '.join(out_ids)})" if out_ids else ""),
            chain,
        )

    def _stray(self, sms: Sms) -> None:
        target = self.facts.target(sms)
        loan = target[0] if target is not None else None
        meant = sms.intended or self.facts.borrower_of(loan)
        holder = f"held by {sms.recipient}" if sms.recipient else "held by someone else"
        chain = [*bounded(self.sends.get(sms.out_id, []), 1), sms.seq] if sms.out_id else [sms.seq]
        self.violate(
            meant,
            loan,
            f"SMS {sms.template} meant for borrower {meant or '?'}"
            + (f" (loan {loan} installment {target[1]})" if target else "")
            + f" was delivered to {mask_phone(sms.phone) if sms.phone else 'a number'}, {holder}, "
            f"at {stamp(self.context.calendar, sms.at)}: it reached a non-borrower",
            chain,
        )


def _hours(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    return f"{hours:g} hours" if hours == int(hours) else str(span)
