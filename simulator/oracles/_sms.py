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

What it judged (``checked``): every delivered SMS of those senders; and, when the platform is one of them, every
installment the bank told the platform was overdue (a ``bankNotice`` OVERDUE it acknowledged) — the occasions
on which a platform sends its own SMS about an installment. A platform that rightly sends nothing on them (it
cannot tell a reissued number from its borrower's) has been judged on them, not left "not exercised", as O1
judges an installment paid in time that nothing went wrong with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from simulator.errors import ConfigError
from simulator.journal import Entry
from simulator.masking import mask_phone
from simulator.oracles._base import Context, Handler, Oracle, Route, as_int, as_text, body_of, bounded, source_of, stamp
from simulator.oracles._facts import Facts, Sms

__all__ = ["SmsUnique"]

#: Who sends SMS in a run: the bank (its overdue notices) and the platform (its own messages).
SENDERS: tuple[str, ...] = ("bank", "platform")


class SmsUnique(Oracle):
    invariant = "O2"
    key = "sms_unique"
    judges = "delivered SMS of the judged senders and overdue installments the platform was told of"
    params: ClassVar[Mapping[str, Any]] = {"senders": SENDERS}

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        senders = params["senders"]
        senders = [senders] if isinstance(senders, str) else senders
        unknown = [name for name in senders if name not in SENDERS] if isinstance(senders, list | tuple) else senders
        if not senders or unknown:
            raise ConfigError(
                f"expect.sms_unique.senders: {params['senders']!r} is not a list of {' and '.join(SENDERS)}; "
                "e.g. [platform] to judge only the platform's own messages",
                field="sms_unique.senders",
            )
        self.senders = frozenset(senders)
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
        """Whether ``sms`` is one this check judges: sent by one of ``senders`` (an SMS whose sender is unknown
        always is)."""
        sender = self.sender_of.get(sms.out_id) if sms.out_id is not None else None
        return sender is None or sender in self.senders

    def judge(self) -> None:
        facts = self.facts
        groups: dict[tuple[str, ...], list[Sms]] = {}
        targets: dict[tuple[str, ...], tuple[str, int] | None] = {}
        strays: set[tuple[str | None, str | None, str | None]] = set()
        self.checked += len(self.told)  # occasions for the platform's own SMS, whether it sent any or not
        for sms in facts.sms:
            if not self._judged(sms):
                continue
            self.checked += 1
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
        for key, copies in groups.items():
            if len(copies) > 1:
                self._repeated(copies, targets[key])

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
