"""In-process testing for platform teams: httpx transports and respx routes over the simulator core, and
``Lendsim``, what the pytest plugin's ``lendsim`` fixture yields."""

from simulator.scenario import Repayment
from simulator.testing._harness import InvariantFailure, Lendsim, PlatformHandler
from simulator.testing._routes import UnroutedRequestError, mock_router
from simulator.testing._transport import HOST_SUFFIX, SimulatorTransport, base_url
from simulator.testing._travel import INSTALL_HINT

__all__ = [
    "HOST_SUFFIX",
    "INSTALL_HINT",
    "InvariantFailure",
    "Lendsim",
    "PlatformHandler",
    "Repayment",
    "SimulatorTransport",
    "UnroutedRequestError",
    "base_url",
    "mock_router",
]
