"""The failure modes of the domain notes (shared/reference/lending-domain.md §2), by slug.

A scenario says which it covers (``covers: [outage-across-cutoff, …]``); ``lendsim lint`` checks the slugs.
"""

from __future__ import annotations

__all__ = ["FAILURE_MODES"]

#: slug → (catalog number, what fails)
FAILURE_MODES: dict[str, tuple[int, str]] = {
    "outage-across-cutoff": (1, "Bank API outage across the cut-off"),
    "timeout-after-commit": (2, "The bank posts, the response is lost"),
    "key-reuse-different-amount": (3, "Same repayOuterNo with a different amount"),
    "new-key-same-collection": (4, "A new repayOuterNo minted for the same collection"),
    "duplicate-callback": (5, "repayResultNotify delivered several times"),
    "out-of-order-callback": (6, "An older callback state arrives after a newer one"),
    "late-or-lost-callback": (7, "A callback delivered days late, or never"),
    "batch-line-failures": (8, "Batch-level success with line failures"),
    "reconciliation-missing-rows": (9, "The reconciliation file omits rows"),
    "reconciliation-duplicate-rows": (10, "Duplicate or extra rows in the reconciliation file"),
    "reconciliation-file-late": (11, "The reconciliation file is late, empty or missing"),
    "reconciliation-file-redelivered": (12, "The reconciliation file is re-delivered with changes"),
    "overdue-batch-before-sync": (13, "The overdue batch runs before the repayments are synchronised"),
    "clock-skew": (14, "Platform and bank clocks disagree near the cut-off"),
    "utc-cst-storage": (15, "One side stores UTC: an eight-hour date shift"),
    "calendar-mismatch": (16, "30 days versus 30 working days; make-up working days"),
    "early-settlement": (17, "Early settlement mid-cycle"),
    "partial-repayment": (18, "Partial repayment and allocation order"),
    "reversal-after-success": (19, "A reversal or refund after success"),
    "double-collection": (20, "The borrower pays in the app while a card debit also succeeds"),
    "compensation-then-payment": (21, "Guarantor compensation, then the borrower pays"),
    "sms-retry-storm": (22, "SMS accepted, client times out, retries: the same SMS sent many times"),
    "sms-receipt-duplicated-or-dropped": (23, "Delivery receipts duplicated or lost"),
    "recycled-phone-number": (24, "A recycled or stale phone number reaches someone else"),
    "unknown-lender": (25, "The borrower does not know the lender of record"),
    "sms-claims-untrue-bureau-state": (26, "The SMS claims a bureau report that did not happen"),
    "negative-report-without-notice": (27, "A negative record reported without prior notice"),
    "correction-rejected": (28, "A correction rejected by the bureau, then resubmitted"),
    "dispute-during-window": (29, "The borrower disputes during the correction window"),
    "pii-leakage": (30, "Personal data leaks through callbacks, logs or SMS"),
    # signed partner traffic (docs/signing.md), beyond the domain notes' list
    "forged-callback": (31, "A callback or notice the bank did not sign (forged or unsigned) is acted on"),
    "key-rotation": (32, "The bank starts signing with a new key mid-run"),
    "replayed-nonce": (33, "A signed request is replayed with the same nonce"),
}
