"""The simulator core: one dispatch function over contracts, clock, journal, faults and behaviours."""

from simulator.core._engine import (
    CONTROL,
    DEFAULT_START,
    MAX_BODY,
    SOURCE_HEADER,
    VIRTUAL_TIME_HEADER,
    Behaviour,
    Engine,
    request_data,
)
from simulator.core._faults import ACTIONS, Fault, Faults, parse_fault
from simulator.core._messages import (
    PROBLEM_JSON,
    Call,
    Reply,
    Request,
    Response,
    dumps,
    invalid_request,
    no_operation,
    problem,
)
from simulator.core._world import Deliverer, DeliveryResult, Model

__all__ = [
    "ACTIONS",
    "CONTROL",
    "DEFAULT_START",
    "MAX_BODY",
    "PROBLEM_JSON",
    "SOURCE_HEADER",
    "VIRTUAL_TIME_HEADER",
    "Behaviour",
    "Call",
    "Deliverer",
    "DeliveryResult",
    "Engine",
    "Fault",
    "Faults",
    "Model",
    "Reply",
    "Request",
    "Response",
    "dumps",
    "invalid_request",
    "no_operation",
    "parse_fault",
    "problem",
    "request_data",
]
