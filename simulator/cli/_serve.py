"""``lendsim serve``."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click

from simulator.cli._options import (
    client_timeout_option,
    contract_option,
    contracts_dir_option,
    load_partner_contracts,
    log_level_option,
)
from simulator.core import CONTROL, DEFAULT_START
from simulator.errors import ConfigError
from simulator.http import is_loopback, listen, serve
from simulator.world import Simulator

__all__ = ["serve_command"]


def _parse_start(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return DEFAULT_START
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 instant; write e.g. 2019-05-10T00:00:00+08:00"
        ) from None
    return start if start.tzinfo is not None else start.replace(tzinfo=DEFAULT_START.tzinfo)


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything beyond loopback requires a control token (generated if not given).",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@contracts_dir_option
@contract_option
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for generated responses and random faults.")
@click.option("--start", callback=_parse_start, help="Virtual start instant (ISO-8601; Asia/Shanghai if no offset).")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Map real time onto virtual time at this factor (e.g. 3600: one virtual hour per second). "
    "Without it virtual time moves only through POST /_sim/clock/advance.",
)
@click.option(
    "--platform",
    "platform_url",
    default=None,
    help="Base URL of the platform under test: callbacks, notices and SMS receipts are POSTed to its receivers "
    "(paths from contracts/platform.yaml). Without it they are journaled as undeliverable.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file for the journal (default: in memory).",
)
@click.option(
    "--control-token",
    envvar="LENDSIM_CONTROL_TOKEN",
    default=None,
    help="Bearer token required on /_sim (env LENDSIM_CONTROL_TOKEN).",
)
@client_timeout_option(
    None,
    "How long the platform's HTTP client waits for an answer (e.g. PT5S): a latency fault that long or longer is "
    "served as a timeout, the request held until the client gives up. Without it a latency fault is answered at "
    "once, stamped that much later in virtual time (with --speed N: after the delay / N).",
)
@log_level_option
def serve_command(
    host: str,
    port: int,
    contracts_dir: Path | None,
    extra_contracts: tuple[Path, ...],
    seed: int,
    start: datetime,
    speed: float | None,
    platform_url: str | None,
    journal_path: Path | None,
    control_token: str | None,
    client_timeout: timedelta | None,
    log_level: str,
) -> None:
    """Serve the simulated partners over HTTP, one path prefix each (/bank, /bureau, /sms), with the
    control API under /_sim and each contract at /{partner}/openapi.json."""
    if platform_url is not None:
        parts = urlsplit(platform_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--platform {platform_url!r} is not an http(s) URL with a host; write e.g. http://127.0.0.1:9000",
                field="platform",
            )
    generated = not is_loopback(host) and not control_token
    if generated:
        control_token = secrets.token_urlsafe(24)
    sim = Simulator(
        contracts=load_partner_contracts(contracts_dir),
        extra_contracts=extra_contracts,
        start=start,
        seed=seed,
        journal=journal_path,
        wall_clock=time.time,
        control_token=control_token,
    )
    sock = listen(host, port)  # before the banner: a port in use is one line and exit 2, not a false start
    port = sock.getsockname()[1]
    if generated:
        click.echo(
            f"Listening beyond loopback: the control API needs 'Authorization: Bearer {control_token}'", err=True
        )
    base = f"http://{host}:{port}"
    for name, contract in sim.contracts.items():
        click.echo(
            f"  {contract.title:<32} {base}/{name}   ({len(contract.operations)} operations, "
            f"contract at {base}/{name}/openapi.json)"
        )
    mode = f"real time x{speed:g}" if speed else "manual (POST /_sim/clock/advance)"
    click.echo(
        f"  control API                      {base}/{CONTROL}   virtual time {sim.clock.now().isoformat()}, {mode}"
    )
    if platform_url:
        click.echo(f"  deliveries to the platform at      {platform_url}")
    serve(
        sim,
        host=host,
        port=port,
        speed=speed,
        platform_url=platform_url,
        log_level=log_level,
        sock=sock,
        client_timeout=client_timeout,
    )
