"""The naive integration: what a platform looks like when it works on a good day — and what the 2019 incident did.

It is a reference for the harness to catch, so each defect is deliberate and named here:

- **forwards once, drops on error**: a repayment is sent to the bank at the moment the borrower pays; a 503,
  a refused connection, any error, and it is logged and forgotten. Nothing retries it, nothing reconciles it
  — so a link that is down across the overdue batch leaves a borrower who paid on time overdue at the bank
  and reported to the credit bureau (O1).
- **a new ``repayOuterNo`` per attempt**: when an answer times out it tries again at once, twice, each time as
  a new business order — so a timeout after the bank committed posts a partial payment twice (O4).
- **no callback dedupe, no terminal states**: every SUCCESS callback is written off again (a callback
  delivered three times counts the payment three times in its ledger, O4), and a late FAIL or PROCESSING
  overwrites a SUCCESS (O6).
- **blind SMS retries**: on the bank's OVERDUE notice it sends the borrower its own "we will restore your
  credit within 30 working days" SMS at once, with a 1 s timeout and up to 6 retries on any timeout — the
  gateway accepted the first one, so the borrower gets seven (O2).
- **no reconciliation, no correction requests**: the bureau keeps the wrongful record (O1, O5).
- **personal data in its logs**: names, full resident ID numbers, phone and card numbers next to amounts (O7).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import httpx

from lendsim_examples._base import (
    FAIL,
    PROCESSING,
    SUCCESS,
    BasePlatform,
    Collection,
    money_str,
)

__all__ = ["NaivePlatform", "create"]

#: The platform's reassurance after the wrongful notices of 2019 (a template of the simulated gateway).
CREDIT_RESTORE_TEMPLATE: Final = "SMS_153055080"
_TIMEOUT_RETRIES: Final = 2  # repayApply: attempts after a timeout, each with a new repayOuterNo
_SMS_RETRIES: Final = 6


class NaivePlatform(BasePlatform):
    """A platform that forwards once, trusts every callback, retries SMS blindly and logs everything."""

    kind: ClassVar[str] = "naive"
    bank_timeout: ClassVar[float] = 3.0
    sms_timeout: ClassVar[float] = 1.0

    def __init__(self, *, sign_name: str = "小米金融", bank_name: str = "民生银行") -> None:
        super().__init__(masked_logs=False)
        self.sign_name = sign_name
        self.bank_name = bank_name

    def on_setup(self) -> None:
        for borrower in self.borrowers.values():  # defect: the whole customer file in the logs
            self.log.info(
                "borrower %s: %s, ID %s, phone %s, card %s",
                borrower.borrower_id,
                borrower.name,
                borrower.cert_no,
                borrower.phone,
                borrower.card_no,
            )

    # -- the app ---------------------------------------------------------------------------------------------

    def borrower_repay(self, body: dict[str, Any]) -> dict[str, Any]:
        """borrowerRepay: take the money and forward it right now; on error, give up."""
        key = self.serial("NV")
        collection = self.new_collection(body, key)
        borrower = self.borrowers.get(collection.borrower_id)
        who = f"{borrower.name} (ID {borrower.cert_no}, card {borrower.card_no})" if borrower else "?"
        self.log.info("collected %s from %s for loan %s", money_str(collection.amount), who, collection.loan_no)
        self._forward(collection)
        return {"accepted": True, "platformRepayNo": key}

    def _forward(self, collection: Collection) -> None:
        body = collection.body
        for attempt in range(_TIMEOUT_RETRIES + 1):
            if attempt:  # defect: a retry is a new business order
                key = self.serial("NV")
                collection.aliases.append(key)
                self.collections[key] = collection
                body = {**body, "repayOuterNo": key}
            collection.attempts += 1
            try:
                response = self.call("bank", "POST", "/repayments", json={**body, "reqNo": self.serial("NQ")})
            except httpx.TimeoutException:
                self.log.warning("repayment %s timed out; trying again", body["repayOuterNo"])
                continue
            except httpx.HTTPError as exc:
                self.log.error("repayment %s failed (%s); dropped", body["repayOuterNo"], exc)
                collection.dropped = True
                return
            if response.status_code != 200:
                self.log.error("repayment %s failed with HTTP %d; dropped", body["repayOuterNo"], response.status_code)
                collection.dropped = True
                return
            result = response.json()
            self._apply(collection, result["repayStatus"], result["repayOuterNo"])
            return
        self.log.error("repayment %s: no answer after %d attempts; dropped", collection.key, collection.attempts)
        collection.dropped = True

    def _apply(self, collection: Collection, status: str, key: str) -> None:
        collection.state = status  # defect: whatever came last wins, SUCCESS included
        if status == SUCCESS:
            collection.write_offs += 1  # defect: applied again on every callback
            self.log.info("repayment %s written off (%d)", key, collection.write_offs)
        elif status == FAIL:
            self.log.info("repayment %s failed at the bank", key)

    def weight(self, collection: Collection) -> int:
        """The books count every SUCCESS it was told about, as many times as it was told."""
        return collection.write_offs

    # -- receivers -------------------------------------------------------------------------------------------

    def repay_result_notify(
        self, body: dict[str, Any], headers: Mapping[str, str] | None = None, raw: bytes | None = None
    ) -> dict[str, Any]:
        """repayResultNotify: apply it, every time."""
        self.check_delivery("repayResultNotify", headers, raw)
        self.observe(body.get("notifiedAt"))
        collection = self.collections.get(str(body["repayOuterNo"]))
        if collection is not None and body["repayStatus"] in (SUCCESS, FAIL, PROCESSING):
            self._apply(collection, str(body["repayStatus"]), str(body["repayOuterNo"]))
        return {"respCode": "0000", "respMsg": "success"}

    def bank_notice(
        self, body: dict[str, Any], headers: Mapping[str, str] | None = None, raw: bytes | None = None
    ) -> dict[str, Any]:
        """bankNotice: on an overdue notice, reassure the borrower by SMS at once (blind retries)."""
        self.check_delivery("bankNotice", headers, raw)
        self.observe(body.get("sentAt"))
        loan = self.loans.get(str(body["loanOuterNo"]))
        if loan is None:
            return {"respCode": "0000", "respMsg": "success"}
        if body["noticeType"] == "OVERDUE":
            loan.overdue_notices.add(int(body["installmentNo"]))
            self._reassure(loan.borrower_id, loan.loan_no, int(body["installmentNo"]))
        return {"respCode": "0000", "respMsg": "success"}

    def _reassure(self, borrower_id: str, loan_no: str, installment: int) -> None:
        borrower = self.borrowers.get(borrower_id)
        if borrower is None:
            return
        request = {
            "PhoneNumbers": borrower.phone,
            "SignName": self.sign_name,
            "TemplateCode": CREDIT_RESTORE_TEMPLATE,
            "TemplateParam": json.dumps({"bank": self.bank_name}, ensure_ascii=False, separators=(",", ":")),
            "OutId": f"nv-{loan_no}-{installment}-{CREDIT_RESTORE_TEMPLATE}"[:64],
        }
        for attempt in range(_SMS_RETRIES + 1):
            self.log.info(
                "SMS %s to %s (%s), attempt %d", CREDIT_RESTORE_TEMPLATE, borrower.phone, borrower.name, attempt + 1
            )
            try:
                response = self.call("sms", "POST", "/send", json=request, timeout=self.sms_timeout)
            except httpx.HTTPError:
                continue  # defect: the gateway may well have sent it; send it again
            if response.status_code == 200 and response.json().get("Code") == "OK":
                return

    def sms_report(self, body: list[dict[str, Any]]) -> dict[str, Any]:
        """smsReport: acknowledge."""
        for report in body:
            self.observe(report.get("report_time"))
            self.log.info("SMS receipt for %s: %s", report.get("phone_number"), report.get("err_code"))
        return {"code": 0, "msg": "成功"}


def create() -> NaivePlatform:
    """A fresh naive platform (``--platform naive``)."""
    return NaivePlatform()
