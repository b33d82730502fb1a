"""Running scenarios against a platform: drivers (in-process, HTTP), the runner, and its reports."""

from simulator.run._drivers import HttpDriver, InProcessDriver, PlatformDriver, PlatformError, snake
from simulator.run._runner import RunResult, run_scenario

__all__ = ["HttpDriver", "InProcessDriver", "PlatformDriver", "PlatformError", "RunResult", "run_scenario", "snake"]
