"""The platform's client timeouts, as it declares them in ``setupRun``'s answer (``clientTimeouts``).

Over HTTP the simulator cannot see how long the platform's client waits for a partner; the platform says it
(contracts/platform.yaml, ``ClientTimeouts``), or ``lendsim run --client-timeout`` stands in for what it does not
say. A ``latency`` fault at or beyond it is served as a timeout, held until the client gives up; a shorter one is
answered at once, stamped that much later in virtual time (docs/scenarios.md, "Two clocks").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any, Final

from simulator._suggest import suggest
from simulator.clock import parse_duration
from simulator.errors import ConfigError, PlatformError

__all__ = ["DEFAULT_CLIENT_TIMEOUT", "MAX_CLIENT_TIMEOUT", "declared_timeouts"]

#: What ``lendsim run`` assumes of a partner the platform declares no client timeout for.
DEFAULT_CLIENT_TIMEOUT: Final = timedelta(seconds=10)
#: The longest client timeout taken: a client that waits longer has none worth declaring.
MAX_CLIENT_TIMEOUT: Final = timedelta(hours=1)
_FIX: Final = "write an ISO 8601 duration above 0 and at most PT1H, e.g. PT10S or PT0.5S"


def declared_timeouts(answer: Any, partners: Collection[str]) -> dict[str, timedelta]:
    """The client timeouts ``setupRun``'s ``answer`` declares, by partner (none declared: empty).

    A declaration that is not a mapping of the run's partners to durations above zero and at most an hour is a
    :class:`PlatformError` naming the field, the value and the fix: the run cannot honour what it cannot read.
    """
    declared = answer.get("clientTimeouts") if isinstance(answer, Mapping) else None
    if declared is None:
        return {}
    if not isinstance(declared, Mapping):
        raise PlatformError(
            "setupRun",
            f"clientTimeouts is {declared!r}, not a mapping of partner to duration",
            hint="answer e.g. {'ready': true, 'clientTimeouts': {'bank': 'PT10S', 'sms': 'PT3S'}}",
        )
    timeouts: dict[str, timedelta] = {}
    for partner, text in declared.items():
        if partner not in partners:
            raise PlatformError(
                "setupRun",
                f"clientTimeouts names {partner!r}, which is no partner of this run",
                hint=suggest(str(partner), sorted(partners)),
            )
        timeouts[partner] = _duration(partner, text)
    return timeouts


def _duration(partner: str, text: Any) -> timedelta:
    where = f"clientTimeouts.{partner}"
    if not isinstance(text, str):
        raise PlatformError("setupRun", f"{where} is {text!r}, not a duration", hint=_FIX)
    try:
        value = parse_duration(text)
    except ConfigError:
        raise PlatformError("setupRun", f"{where} is {text!r}, not a duration", hint=_FIX) from None
    if not timedelta(0) < value <= MAX_CLIENT_TIMEOUT:
        raise PlatformError("setupRun", f"{where} is {text!r}, outside the range", hint=_FIX)
    return value
