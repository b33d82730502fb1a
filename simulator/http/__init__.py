"""The HTTP adapter: an ASGI app over the simulator core, ``serve`` on uvicorn, and the validation proxy."""

from simulator.http._app import ASGIApp, TransportFaultError, create_app, lifespan, read_body
from simulator.http._client import KeepAliveClient
from simulator.http._deliver import HttpDeliverer
from simulator.http._examples import ExampleRecorder
from simulator.http._guard import MIN_TOKEN, ControlGuard
from simulator.http._parser import problem_protocol
from simulator.http._proxy import VIOLATIONS_HEADER, Exchange, ValidationProxy
from simulator.http._serve import STOP_GRACE, RealtimeDriver, is_loopback, listen, make_server, run_server, serve
from simulator.http._timeouts import HOLD_MARGIN, ClientTimeouts

__all__ = [
    "HOLD_MARGIN",
    "MIN_TOKEN",
    "STOP_GRACE",
    "VIOLATIONS_HEADER",
    "ASGIApp",
    "ClientTimeouts",
    "ControlGuard",
    "ExampleRecorder",
    "Exchange",
    "HttpDeliverer",
    "KeepAliveClient",
    "RealtimeDriver",
    "TransportFaultError",
    "ValidationProxy",
    "create_app",
    "is_loopback",
    "lifespan",
    "listen",
    "make_server",
    "problem_protocol",
    "read_body",
    "run_server",
    "serve",
]
