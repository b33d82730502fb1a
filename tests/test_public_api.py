"""The public API is exactly what ``simulator.__all__`` lists: adding or dropping a name is a decision."""

from __future__ import annotations

from types import ModuleType

import simulator

EXPECTED = {
    "Behaviour",
    "Call",
    "Fault",
    "Reply",
    "Request",
    "Response",
    "Simulator",
    "problem",
    "Calendar",
    "ScheduledEvent",
    "Span",
    "VirtualClock",
    "parse_duration",
    "parse_span",
    "Entry",
    "Journal",
    "Page",
    "Contract",
    "Violation",
    "Operation",
    "lint_contract",
    "load_contract",
    "load_contracts",
    "CalendarError",
    "ClockError",
    "ConfigError",
    "ContractError",
    "DriftError",
    "JournalError",
    "LendsimError",
    "__version__",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(simulator.__all__) == EXPECTED


def test_every_listed_name_exists() -> None:
    missing = [name for name in simulator.__all__ if not hasattr(simulator, name)]

    assert missing == []


def test_no_public_name_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(simulator).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }

    assert public - set(simulator.__all__) == set()


def test_every_error_derives_from_one_root() -> None:
    errors = [getattr(simulator, name) for name in simulator.__all__ if name.endswith("Error")]

    assert all(issubclass(error, simulator.LendsimError) for error in errors)
