"""``lendsim serve``: the ASGI app on uvicorn, and the one place that maps wall time to virtual time."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import uvicorn

from simulator.core import Engine
from simulator.http._app import TransportFaultError, create_app
from simulator.http._deliver import HttpDeliverer

__all__ = ["RealtimeDriver", "is_loopback", "serve"]


class RealtimeDriver:
    """Virtual time = start + (wall elapsed × speed). ``sync()`` moves the clock there, running due events."""

    def __init__(self, sim: Engine, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.sim = sim
        self.speed = speed
        self._monotonic = monotonic
        self._wall_start = monotonic()
        self._virtual_start = sim.clock.now()
        sim.clock_mode = "realtime"
        sim.speed = speed

    def sync(self) -> None:
        target = self._virtual_start + timedelta(seconds=(self._monotonic() - self._wall_start) * self.speed)
        if target > self.sim.clock.now():
            self.sim.clock.advance_to(target)
        else:  # someone advanced the clock by hand (control API): follow from there
            self._virtual_start = self.sim.clock.now()
            self._wall_start = self._monotonic()


class _DropTransportFaults(logging.Filter):
    """Deliberately dropped connections are the point of a fault, not a server error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], TransportFaultError))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    sim: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    speed: float | None = None,
    platform_url: str | None = None,
    log_level: str = "warning",
) -> None:
    """Serve ``sim`` until interrupted. Virtual time is manual unless ``speed`` maps wall time onto it.

    With ``platform_url``, callbacks, notices and SMS receipts are POSTed to the platform's receivers there.
    """
    deliverer = HttpDeliverer(platform_url) if platform_url else None
    if deliverer is not None:
        sim.deliverer = deliverer
    driver = RealtimeDriver(sim, speed) if speed else None
    app = create_app(sim, tick=driver.sync if driver else None)
    logging.getLogger("uvicorn.error").addFilter(_DropTransportFaults())
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on", server_header=False
    )
    try:
        uvicorn.Server(config).run()
    finally:
        if deliverer is not None:
            deliverer.close()
