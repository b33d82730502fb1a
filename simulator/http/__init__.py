"""The HTTP adapter: an ASGI app over the simulator core, and ``serve`` on uvicorn."""

from simulator.http._app import ASGIApp, TransportFaultError, create_app
from simulator.http._deliver import HttpDeliverer
from simulator.http._serve import RealtimeDriver, is_loopback, serve

__all__ = ["ASGIApp", "HttpDeliverer", "RealtimeDriver", "TransportFaultError", "create_app", "is_loopback", "serve"]
