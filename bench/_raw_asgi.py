"""The HTTP baseline: a raw ASGI app that reads the request and answers a fixed JSON body, on the same uvicorn
settings as ``lendsim serve`` (``simulator.http.serve``). Run by bench/_http.py:

    python -m bench._raw_asgi --port 8081 --body-file answer.json
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

# Deliberately nothing of simulator (not even simulator.types): the baseline is uvicorn and a bare app alone.
Message = MutableMapping[str, Any]


def make_app(body: bytes, headers: list[tuple[bytes, bytes]]) -> Callable[..., Awaitable[None]]:
    raw_headers = [*headers, (b"content-length", str(len(body)).encode())]

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        more = True
        while more:  # read the whole body, as the simulator does
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    args = parser.parse_args()
    headers = [(b"content-type", b"application/json"), (b"x-lendsim-virtual-time", b"2019-05-01T10:00:00+08:00")]
    app = make_app(args.body_file.read_bytes(), headers)
    # The settings of simulator.http.serve: loop, protocol and everything else at uvicorn's defaults.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="on", server_header=False
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
