"""The OpenAPI layer: load contracts, index their operations, validate requests and responses."""

from simulator.openapi._contract import Contract, load_contract, load_contracts
from simulator.openapi._lint import Finding, lint_contract, lint_receivers
from simulator.openapi._operations import MediaSpec, Operation, OperationIndex, ResponseSpec, Violation, snake

__all__ = [
    "Contract",
    "Finding",
    "MediaSpec",
    "Operation",
    "OperationIndex",
    "ResponseSpec",
    "Violation",
    "lint_contract",
    "lint_receivers",
    "load_contract",
    "load_contracts",
    "snake",
]
