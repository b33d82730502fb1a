"""What ``--platform`` names: a URL (a platform over HTTP), ``module:factory`` (an in-process one), or one of the
reference platforms, ``naive`` and ``resilient``.

The name is what a run carries around — to another process or another machine it is the name that travels (a
string pickles; a driver does not), and :func:`driver_maker` turns it into drivers where the run happens.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from simulator.errors import ConfigError
from simulator.run._drivers import HttpDriver, InProcessDriver, PlatformDriver
from simulator.run._timeouts import DEFAULT_CLIENT_TIMEOUT

__all__ = ["REFERENCE", "driver_maker", "over_http"]

#: The reference platforms by their short names.
REFERENCE: Final = {"naive": "lendsim_examples.naive:create", "resilient": "lendsim_examples.resilient:create"}


def over_http(platform: str) -> bool:
    """Whether ``platform`` is a URL: one running instance that every run against it shares."""
    return platform.startswith(("http://", "https://"))


def driver_maker(
    platform: str, *, client_timeout: timedelta | None = DEFAULT_CLIENT_TIMEOUT
) -> Callable[[], PlatformDriver]:
    """What makes a fresh driver for ``platform`` for each run; :class:`~simulator.errors.ConfigError` naming the
    platform and what it may be if it names nothing that can be imported.

    ``client_timeout``: over HTTP, how long the platform's client waits for a partner it declares no timeout for."""
    if over_http(platform):
        return lambda: HttpDriver(platform, client_timeout=client_timeout)
    target = REFERENCE.get(platform, platform)
    module_name, _, factory_name = target.partition(":")
    if not factory_name:
        raise ConfigError(f"{platform!r} is neither a URL, module:factory, nor one of {', '.join(REFERENCE)}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r}: {exc}") from None
    factory: Any = getattr(module, factory_name, None)
    if not callable(factory):
        raise ConfigError(f"{module_name} has no callable {factory_name!r}")
    return lambda: InProcessDriver(factory())
