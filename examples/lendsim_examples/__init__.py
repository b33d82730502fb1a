"""Reference platforms shipped with lendsim: a naive and a resilient integration (the harness 's proof of power)."""

from lendsim_examples._base import LOGGER_NAME, BasePlatform, Platform, Problem, snake
from lendsim_examples.asgi import PlatformApp, app_for, create_app
from lendsim_examples.naive import NaivePlatform
from lendsim_examples.resilient import SAFEGUARDS, ResilientPlatform

__all__ = [
    "LOGGER_NAME",
    "SAFEGUARDS",
    "BasePlatform",
    "NaivePlatform",
    "Platform",
    "PlatformApp",
    "Problem",
    "ResilientPlatform",
    "app_for",
    "create_app",
    "snake",
]
