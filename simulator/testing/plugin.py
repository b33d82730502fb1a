"""The lendsim pytest plugin (registered by installing lendsim): the ``lendsim`` fixture and marker.

@pytest.mark.lendsim(seed=7)
def test_repayment_reaches_the_bank(lendsim):
    platform = MyPlatform(bank_url=lendsim.base_url("bank"))
    platform.collect("LN-1", "1050.00")
    lendsim.advance(hours=1)
    assert lendsim.requests("bank", "repayApply")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from simulator.testing._harness import Lendsim

__all__ = ["lendsim", "pytest_configure"]

MARKER = (
    "lendsim(seed=0, start=None, passthrough_hosts=(), strict=False): configure the lendsim fixture — the "
    "simulated partners' seed, virtual start instant, hosts let through to the network, strict contract checks"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


@pytest.fixture
def lendsim(request: pytest.FixtureRequest) -> Iterator[Lendsim]:
    """A simulated bank, bureau and SMS gateway; every httpx client in the test is routed to them."""
    from simulator.testing._harness import Lendsim  # heavy imports only when a test asks for the fixture

    marker = request.node.get_closest_marker("lendsim")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if options.get("start") is None:
        options.pop("start", None)
    try:
        harness = Lendsim(**options)
    except TypeError as exc:
        raise pytest.UsageError(
            f"@pytest.mark.lendsim: {exc}; accepted: seed, start, passthrough_hosts, strict"
        ) from None
    with harness.routing():
        yield harness
    harness.sim.journal.close()
