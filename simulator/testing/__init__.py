"""In-process testing for platform teams: httpx transports and respx routes over the simulator core."""

from simulator.testing._harness import InvariantFailure, Lendsim
from simulator.testing._routes import UnroutedRequestError, mock_router
from simulator.testing._transport import HOST_SUFFIX, SimulatorTransport, base_url

__all__ = [
    "HOST_SUFFIX",
    "InvariantFailure",
    "Lendsim",
    "SimulatorTransport",
    "UnroutedRequestError",
    "base_url",
    "mock_router",
]
