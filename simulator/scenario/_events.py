"""What the harness journals on the platform's behalf: a borrower paid in the platform's app (``borrowerRepaid``).

Invariants that ask "did the borrower pay on time?" (O1, O4) read this event, not the platform's requests to the
bank: it is the ground truth of a run. A scenario world journals it for each planned payment; a test without a
scenario journals it through ``lendsim.borrower_repaid(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core import Engine

__all__ = ["journal_borrower_repaid"]


def journal_borrower_repaid(sim: Engine, body: Mapping[str, Any], due_date: str | None = None) -> None:
    """Journal ``borrowerRepaid`` for a ``borrowerRepay`` body (``borrowerId``, ``loanOuterNo``, ``amount``,
    ``paidAt``, ``repayType``, optionally ``installmentNo``) and the installment's due date if known."""
    data = {"amount": body["amount"], "paidAt": body["paidAt"], "repayType": body["repayType"]}
    if body.get("installmentNo") is not None:
        data["installmentNo"] = body["installmentNo"]
    if due_date is not None:
        data["dueDate"] = due_date
    sim.event("platform", "borrowerRepaid", borrower=body.get("borrowerId"), loan=body["loanOuterNo"], data=data)
