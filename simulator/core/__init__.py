"""The simulator core: one dispatch function over contracts, clock, journal, faults and behaviours."""

from simulator.core._faults import ACTIONS, Fault, Faults, parse_fault
from simulator.core._messages import PROBLEM_JSON, Call, Reply, Request, Response, problem
from simulator.core._simulator import CONTROL, DEFAULT_START, MAX_BODY, VIRTUAL_TIME_HEADER, Behaviour, Simulator

__all__ = [
    "ACTIONS",
    "CONTROL",
    "DEFAULT_START",
    "MAX_BODY",
    "PROBLEM_JSON",
    "VIRTUAL_TIME_HEADER",
    "Behaviour",
    "Call",
    "Fault",
    "Faults",
    "Reply",
    "Request",
    "Response",
    "Simulator",
    "parse_fault",
    "problem",
]
