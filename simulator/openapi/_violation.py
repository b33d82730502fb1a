"""What the contract checks report: :class:`Violation`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request or response breaks its contract: where, which rule, and in words."""

    field: str  # "body.repayList[0].paidPrincipal", "query.limit", "path.loanOuterNo", "header.x-token"
    rule: str  # the JSON Schema keyword broken: "required", "pattern", "type", …
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}
