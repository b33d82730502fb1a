"""Contract conformance of a running service: schemathesis drives it, lendsim reports per operation.

``resolve_target(contract, url) → Target``, ``run_check(target, CheckOptions(...)) → CheckReport``, then
``console_report(report)`` and ``write_check_junit(report, path)``. ``lendsim check`` is the command over it.
"""

from simulator.conformance._report import console_report, write_check_junit
from simulator.conformance._results import CheckReport, ContractFailure, OperationResult
from simulator.conformance._run import CHECK_NAMES, PHASES, CheckOptions, mask_curl, run_check
from simulator.conformance._target import Target, probe, resolve_target

__all__ = [
    "CHECK_NAMES",
    "PHASES",
    "CheckOptions",
    "CheckReport",
    "ContractFailure",
    "OperationResult",
    "Target",
    "console_report",
    "mask_curl",
    "probe",
    "resolve_target",
    "run_check",
    "write_check_junit",
]
