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
from simulator.run._instants import DEFAULT_CONCURRENCY
from simulator.run._runner import RunResult, run_scenario
from simulator.run._timeouts import DEFAULT_CLIENT_TIMEOUT

__all__ = [
    "DEFAULT_CLIENT_TIMEOUT",
    "DEFAULT_CONCURRENCY",
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
