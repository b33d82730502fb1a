"""The lendsim pytest plugin (installing lendsim registers it): the ``lendsim`` fixture and marker.

@pytest.mark.lendsim(scenario="xiaomi-minsheng-2019", borrowers=20)
def test_no_borrower_is_left_delinquent(lendsim):
    platform = MyPlatform(bank_url=lendsim.base_url("bank"))
    lendsim.on_repay(lambda repayment: platform.collect(repayment.body))
    lendsim.run_until_end()
    lendsim.check()

A top-level module of its own, outside the ``simulator`` package, so that loading it — in every pytest session
of an environment where lendsim is installed — imports nothing of lendsim: the simulator is imported when a
test first asks for the fixture (hypothesis keeps its plugin apart for the same reason).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from simulator.testing import Lendsim

__all__ = ["ACCEPTED", "MARKER", "lendsim", "pytest_configure"]

#: What ``@pytest.mark.lendsim(...)`` takes: the keyword arguments of ``simulator.testing.Lendsim``.
ACCEPTED = ("scenario", "seed", "borrowers", "start", "passthrough_hosts", "strict", "freeze_time")

MARKER = (
    "lendsim(scenario=None, seed=None, borrowers=None, start=None, passthrough_hosts=(), strict=False, "
    "freeze_time=False): configure the lendsim fixture — a catalog scenario's world (a name or a scenario "
    "file) or an empty one, its seed and population size, the virtual start instant, hosts let through to the "
    "network, strict contract checks, and the platform's datetime.now() on the virtual clock"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


@pytest.fixture
def lendsim(request: pytest.FixtureRequest) -> Iterator[Lendsim]:
    """A simulated bank, bureau and SMS gateway; every httpx client in the test is routed to them."""
    from simulator.errors import LendsimError  # the simulator is imported only when a test asks for it
    from simulator.testing import Lendsim

    options = _options(request)
    try:
        harness = Lendsim(**options)
    except LendsimError as exc:
        raise pytest.UsageError(f"@pytest.mark.lendsim: {exc}") from None
    try:
        with harness:
            yield harness
    finally:
        harness.close()


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The marker's keyword arguments, the closest marker first (a test's over its class's over its module's)."""
    options: dict[str, Any] = {}
    for marker in request.node.iter_markers("lendsim"):
        if marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.lendsim takes keyword arguments only, got {marker.args!r}; "
                f"accepted: {', '.join(ACCEPTED)}"
            )
        for key, value in marker.kwargs.items():
            options.setdefault(key, value)
    unknown = [_with_hint(key) for key in options if key not in ACCEPTED]
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.lendsim: unknown argument {', '.join(unknown)}; accepted: {', '.join(ACCEPTED)}"
        )
    if options.get("start") is None:
        options.pop("start", None)
    scenario = options.get("scenario")
    if isinstance(scenario, (str, Path)) and str(scenario).endswith((".yaml", ".yml")):
        beside = request.path.parent / scenario  # a relative path: beside the test file first
        if not Path(scenario).is_absolute() and beside.is_file():
            options["scenario"] = beside
    return options


def _with_hint(key: str) -> str:
    close = difflib.get_close_matches(key, ACCEPTED, n=1)
    return f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key)
