"""respx routes over the simulator core: a platform's own httpx clients, wherever they are created, reach the
simulated partners in-process. A request to a host nobody routed fails with the host and the fix.

The routes answer a client whose transport is httpx's own network transport at httpx's level (the transport is
wrapped, as respx's ``using="httpx"`` does): httpx never writes the request for the wire nor reads the answer back,
which was about a third of a routed call. Every other request that reaches httpcore's connection pool (a client
with a subclass or a wrapper of httpx's transport) is answered at httpcore's level, as respx does by default; a
transport that stays in memory (``httpx.MockTransport``, an ASGI app, ``lendsim.transport``) is left to itself.

A test's own respx mocks (``respx_mock``, ``with respx.mock``, ``using="httpx"``) route its other dependencies
beside these routes, entered before or after them. While the routes are active they stand first in respx's own
mockers (httpcore's and httpx's), and there they settle each request in this order: the simulated partners; the
routes of the test's own respx routers on that mocker, in respx's order; lendsim's ``passthrough_hosts``; else
``UnroutedRequestError``. A request none of them answers never reaches the network: a ``pass_through()`` route of
the test's own fails it too, only ``passthrough_hosts`` open the network.

What this relies on in respx 0.23 (pinned in pyproject; ``tests/testing/test_coexistence.py`` pins the behaviour):
each mocker class keeps its active routers in the list ``routers`` and asks them in its order, going on to the next
only when one raises ``AllMockedAssertionError``; a route answering with the request itself is a pass-through,
raised as ``PassThrough`` carrying the route as ``origin``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.mocks import HTTPCoreMocker, HTTPXMocker, Mocker
from respx.models import AllMockedAssertionError, PassThrough, SideEffectError
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
# in-process runs restore sys.modules after each run): the class registered first goes on serving. It holds no
# logic of the routes' own (that is on the router, of whichever import made it).
if _MOCKER not in Mocker.registry:

    class _ClientMocker(HTTPXMocker):
        """Routes at httpx's level for clients on httpx's own network transport (registered with respx under the name
        ``lendsim``); it starts respx's httpcore mocker too, where the router's front (below) answers the rest."""

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
        def start(cls) -> None:
            super().start()
            HTTPCoreMocker.start()

        @classmethod
        def stop(cls, force: bool = False) -> None:
            super().stop(force)
            HTTPCoreMocker.stop(force)  # only once no router is left on it, as respx stops any mocker


def _others(mocker: type[Mocker]) -> list[respx.Router]:
    """The routers of ``mocker`` that are not lendsim's: a test's own respx mocks, in the order respx asks them."""
    return [router for router in mocker.routers if not isinstance(router, _Front)]


class _LendsimRouter(respx.MockRouter):
    """The simulator's routes on lendsim's mocker (httpx's level), and at the head of respx's own mockers while active.

    Its last route takes what no other route of it matched. With no router of the test's own on respx's httpcore
    mocker, that is ``UnroutedRequestError`` at once; with one, the request is passed on (httpx's level) to
    httpcore's, where lendsim's front asks the test's routers before settling it.
    """

    def __init__(self, sim: Engine, passthrough_hosts: Iterable[str]) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True, using=_MOCKER)
        self._partners = [*sim.contracts, "_sim"]
        hosts = {urlsplit(base_url(partner)).hostname: partner for partner in self._partners}
        for host, partner in hosts.items():

            def handle(request: httpx.Request, partner: str = partner) -> httpx.Response:
                return to_httpx(request, sim.handle(_core_request(request, request.content, partner)))

            self.add(_PartnerRoute(handle, host=host))
        for host in passthrough_hosts:
            self.route(host=host).pass_through()
        self.unrouted_route = self.route().mock(side_effect=self._unrouted)
        self._fronts: list[_Front] = []

    def _unrouted(self, request: httpx.Request) -> httpx.Request:
        if _others(HTTPCoreMocker):
            return request  # a pass-through: on to httpcore's level, where the test's own routers are asked
        raise self.unrouted_error(request)

    def unrouted_error(self, request: httpx.Request, *, asked: bool = False, passed: bool = False) -> Exception:
        """The error for a request nothing routed; ``asked``: the test's own respx routers were asked and none
        answered; ``passed``: one of them passes it through."""
        known = ", ".join(f"{p} → {base_url(p)}" for p in self._partners)
        host = request.url.host
        where, own = "", ""
        if passed:
            where = (
                " (a pass_through() route of your own respx mock lets it through, but in a lendsim test only "
                "passthrough_hosts reach the network)"
            )
        elif asked:
            where, own = " (nor does any route of your own respx mocks)", "add a route for it to your respx mock, "
        return UnroutedRequestError(
            f"lendsim: {request.method} {request.url} goes to host {host!r}, which nothing routes{where}; "
            f"nothing reaches the network in these tests. Point the client at a simulated partner "
            f"(lendsim.base_url('bank') …: {known}), {own}or let this host through with "
            f"@pytest.mark.lendsim(passthrough_hosts=[{host!r}])."
        )

    def start(self) -> None:
        super().start()
        self._fronts = [_Front(self, HTTPCoreMocker), _Front(self, HTTPXMocker)]
        for front in self._fronts:
            front.mocker.routers.insert(0, front)  # first, whether the test's own routers came before or come after

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        for front in self._fronts:
            front.mocker.unregister(front)
        self._fronts = []
        # respx's httpx mocker stays patched while a front is on it: undone now, before lendsim's own patch of the
        # same method (patches are undone in the reverse order of their making, or the first one stays in place).
        HTTPXMocker.stop()
        super().stop(clear=clear, reset=reset, quiet=quiet)


class _Front(respx.Router):
    """lendsim's routes at the head of one of respx's own mockers: it settles every request that mocker handles, so
    respx goes on to no other router after it. The simulated partners first; then the mocker's other routers in
    respx's order (the next one only when one has no route for it); then lendsim's verdict — a pass-through for
    ``passthrough_hosts``, else ``UnroutedRequestError`` (a pass-through of the test's own routers included). On
    httpx's level a request is passed on to httpcore's instead when a router of the test's own waits there."""

    def __init__(self, router: _LendsimRouter, mocker: type[Mocker]) -> None:
        super().__init__(assert_all_called=False)
        self.router = router
        self.mocker = mocker

    def handler(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.router.handler(request)
        except (PassThrough, UnroutedRequestError) as error:
            verdict: Exception = error
        others = _others(self.mocker)
        passed = False
        for other in others:
            try:
                return other.handler(request)
            except AllMockedAssertionError:
                continue
            except PassThrough:
                passed = True
                break
        raise self._settled(verdict, request, bool(others), passed)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.router.async_handler(request)
        except (PassThrough, UnroutedRequestError) as error:
            verdict: Exception = error
        others = _others(self.mocker)
        passed = False
        for other in others:
            try:
                return await other.async_handler(request)
            except AllMockedAssertionError:
                continue
            except PassThrough:
                passed = True
                break
        raise self._settled(verdict, request, bool(others), passed)

    def _settled(self, verdict: Exception, request: httpx.Request, asked: bool, passed: bool) -> Exception:
        """lendsim's verdict on a request the routers of this mocker did not answer."""
        if isinstance(verdict, PassThrough):
            if verdict.origin is not self.router.unrouted_route:
                return verdict  # one of lendsim's passthrough_hosts
            if self.mocker is not HTTPCoreMocker and not passed:
                return verdict  # on to httpcore's level, where the test's routers there are asked (the last level)
        return self.router.unrouted_error(request, asked=asked, passed=passed)


def mock_router(sim: Engine, *, passthrough_hosts: Iterable[str] = ()) -> respx.MockRouter:
    """A respx router sending each partner's base URL (``base_url(partner)``) to ``sim``; others fail loudly (a test's
    own respx mocks, active before or after it, answer the requests their routes match)."""
    return _LendsimRouter(sim, passthrough_hosts)
