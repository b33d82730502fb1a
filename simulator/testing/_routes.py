"""respx routes over the simulator core: a platform's own httpx clients, wherever they are created, reach the
simulated partners in-process. A request to a host nobody routed fails with the host and the fix.

The routes answer a client whose transport is httpx's own network transport at httpx's level (the transport is
wrapped, as respx's ``using="httpx"`` does): httpx never writes the request for the wire nor reads the answer back,
which was about a third of a routed call. Every other request that reaches httpcore's connection pool (a client
with a subclass or a wrapper of httpx's transport) is answered at httpcore's level, as respx does by default; a
transport that stays in memory (``httpx.MockTransport``, an ASGI app, ``lendsim.transport``) is left to itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.mocks import HTTPCoreMocker, HTTPXMocker, Mocker
from respx.models import SideEffectError
from respx.transports import TryTransport

from simulator.core import Engine
from simulator.testing._transport import _core_request, base_url, to_httpx

__all__ = ["UnroutedRequestError", "mock_router"]


class UnroutedRequestError(AssertionError):
    """A platform under test sent a request to a host the simulator does not route (nothing reaches the network)."""


class _PartnerRoute(respx.Route):
    """A route the simulator answers: it resolves a matched request to the simulator's answer itself.

    respx's generic side-effect dispatch reads the side effect's signature on every call (``getfullargspec``, ~6 µs
    on a slow machine even with a precomputed ``__signature__``) and inspects what it returned; this route needs
    neither. An exception is reported as respx reports a side effect's: the call recorded, the error raised as is.
    """

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response], **lookups: Any) -> None:
        super().__init__(**lookups)
        self._answer = answer

    def resolve(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return self._answer(request)
        except Exception as error:
            raise SideEffectError(self, origin=error) from error


_NETWORK_TRANSPORTS = (httpx.HTTPTransport, httpx.AsyncHTTPTransport)


_MOCKER = "lendsim"  # the name respx knows the mocker below by

# respx refuses a second mocker class under a registered name, and this module may be imported again (pytester's
# in-process runs restore sys.modules after each run): the class registered first goes on serving.
if _MOCKER not in Mocker.registry:

    class _ClientMocker(HTTPXMocker):
        """Routes at httpx's level for clients on httpx's own network transport, at httpcore's for the rest (registered
        with respx under the name ``lendsim``; a router using it is registered with respx's httpcore mocker too)."""

        name = _MOCKER

        @classmethod
        def mock(cls, spec: Callable[..., Any]) -> Callable[..., Any]:
            def _transport_for_url(client: httpx.Client | httpx.AsyncClient, url: httpx.URL) -> Any:
                transport = spec(client, url)
                if type(transport) not in _NETWORK_TRANSPORTS:  # a subclass may change the request: httpcore's level
                    return transport
                handler = cls.async_handler if isinstance(client, httpx.AsyncClient) else cls.handler
                return TryTransport([httpx.MockTransport(handler), transport])  # a pass-through falls to the transport

            return _transport_for_url

        @classmethod
        def register(cls, router: Any) -> None:
            super().register(router)
            HTTPCoreMocker.register(router)

        @classmethod
        def unregister(cls, router: Any) -> bool:
            HTTPCoreMocker.unregister(router)
            return bool(super().unregister(router))

        @classmethod
        def start(cls) -> None:
            super().start()
            HTTPCoreMocker.start()

        @classmethod
        def stop(cls, force: bool = False) -> None:
            super().stop(force)
            HTTPCoreMocker.stop(force)  # only once no router of its own is left, as respx stops any mocker


def mock_router(sim: Engine, *, passthrough_hosts: Iterable[str] = ()) -> respx.MockRouter:
    """A respx router sending each partner's base URL (``base_url(partner)``) to ``sim``; others fail loudly."""
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True, using=_MOCKER)
    partners = [*sim.contracts, "_sim"]
    hosts = {urlsplit(base_url(partner)).hostname: partner for partner in partners}
    for host, partner in hosts.items():

        def handle(request: httpx.Request, partner: str = partner) -> httpx.Response:
            return to_httpx(request, sim.handle(_core_request(request, request.content, partner)))

        router.add(_PartnerRoute(handle, host=host))
    for host in passthrough_hosts:
        router.route(host=host).pass_through()

    def unrouted(request: httpx.Request) -> httpx.Response:
        known = ", ".join(f"{p} → {base_url(p)}" for p in partners)
        raise UnroutedRequestError(
            f"lendsim: {request.method} {request.url} goes to host {request.url.host!r}, which nothing routes; "
            f"nothing reaches the network in these tests. Point the client at a simulated partner "
            f"(lendsim.base_url('bank') …: {known}), or let this host through with "
            f"@pytest.mark.lendsim(passthrough_hosts=[{request.url.host!r}])."
        )

    router.route().mock(side_effect=unrouted)
    return router
