"""The ASGI helpers the simulator's app, the validation proxy and the reference platforms share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from simulator.http import lifespan, read_body
from simulator.types import Message, Receive


def receiving(*messages: Message) -> tuple[Receive, list[Message]]:
    """A ``receive`` that hands out ``messages`` in order, and the list of what is left."""
    left = list(messages)

    async def receive() -> Message:
        return left.pop(0)

    return receive, left


def test_a_body_in_chunks_is_read_whole() -> None:
    receive, left = receiving(
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    )

    assert asyncio.run(read_body(receive, 100)) == (b'{"a":1}', False)
    assert left == []


def test_a_body_past_the_limit_is_too_large_and_not_read_further() -> None:
    receive, left = receiving(
        {"type": "http.request", "body": b"x" * 60, "more_body": True},
        {"type": "http.request", "body": b"x" * 60, "more_body": True},
        {"type": "http.request", "body": b"x" * 60, "more_body": False},
    )

    assert asyncio.run(read_body(receive, 100)) == (b"", True)
    assert len(left) == 1


def test_a_client_gone_before_the_end_of_its_body_gives_none() -> None:
    receive, _ = receiving({"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"})

    assert asyncio.run(read_body(receive, 100)) is None


def test_lifespan_runs_startup_and_shutdown_before_saying_each_is_complete() -> None:
    receive, _ = receiving({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    said: list[str] = []

    async def send(message: Message) -> None:
        said.append(message["type"])

    def step(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            said.append(name)

        return run

    asyncio.run(lifespan(receive, send, startup=step("startup"), shutdown=step("shutdown")))

    assert said == ["startup", "lifespan.startup.complete", "shutdown", "lifespan.shutdown.complete"]
