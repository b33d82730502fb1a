"""Every error lendsim raises on purpose derives from :class:`LendsimError`.

    LendsimError
     ├── ContractError        a contract file cannot be loaded (file, JSON pointer, reason)
     ├── ClockError           virtual time asked to do something impossible (go backwards, …)
     ├── CalendarError        a calendar question it cannot answer (a year without holiday data, …)
     ├── JournalError         the journal cannot be opened or queried as asked
     ├── ConfigError          an option or setting has a bad value
     ├── UnreachableError     a service to check (or proxy to) does not answer at all
     ├── PlatformError        the platform under test failed an operation the harness called (a run's error)
     └── DriftError           a built-in behaviour answered outside its contract (strict mode)

Messages say what happened, show the offending value with ``!r`` and give the fix.

:class:`Interrupted` is not one of them: it is the user asking a command to stop (SIGINT, SIGTERM), a
``BaseException`` like ``KeyboardInterrupt`` so that clean-up (``finally``) runs and ``except Exception`` does
not swallow it.
"""

from __future__ import annotations

import signal

__all__ = [
    "CalendarError",
    "ClockError",
    "ConfigError",
    "ContractError",
    "DriftError",
    "Interrupted",
    "JournalError",
    "LendsimError",
    "PlatformError",
    "UnreachableError",
]


class LendsimError(Exception):
    """Root of every error raised by lendsim on purpose."""


class ContractError(LendsimError):
    """A contract file cannot be loaded or indexed.

    ``file`` is the contract's path, ``pointer`` the JSON pointer of the offending node ("" for the
    whole document), ``line`` the 1-based line when known.
    """

    def __init__(self, reason: str, *, file: str = "", pointer: str = "", line: int | None = None) -> None:
        self.reason = reason
        self.file = file
        self.pointer = pointer
        self.line = line
        where = file or "<contract>"
        if line is not None:
            where += f":{line}"
        if pointer:
            where += f" at {pointer}"
        super().__init__(f"{where}: {reason}")


class ClockError(LendsimError, ValueError):
    """Virtual time cannot do what was asked (e.g. move backwards)."""


class CalendarError(LendsimError, LookupError):
    """The calendar cannot answer (e.g. no holiday data for the year asked)."""


class JournalError(LendsimError):
    """The journal cannot be opened or queried as asked."""


class ConfigError(LendsimError, ValueError):
    """An option or setting has a bad value. ``field`` names it (e.g. "outage.status") when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnreachableError(LendsimError, ConnectionError):
    """A service lendsim was pointed at (``lendsim check --url``, ``lendsim proxy --upstream``) does not answer."""


class PlatformError(LendsimError):
    """The platform under test failed an operation the harness called — ``setupRun``, ``tick``,
    ``borrowerRepay``, ``platformLedger`` of ``contracts/platform.yaml``: it could not be reached, answered an
    error status or something that is not JSON, or (in-process) has no such method or raised.

    A run stops at the first one and ends as an error (``lendsim run`` exits 2), never as a verdict: what the
    invariants would judge did not happen. A delivery *to* the platform it fails (a callback, a notice, an SMS
    receipt answered 500) is not one of these — that is part of the scenario, retried by the sender and judged.

    ``operation`` is the operationId, ``answer`` what the platform said or what went wrong (callers mask it).
    """

    def __init__(self, operation: str, answer: str, *, hint: str = "") -> None:
        self.operation = operation
        self.answer = answer
        self.hint = hint
        super().__init__(f"the platform failed {operation}: {answer}" + (f"; {hint}" if hint else ""))


class DriftError(LendsimError):
    """A built-in behaviour answered with a status, field or header its contract does not declare.

    Raised only when the simulator runs with ``strict=True`` (the test suite does); otherwise the drift
    is recorded in the journal as a ``drift`` entry.
    """


class Interrupted(BaseException):
    """A command was asked to stop by a signal (``signum``: SIGINT or SIGTERM).

    Raised where the work was (a run between two calls, a server once it has shut down); the CLI ends the
    process by the same signal after every clean-up has run (``simulator/cli/_stop.py``).
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signum)

    @property
    def name(self) -> str:
        """``SIGINT``, ``SIGTERM``."""
        return signal.Signals(self.signum).name
