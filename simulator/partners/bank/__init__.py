"""The funding bank: lender and ledger of record, its overdue batch and notices, and the credit-bureau furnisher.

    from simulator.partners.bank import BankConfig, BankModel
    engine.install(BankModel(engine, BankConfig(grace_days=3)))

What it journals (kind ``event``, partner ``bank``; ``borrower`` and ``loan`` set on every loan's event,
``serial`` = repayOuterNo or correctionNo where one applies, ``sms_out_id`` on notices):

- ``loanRegistered``; ``repayRejected`` (FAIL when it arrived), ``repayPosted`` (lines as allocated, penalty
  waived, ``clearedOverdue``), ``repayFailed`` (FAIL at posting), ``overdueCleared`` (an OVERDUE installment
  paid: ``markedAt``, ``collectedAt``, ``postedAt``, ``collectedWithinGrace``), ``loanSettled``.
- Daily, for no borrower: ``dayEnd``, ``reconciliationFileReady``, ``overdueBatch``, ``furnishing`` (counts);
  ``<job>Skipped`` / ``<job>Postponed`` when a fault hits ``bank.overdueBatch`` or ``bank.furnishing``.
- ``installmentOverdue``; ``overdueNoticeSent`` (``bizId``, ``outId``), ``overdueNoticeFailed`` (tried again at
  the next batch), ``overdueNoticeUnknown`` (answer lost; looked up before any new send).
- ``furnished`` (a 210: ``month``, ``rptDate``, ``rptDateCode``, ``rpyStatus``, ``negative``, ``submissionId``),
  ``furnishWithheld`` (negative, notice not sent yet), ``furnishFailed``, ``furnishLoaded``, ``furnishRetry``,
  ``furnishEscalated``.
- ``correctionAccepted``, ``correctionSubmitted`` (a 212), ``correctionSubmitFailed``, ``correctionRetry``,
  ``correctionCompleted``, ``correctionRejected``; ``disputeReceived``, ``disputeAnswered``.

Deliveries to the platform (kind ``delivery``): ``repayResultNotify`` and ``bankNotice`` (OVERDUE,
BUREAU_REPORTED, BUREAU_CORRECTED), retried after each ``callback_retry`` delay.
"""

from __future__ import annotations

from simulator.partners.bank._config import COMPONENTS, FURNISHING_MODES, BankConfig
from simulator.partners.bank._corrections import CANNOT_CONFIRM, CONFIRMED, CORRECTED, DisputeAnswer
from simulator.partners.bank._model import FURNISHING_POINT, OVERDUE_BATCH_POINT, BankModel

__all__ = [
    "CANNOT_CONFIRM",
    "COMPONENTS",
    "CONFIRMED",
    "CORRECTED",
    "FURNISHING_MODES",
    "FURNISHING_POINT",
    "OVERDUE_BATCH_POINT",
    "BankConfig",
    "BankModel",
    "DisputeAnswer",
]
