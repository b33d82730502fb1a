"""O12 ``signed_callbacks_only``: the platform acts on no callback whose signature does not verify.

In a signed run (``signing:``, ``docs/signing.md``) the bank signs every callback and notice it delivers. An
``unsigned_callback`` or ``forged_callback`` fault sends a copy first that the bank did not sign — without the
signature headers, or signed with a key the bank does not hold; a forged ``repayResultNotify`` claims the opposite
of the truth (``SUCCESS`` for a repayment the bank failed, ``FAIL`` for one it took), as a forger would. The
delivery is journaled with ``data.signature`` ``unsigned`` or ``forged`` (a genuine one: the key id).

What counts, for each such copy (``checked``):

- the platform **acknowledged** it (a 2xx answer): it took an unverified message as the bank's word — a violation;
- a forged ``repayResultNotify`` whose claim differs from every genuine callback about that ``repayOuterNo``, and the
  platform's last word on the repayment (``platformRepayStatus``, from its ledger at the end) is the forged claim
  while the bank's genuine callbacks said otherwise: it **acted** on the forgery — a violation.

A run where no unsigned or forged copy was delivered judged nothing: not exercised, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from simulator.journal import Entry
from simulator.oracles._base import Context, Handler, Oracle, Route, as_text, body_of
from simulator.oracles._facts import Facts

__all__ = ["SignedCallbacksOnly"]

#: How ``data.signature`` marks a copy the bank did not sign.
_TAMPERED: Final = frozenset({"forged", "unsigned"})


@dataclass(slots=True)
class _Copy:
    seq: int
    how: str
    hook: str
    borrower: str | None
    loan: str | None
    status: int | None
    key: str | None  # the repayOuterNo of a repayResultNotify
    claim: str | None  # its repayStatus


class SignedCallbacksOnly(Oracle):
    invariant = "O12"
    key = "signed_callbacks_only"
    judges = "deliveries the bank did not sign"

    def __init__(self, context: Context, params: Mapping[str, Any], facts: Facts) -> None:
        super().__init__(context, params, facts)
        self._copies: list[_Copy] = []
        self._genuine: dict[str, set[str]] = {}  # repayOuterNo -> what the bank's signed callbacks said
        self._platform: dict[str, tuple[str | None, int]] = {}  # repayOuterNo -> the platform's last word, seq

    def routes(self) -> Iterable[tuple[Route, Handler]]:
        yield ("delivery", "bank", None), self._delivered
        yield ("event", "platform", "platformRepayStatus"), self._platform_says

    def _delivered(self, entry: Entry) -> None:
        how = as_text(entry.data.get("signature"))
        if how is None:
            return
        body = body_of(entry)
        key = claim = None
        if entry.operation == "repayResultNotify" and isinstance(body, dict):
            key, claim = as_text(body.get("repayOuterNo")), as_text(body.get("repayStatus"))
        if how not in _TAMPERED:
            if key is not None and claim is not None:
                self._genuine.setdefault(key, set()).add(claim)
            return
        self._copies.append(
            _Copy(entry.seq, how, entry.operation or "?", entry.borrower, entry.loan, entry.status, key, claim)
        )

    def _platform_says(self, entry: Entry) -> None:
        key = as_text(entry.data.get("repayOuterNo")) or entry.serial
        if key is not None:
            self._platform[key] = (as_text(entry.data.get("repayStatus")), entry.seq)

    def judge(self) -> None:
        for copy in self._copies:
            self.checked += 1
            what = f"a {copy.how} {copy.hook} the bank did not sign" + (
                f" (repayment {copy.key}, claiming {copy.claim})" if copy.key else ""
            )
            found: list[str] = []
            chain = [copy.seq]
            if copy.status is not None and 200 <= copy.status < 300:
                found.append(f"the platform acknowledged ({copy.status}) {what}")
            truth = self._genuine.get(copy.key, set()) if copy.key is not None else set()
            said = self._platform.get(copy.key) if copy.key is not None else None
            if truth and copy.claim not in truth and said is not None and said[0] == copy.claim:
                found.append(
                    f"the platform holds repayment {copy.key} as {copy.claim}, as {what if not found else 'it'} "
                    f"claimed; the bank's signed callbacks said {', '.join(sorted(truth))}"
                )
                chain.append(said[1])
            if found:
                self.violate(copy.borrower, copy.loan, "; ".join(found), chain)
