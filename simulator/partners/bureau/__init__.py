"""The credit bureau: report files with per-record feedback codes, each subject's view and history, and
disputes answered within the Art. 25 window. See ``contracts/bureau.yaml`` for the loading rules and codes.

    model = BureauModel(engine, BureauConfig(dispute_business_days=True))
    engine.install(model)
    model.on_dispute(lambda dispute: ...)          # the furnisher hears of a dispute
    model.answer(dispute_id, "CORRECTED", "note")  # and answers it
"""

from __future__ import annotations

from simulator.partners.bureau._config import BureauConfig
from simulator.partners.bureau._disputes import (
    OUTCOMES,
    Dispute,
    DisputeAlreadyAnswered,
    DisputeError,
    DisputeNotFound,
    InvalidAnswer,
    InvalidDispute,
)
from simulator.partners.bureau._model import BureauModel, RecordNotFound
from simulator.partners.bureau._records import CODES, LOADED, NEGATIVE_ACCT_STATUS, NEGATIVE_RPY_STATUS, is_negative
from simulator.partners.bureau._submissions import FeedbackRow

__all__ = [
    "CODES",
    "LOADED",
    "NEGATIVE_ACCT_STATUS",
    "NEGATIVE_RPY_STATUS",
    "OUTCOMES",
    "BureauConfig",
    "BureauModel",
    "Dispute",
    "DisputeAlreadyAnswered",
    "DisputeError",
    "DisputeNotFound",
    "FeedbackRow",
    "InvalidAnswer",
    "InvalidDispute",
    "RecordNotFound",
    "is_negative",
]
