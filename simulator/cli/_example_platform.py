"""``lendsim example-platform``: serve a reference platform over HTTP (contracts/platform.yaml)."""

from __future__ import annotations

import click

from simulator.cli._options import log_level_option

__all__ = ["example_platform_command"]


@click.command("example-platform")
@click.argument("name", type=click.Choice(["naive", "resilient"]))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=click.IntRange(0, 65535))
@log_level_option
def example_platform_command(name: str, host: str, port: int, log_level: str) -> None:
    """Serve the NAME reference platform (naive or resilient) for `lendsim run --platform http://HOST:PORT`."""
    from lendsim_examples.asgi import app_for
    from simulator.http import listen, run_server

    sock = listen(host, port)  # before the banner: a port in use is one line and exit 2, not a false start
    port = sock.getsockname()[1]
    click.echo(f"  {name} reference platform at http://{host}:{port} (contracts/platform.yaml)")
    run_server(app_for(name), host=host, port=port, log_level=log_level, sock=sock)
