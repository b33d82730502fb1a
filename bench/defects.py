"""Defective platforms written apart from the catalog: each is the resilient reference platform with one small,
realistic integration defect that none of its switchable safeguards names — the kind of bug a platform team
ships. ``bench/detection.py`` replays the catalog against each and reports which scenario catches it, on which
invariant; ``tests/run/test_catalog.py`` pins that the catalog catches every one.

========================  =========================================================================================
defect                    what it does wrong
========================  =========================================================================================
``fresh-out-id``          its "we will restore your credit" SMS is keyed by a new serial for every overdue notice the
                          bank delivers: a notice delivered three times sends the borrower the same SMS three times,
                          each under a fresh OutId
``id-in-out-id``          it builds the OutId of its SMS from the borrower's resident ID number (``rst-<ID>-<n>``),
                          which then travels to the gateway and back in every receipt
``night-sms``             its SMS window is 23:00–24:00: reassurances go out late at night
``fresh-key-on-timeout``  a repayApply whose answer is lost is sent again at once under a new repayOuterNo (the old
                          one kept as an alias) instead of asking the bank: one collection, two bank orders
``card-info``             every repayApply carries ``cardInfo`` (card number, ID number, card phone), as a pre-2021
                          integration did — personal data the bank has no need of (断直连)
``unverified-callbacks``  it signs what it sends the bank but never checks the signature of what the bank delivers
                          (the check "can come later"): a forged "repayment failed" is believed
========================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import time
from typing import Any, Final

from lendsim_examples._base import Collection, LoanFile, bounded
from lendsim_examples.resilient import CREDIT_RESTORE_TEMPLATE, ResilientPlatform, SmsTask

__all__ = ["DEFECTS", "CardInfo", "FreshKeyOnTimeout", "FreshOutId", "IdInOutId", "NightSms", "UnverifiedCallbacks"]


class FreshOutId(ResilientPlatform):
    """Each overdue notice the bank delivers queues a new SMS with a new OutId: duplicates are never seen."""

    def _reassure(self, loan: LoanFile, no: int) -> None:
        borrower = self.borrowers.get(loan.borrower_id)
        if borrower is None:
            return
        out_id = self.serial("SM")
        self._sms[out_id] = SmsTask(
            out_id, borrower.borrower_id, borrower.phone, CREDIT_RESTORE_TEMPLATE, {"bank": self.bank_name}
        )
        self._open_sms.add(out_id)


class IdInOutId(ResilientPlatform):
    """The SMS ledger is keyed by the borrower's resident ID number and the installment."""

    def _reassure(self, loan: LoanFile, no: int) -> None:
        borrower = self.borrowers.get(loan.borrower_id)
        if borrower is None:
            return
        out_id = bounded("rst", borrower.cert_no, no)
        if out_id in self._sms:
            return
        self._sms[out_id] = SmsTask(
            out_id, borrower.borrower_id, borrower.phone, CREDIT_RESTORE_TEMPLATE, {"bank": self.bank_name}
        )
        self._open_sms.add(out_id)


class NightSms(ResilientPlatform):
    """SMS only between 23:00 and midnight."""

    def __init__(self) -> None:
        super().__init__(sms_hours=(time(23, 0), time(23, 59, 59)))


class FreshKeyOnTimeout(ResilientPlatform):
    """A lost answer is taken as "not sent": the collection goes out again at once under a new repayOuterNo (the old
    key kept as an alias, so callbacks and the file still find it); a second lost answer goes the resilient way."""

    def _answer_lost(self, collection: Collection, reason: str) -> str:
        if collection.aliases:  # retried under a new key once already
            return super()._answer_lost(collection, reason)
        old = collection.key
        collection.aliases.append(old)
        collection.key = self.serial("RP")
        collection.body = {**collection.body, "repayOuterNo": collection.key}
        self.collections[collection.key] = collection
        self._open.discard(old)
        self.log.info("repayment %s: no answer (%s); sending it again as %s", old, reason, collection.key)
        return self._send(collection)


class CardInfo(ResilientPlatform):
    """Every repayApply carries the borrower's card, ID number and card phone."""

    def new_collection(self, body: Mapping[str, Any], key: str) -> Collection:
        collection = super().new_collection(body, key)
        borrower = self.borrowers.get(collection.borrower_id)
        if borrower is not None:
            collection.body["cardInfo"] = {
                "bankCardNo": borrower.card_no,
                "certNo": borrower.cert_no,
                "cardPhone": borrower.phone,
            }
        return collection


class UnverifiedCallbacks(ResilientPlatform):
    """Callbacks and notices are taken as the bank's word without checking their signature."""

    def check_delivery(self, operation: str, headers: Mapping[str, str] | None, raw: bytes | None) -> None:
        return None


#: Each defective platform by name, as a factory of a fresh platform.
DEFECTS: Final[Mapping[str, Callable[[], ResilientPlatform]]] = {
    "fresh-out-id": FreshOutId,
    "id-in-out-id": IdInOutId,
    "night-sms": NightSms,
    "fresh-key-on-timeout": FreshKeyOnTimeout,
    "card-info": CardInfo,
    "unverified-callbacks": UnverifiedCallbacks,
}
