"""What a conformance check found, per operation: how many cases ran, which rules broke, and how to replay them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CheckReport", "ContractFailure", "OperationResult"]


@dataclass(frozen=True, slots=True)
class ContractFailure:
    """One rule an answer broke: the schemathesis check, what it says, and the request (a curl line) that broke it."""

    check: str  # "response_schema_conformance", "not_a_server_error", …
    title: str  # "Response violates schema"
    message: str  # the check's explanation, masked
    curl: str  # the request that reproduces it, masked
    phase: str  # "examples", "coverage", "fuzzing", "stateful"


@dataclass(slots=True)
class OperationResult:
    """One operation of the contract: cases sent to it and what went wrong."""

    method: str  # upper case
    path: str  # the template, e.g. "/loans/{loanOuterNo}"
    operation_id: str | None
    cases: int = 0
    failures: list[ContractFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # cases that got no answer (timeouts, refused connections)
    seconds: float = 0.0
    answered: int = 0  # answers to requests sent with the operation's own method
    reached: int = 0  # of those, answers that came from the operation (not a router's 404/405: _reach.py)
    stray: str = ""  # one answer that came from something else, in one line ("404 text/html …")
    stray_curl: str = ""  # the request it answered, masked
    stray_phase: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def name(self) -> str:
        """``"repayApply (POST /repayments)"``, or the label alone without an operationId."""
        return f"{self.operation_id} ({self.label})" if self.operation_id else self.label

    @property
    def passed(self) -> bool:
        """Nothing broke and at least one answer came from the operation: a check that saw nothing did not pass."""
        return not self.failures and not self.errors and self.reached > 0


@dataclass(slots=True)
class CheckReport:
    """A whole ``lendsim check`` run."""

    contract: Path
    title: str
    base_url: str
    seed: int
    operations: list[OperationResult]
    max_examples: int = 0
    seconds: float = 0.0
    time_limit: float | None = None
    time_limited: bool = False  # generation stopped because the time limit was reached
    stateful_cases: int = 0  # cases sent while following the contract's links (also counted per operation)
    errors: list[str] = field(default_factory=list)  # what went wrong outside any one operation
    stopped_unreached: bool = False  # generation stopped early: every operation answered, none from itself

    @property
    def cases(self) -> int:
        return sum(result.cases for result in self.operations)

    @property
    def failed(self) -> list[OperationResult]:
        return [result for result in self.operations if not result.passed]

    @property
    def reached_nothing(self) -> bool:
        """Answers came, but none from any operation of the contract: the base URL is not where it is served."""
        return any(result.answered for result in self.operations) and not any(
            result.reached for result in self.operations
        )

    @property
    def passed(self) -> bool:
        return not self.failed and not self.errors
