"""lendsim: a funding bank, a credit bureau and an SMS gateway from OpenAPI contracts, on a virtual clock.

The curated public API lives here; ``tests/test_public_api.py`` fails when it drifts.
"""

from simulator._version import __version__
from simulator.clock import Calendar, ScheduledEvent, Span, VirtualClock, parse_duration, parse_span
from simulator.core import Behaviour, Call, Fault, Reply, Request, Response, problem
from simulator.errors import (
    CalendarError,
    ClockError,
    ConfigError,
    ContractError,
    DriftError,
    JournalError,
    LendsimError,
)
from simulator.journal import Entry, Journal, Page
from simulator.openapi import Contract, Operation, Violation, lint_contract, load_contract, load_contracts
from simulator.world import Simulator

__all__ = [
    # The simulator and the messages it speaks
    "Behaviour",
    "Call",
    "Fault",
    "Reply",
    "Request",
    "Response",
    "Simulator",
    "problem",
    # Virtual time
    "Calendar",
    "ScheduledEvent",
    "Span",
    "VirtualClock",
    "parse_duration",
    "parse_span",
    # The journal
    "Entry",
    "Journal",
    "Page",
    # Contracts
    "Contract",
    "Violation",
    "Operation",
    "lint_contract",
    "load_contract",
    "load_contracts",
    # Errors
    "CalendarError",
    "ClockError",
    "ConfigError",
    "ContractError",
    "DriftError",
    "JournalError",
    "LendsimError",
    "__version__",
]
