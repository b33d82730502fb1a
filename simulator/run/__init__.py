"""Running scenarios against a platform: drivers (in-process, HTTP), the runner, and its reports."""

from simulator.errors import PlatformError
from simulator.run._drivers import (
    HARNESS_OPERATIONS,
    RECEIVERS,
    HttpDriver,
    InProcessDriver,
    PlatformDriver,
    snake,
)
from simulator.run._runner import RunResult, run_scenario

__all__ = [
    "HARNESS_OPERATIONS",
    "RECEIVERS",
    "HttpDriver",
    "InProcessDriver",
    "PlatformDriver",
    "PlatformError",
    "RunResult",
    "run_scenario",
    "snake",
]
